/* libFuzzer harness for the bounded reader and writer (src/wire/wire.c).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I src \
 *         tests/fuzz/fuzz_wire.c src/wire/wire.c -lcrypto -o fuzz_wire
 *
 * The input is read as a little program: an opcode byte picks a getter
 * (integers, byte strings, nested u8/u16/u24-prefixed vectors), which then
 * reads its operand from the input.  Every step is mirrored into a writer,
 * with a vector re-encoded through open/close, so when the walk ends the
 * writer must hold the input byte for byte.  Along the way the reader's
 * contract is checked: a failed getter moves nothing and writes no output,
 * a sub-reader lies inside its parent, and nothing reads out of bounds
 * (AddressSanitizer). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

#define MAX_DEPTH 64

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static void check_unmoved(const clasp_reader *r, const clasp_reader *before)
{
    CHECK(r->ptr == before->ptr && r->len == before->len);
}

/* Reads one integer of width 1..4; on failure checks nothing moved and the
 * output kept its sentinel. */
static int step_int(clasp_reader *r, clasp_writer *w, int width)
{
    const clasp_reader before = *r;
    uint32_t v = 0xdeadbeef;
    uint16_t v16 = 0xbeef;
    uint8_t v8 = 0xef;
    int ok;

    switch (width) {
    case 1:
        ok = clasp_rd_u8(r, &v8);
        CHECK(ok || v8 == 0xef);
        return !ok ? (check_unmoved(r, &before), 0) : clasp_wr_u8(w, v8);
    case 2:
        ok = clasp_rd_u16(r, &v16);
        CHECK(ok || v16 == 0xbeef);
        return !ok ? (check_unmoved(r, &before), 0) : clasp_wr_u16(w, v16);
    case 3:
        ok = clasp_rd_u24(r, &v);
        CHECK(ok ? v <= 0xffffff : v == 0xdeadbeef);
        return !ok ? (check_unmoved(r, &before), 0) : clasp_wr_u24(w, v);
    default:
        ok = clasp_rd_u32(r, &v);
        CHECK(ok || v == 0xdeadbeef);
        return !ok ? (check_unmoved(r, &before), 0) : clasp_wr_u32(w, v);
    }
}

/* A one-byte length, then that many bytes, read as a view or as a copy. */
static int step_bytes(clasp_reader *r, clasp_writer *w, int copy)
{
    uint8_t n;
    uint8_t buf[256];
    const uint8_t *p = NULL;
    clasp_reader before;

    if (!clasp_rd_u8(r, &n)) {
        return 0;
    }
    clasp_wr_u8(w, n);
    before = *r;
    if (copy) {
        memset(buf, 0xa5, sizeof(buf));
        if (!clasp_rd_copy(r, buf, n)) {
            check_unmoved(r, &before);
            for (size_t i = 0; i < sizeof(buf); i++) {
                CHECK(buf[i] == 0xa5);
            }
            return 0;
        }
        return clasp_wr_bytes(w, buf, n);
    }
    if (!clasp_rd_bytes(r, &p, n)) {
        check_unmoved(r, &before);
        CHECK(p == NULL);
        return 0;
    }
    CHECK(p == before.ptr && r->ptr == p + n);
    return clasp_wr_bytes(w, p, n);
}

static void walk(clasp_reader *r, clasp_writer *w, int depth);

/* A prefixed vector of width 1..3, walked recursively and re-encoded. */
static int step_vector(clasp_reader *r, clasp_writer *w, int width, int depth)
{
    const clasp_reader before = *r;
    clasp_reader sub = {(const uint8_t *)"", 12345};
    clasp_wr_mark m;
    int ok;

    ok = width == 1 ? clasp_rd_u8_prefixed(r, &sub)
                    : width == 2 ? clasp_rd_u16_prefixed(r, &sub) : clasp_rd_u24_prefixed(r, &sub);
    if (!ok) {
        check_unmoved(r, &before);
        CHECK(sub.len == 12345);
        return 0;
    }
    /* The sub-reader lies inside the parent, right after the prefix, and
     * the parent moved past it. */
    CHECK(sub.ptr == before.ptr + width);
    CHECK(sub.len <= before.len - (size_t)width);
    CHECK(r->ptr == sub.ptr + sub.len && r->len == before.len - width - sub.len);
    ok = width == 1 ? clasp_wr_open_u8(w, &m)
                    : width == 2 ? clasp_wr_open_u16(w, &m) : clasp_wr_open_u24(w, &m);
    CHECK(ok);
    if (depth < MAX_DEPTH) {
        walk(&sub, w, depth + 1);
    } else {
        clasp_wr_bytes(w, sub.ptr, sub.len);
        clasp_rd_skip(&sub, sub.len);
    }
    CHECK(clasp_rd_done(&sub));
    return clasp_wr_close(w, &m);
}

/* Walks r to its end.  A getter that fails stops the walk of this reader:
 * its remaining bytes are copied verbatim, so the writer still mirrors
 * everything consumed. */
static void walk(clasp_reader *r, clasp_writer *w, int depth)
{
    uint8_t op;
    int ok = 1;

    while (ok && clasp_rd_u8(r, &op)) {
        clasp_wr_u8(w, op);
        switch (op % 9) {
        case 0:
        case 1:
        case 2:
        case 3:
            ok = step_int(r, w, op % 9 + 1);
            break;
        case 4:
        case 5:
            ok = step_bytes(r, w, op % 9 == 5);
            break;
        default:
            ok = step_vector(r, w, op % 9 - 5, depth);
            break;
        }
    }
    if (!clasp_rd_done(r)) {
        const uint8_t *rest;
        size_t n = clasp_rd_left(r);

        CHECK(clasp_rd_bytes(r, &rest, n));
        clasp_wr_bytes(w, rest, n);
    }
    CHECK(clasp_rd_done(r));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clasp_reader r;
    clasp_writer w;

    clasp_rd_init(&r, data, size);
    if (!clasp_wr_init_growable(&w, 16, size)) {
        return 0;
    }
    walk(&r, &w, 0);
    CHECK(clasp_rd_done(&r));
    CHECK(clasp_wr_ok(&w));
    CHECK(w.len == size);
    CHECK(size == 0 || memcmp(w.buf, data, size) == 0);
    /* The cap is exact: one byte more fails and sticks. */
    CHECK(!clasp_wr_u8(&w, 0));
    CHECK(!clasp_wr_ok(&w));
    clasp_wr_cleanup(&w);
    return 0;
}

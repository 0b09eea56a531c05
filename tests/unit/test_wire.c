/* Unit tests for the bounded reader and writer (src/wire/wire.c).
 *
 * The reader's contract (DESIGN.md principle 4): every getter returns 1/0
 * and, on 0, leaves both the reader and its outputs untouched.  Each getter
 * is run on truncated, overlong and trailing-byte inputs.  The writer's:
 * nested prefixes are patched on close, and any failure (fixed buffer full,
 * cap reached, a body too long for its prefix) is sticky. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wire/wire.h"

/* Asserts the reader still views exactly data[0..len). */
#define assert_reader_at(r, data, n)                                                       \
    do {                                                                                   \
        assert_ptr_equal((r)->ptr, (data));                                                \
        assert_int_equal((r)->len, (n));                                                   \
    } while (0)

/* ---- reader: the happy paths ------------------------------------------------------- */

static void test_rd_integers_big_endian(void **state)
{
    static const uint8_t in[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
                                 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c};
    clasp_reader r;
    uint8_t u8;
    uint16_t u16;
    uint32_t u24, u32;

    clasp_rd_init(&r, in, sizeof(in));
    assert_int_equal(clasp_rd_left(&r), 12);
    assert_true(clasp_rd_u8(&r, &u8));
    assert_int_equal(u8, 0x01);
    assert_true(clasp_rd_u16(&r, &u16));
    assert_int_equal(u16, 0x0203);
    assert_true(clasp_rd_u24(&r, &u24));
    assert_int_equal(u24, 0x040506);
    assert_true(clasp_rd_u32(&r, &u32));
    assert_int_equal(u32, 0x0708090a);
    assert_false(clasp_rd_done(&r));
    assert_int_equal(clasp_rd_left(&r), 2);
    assert_true(clasp_rd_skip(&r, 2));
    assert_true(clasp_rd_done(&r));
}

static void test_rd_high_bits(void **state)
{
    static const uint8_t in[] = {0xff, 0xff, 0xff, 0xff, 0xfe, 0xdc, 0xba, 0x98};
    clasp_reader r;
    uint32_t u24, u32;
    uint16_t u16;

    clasp_rd_init(&r, in, sizeof(in));
    assert_true(clasp_rd_u24(&r, &u24));
    assert_int_equal(u24, 0xffffff);
    assert_true(clasp_rd_u32(&r, &u32));
    assert_int_equal(u32, 0xfffedcba);
    assert_false(clasp_rd_u16(&r, &u16));
}

static void test_rd_bytes_copy_skip(void **state)
{
    static const uint8_t in[] = {'a', 'b', 'c', 'd', 'e'};
    clasp_reader r;
    const uint8_t *p = NULL;
    uint8_t out[3] = {0};

    clasp_rd_init(&r, in, sizeof(in));
    assert_true(clasp_rd_bytes(&r, &p, 2));
    assert_ptr_equal(p, in); /* a view, not a copy */
    assert_true(clasp_rd_copy(&r, out, 3));
    assert_memory_equal(out, "cde", 3);
    assert_true(clasp_rd_done(&r));
    /* Zero-length reads succeed on an empty reader and change nothing. */
    assert_true(clasp_rd_bytes(&r, &p, 0));
    assert_true(clasp_rd_copy(&r, out, 0));
    assert_true(clasp_rd_skip(&r, 0));
    assert_true(clasp_rd_done(&r));
}

static void test_rd_init_null(void **state)
{
    clasp_reader r;
    uint8_t u8 = 0x5a;

    clasp_rd_init(&r, NULL, 10); /* a NULL buffer never claims bytes */
    assert_int_equal(clasp_rd_left(&r), 0);
    assert_true(clasp_rd_done(&r));
    assert_false(clasp_rd_u8(&r, &u8));
    assert_int_equal(u8, 0x5a);
}

/* ---- reader: truncated inputs, outputs untouched ----------------------------------- */

static void test_rd_truncated_integers(void **state)
{
    static const uint8_t in[] = {0x11, 0x22, 0x33};
    clasp_reader r;
    uint8_t u8 = 0xa5;
    uint16_t u16 = 0xa5a5;
    uint32_t u24 = 0xa5a5a5a5, u32 = 0xa5a5a5a5;

    /* Every width, on every shorter input. */
    clasp_rd_init(&r, in, 0);
    assert_false(clasp_rd_u8(&r, &u8));
    assert_int_equal(u8, 0xa5);
    assert_reader_at(&r, in, 0);

    clasp_rd_init(&r, in, 1);
    assert_false(clasp_rd_u16(&r, &u16));
    assert_int_equal(u16, 0xa5a5);
    assert_reader_at(&r, in, 1);

    for (size_t n = 0; n < 3; n++) {
        clasp_rd_init(&r, in, n);
        assert_false(clasp_rd_u24(&r, &u24));
        assert_int_equal(u24, 0xa5a5a5a5);
        assert_reader_at(&r, in, n);
    }
    for (size_t n = 0; n < 4; n++) {
        clasp_rd_init(&r, in, n);
        assert_false(clasp_rd_u32(&r, &u32));
        assert_int_equal(u32, 0xa5a5a5a5);
        assert_reader_at(&r, in, n);
    }
}

static void test_rd_truncated_bytes(void **state)
{
    static const uint8_t in[] = {1, 2, 3, 4};
    static const uint8_t sentinel[8] = {0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee};
    uint8_t out[8];
    const uint8_t *p = sentinel;
    clasp_reader r;

    memcpy(out, sentinel, sizeof(out));
    clasp_rd_init(&r, in, sizeof(in));
    assert_false(clasp_rd_bytes(&r, &p, 5));
    assert_ptr_equal(p, sentinel);
    assert_false(clasp_rd_copy(&r, out, 5));
    assert_memory_equal(out, sentinel, sizeof(out));
    assert_false(clasp_rd_skip(&r, 5));
    /* A length near SIZE_MAX must not wrap around the bounds check. */
    assert_false(clasp_rd_bytes(&r, &p, SIZE_MAX));
    assert_false(clasp_rd_skip(&r, SIZE_MAX));
    assert_ptr_equal(p, sentinel);
    assert_reader_at(&r, in, sizeof(in));
}

/* ---- reader: prefixed vectors ------------------------------------------------------- */

static void test_rd_prefixed_ok(void **state)
{
    static const uint8_t in[] = {
        0x02, 'h', 'i',            /* u8 prefix */
        0x00, 0x03, 'a', 'b', 'c', /* u16 prefix */
        0x00, 0x00, 0x01, 'z',     /* u24 prefix */
        0x00,                      /* empty u8 vector */
    };
    clasp_reader r, sub;

    clasp_rd_init(&r, in, sizeof(in));
    assert_true(clasp_rd_u8_prefixed(&r, &sub));
    assert_int_equal(clasp_rd_left(&sub), 2);
    assert_memory_equal(sub.ptr, "hi", 2);
    assert_true(clasp_rd_u16_prefixed(&r, &sub));
    assert_int_equal(clasp_rd_left(&sub), 3);
    assert_memory_equal(sub.ptr, "abc", 3);
    assert_true(clasp_rd_u24_prefixed(&r, &sub));
    assert_int_equal(clasp_rd_left(&sub), 1);
    assert_int_equal(sub.ptr[0], 'z');
    assert_true(clasp_rd_u8_prefixed(&r, &sub));
    assert_true(clasp_rd_done(&sub));
    assert_true(clasp_rd_done(&r));
}

/* A length prefix claiming more than the input holds: the reader does not
 * move (not even past the prefix) and the sub-reader is untouched. */
static void test_rd_prefixed_overlong(void **state)
{
    static const uint8_t u8v[] = {0x05, 1, 2, 3, 4};
    static const uint8_t u16v[] = {0x01, 0x00, 1, 2, 3};
    static const uint8_t u24v[] = {0x00, 0x01, 0x00, 1, 2};
    static const uint8_t big24[] = {0xff, 0xff, 0xff, 0};
    clasp_reader r, sub;
    const clasp_reader untouched = {(const uint8_t *)"x", 77};

    sub = untouched;
    clasp_rd_init(&r, u8v, sizeof(u8v));
    assert_false(clasp_rd_u8_prefixed(&r, &sub));
    assert_reader_at(&r, u8v, sizeof(u8v));
    assert_ptr_equal(sub.ptr, untouched.ptr);
    assert_int_equal(sub.len, untouched.len);

    clasp_rd_init(&r, u16v, sizeof(u16v));
    assert_false(clasp_rd_u16_prefixed(&r, &sub));
    assert_reader_at(&r, u16v, sizeof(u16v));

    clasp_rd_init(&r, u24v, sizeof(u24v));
    assert_false(clasp_rd_u24_prefixed(&r, &sub));
    assert_reader_at(&r, u24v, sizeof(u24v));

    clasp_rd_init(&r, big24, sizeof(big24));
    assert_false(clasp_rd_u24_prefixed(&r, &sub));
    assert_reader_at(&r, big24, sizeof(big24));
    assert_ptr_equal(sub.ptr, untouched.ptr);
    assert_int_equal(sub.len, untouched.len);
}

/* The prefix itself cut short. */
static void test_rd_prefixed_truncated_prefix(void **state)
{
    static const uint8_t in[] = {0x00, 0x00};
    clasp_reader r, sub = {NULL, 42};

    clasp_rd_init(&r, in, 0);
    assert_false(clasp_rd_u8_prefixed(&r, &sub));
    clasp_rd_init(&r, in, 1);
    assert_false(clasp_rd_u16_prefixed(&r, &sub));
    assert_reader_at(&r, in, 1);
    clasp_rd_init(&r, in, 2);
    assert_false(clasp_rd_u24_prefixed(&r, &sub));
    assert_reader_at(&r, in, 2);
    assert_int_equal(sub.len, 42);
}

/* A vector nested in another is bounded by its parent, not by the input:
 * the inner prefix (4) fits the input but not the outer vector (3). */
static void test_rd_nested_bounded_by_parent(void **state)
{
    static const uint8_t in[] = {0x00, 0x03, 0x04, 'a', 'b', 'c', 'd', 'e'};
    clasp_reader r, outer, inner;

    clasp_rd_init(&r, in, sizeof(in));
    assert_true(clasp_rd_u16_prefixed(&r, &outer));
    assert_int_equal(clasp_rd_left(&outer), 3);
    assert_false(clasp_rd_u8_prefixed(&outer, &inner));
    assert_int_equal(clasp_rd_left(&outer), 3);
    /* The parent moved past the whole outer vector; 3 bytes trail it. */
    assert_int_equal(clasp_rd_left(&r), 3);
    assert_false(clasp_rd_done(&r));
}

/* Trailing bytes after a complete structure are visible to done(). */
static void test_rd_trailing_bytes(void **state)
{
    static const uint8_t in[] = {0x00, 0x02, 0xaa, 0xbb, 0xcc};
    clasp_reader r, sub;
    uint16_t v;

    clasp_rd_init(&r, in, sizeof(in));
    assert_true(clasp_rd_u16_prefixed(&r, &sub));
    assert_true(clasp_rd_u16(&sub, &v));
    assert_true(clasp_rd_done(&sub));
    assert_false(clasp_rd_done(&r));
    assert_int_equal(clasp_rd_left(&r), 1);

    /* The same inside a vector: one byte more than the element needs. */
    static const uint8_t in2[] = {0x03, 0x00, 0x01, 0x02};
    clasp_rd_init(&r, in2, sizeof(in2));
    assert_true(clasp_rd_u8_prefixed(&r, &sub));
    assert_true(clasp_rd_u16(&sub, &v));
    assert_int_equal(v, 0x0001);
    assert_false(clasp_rd_done(&sub));
    assert_true(clasp_rd_done(&r));
}

/* ---- writer ---------------------------------------------------------------------------- */

static void test_wr_integers_and_helpers(void **state)
{
    uint8_t buf[16];
    uint8_t p[8];
    clasp_writer w;
    uint8_t *space = NULL;

    clasp_wr_init_fixed(&w, buf, sizeof(buf));
    assert_true(clasp_wr_u8(&w, 0x01));
    assert_true(clasp_wr_u16(&w, 0x0203));
    assert_true(clasp_wr_u24(&w, 0x040506));
    assert_true(clasp_wr_u32(&w, 0x0708090a));
    assert_true(clasp_wr_bytes(&w, (const uint8_t *)"\x0b\x0c", 2));
    assert_true(clasp_wr_zeros(&w, 2));
    assert_true(clasp_wr_space(&w, &space, 2));
    assert_ptr_equal(space, buf + 14);
    space[0] = 0xee;
    space[1] = 0xff;
    assert_true(clasp_wr_ok(&w));
    assert_int_equal(w.len, 16);
    assert_memory_equal(buf, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x00\x00\xee\xff",
                        16);
    /* Zero-length writes on a full buffer succeed. */
    assert_true(clasp_wr_bytes(&w, NULL, 0));
    assert_true(clasp_wr_zeros(&w, 0));
    assert_true(clasp_wr_ok(&w));

    clasp_put_u16(p, 0xabcd);
    assert_memory_equal(p, "\xab\xcd", 2);
    clasp_put_u24(p, 0x123456);
    assert_memory_equal(p, "\x12\x34\x56", 3);
    clasp_put_u64(p, 0x0102030405060708ULL);
    assert_memory_equal(p, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
}

static void test_wr_nested_prefixes(void **state)
{
    static const uint8_t want[] = {
        0x00, 0x0b,             /* u16: 11 bytes follow */
        0x03, 'a', 'b', 'c',    /* u8 vector */
        0x00, 0x00, 0x02, 0xde, 0xad, /* u24 vector */
        0x00,                   /* empty u8 vector */
        0x7f,
    };
    uint8_t buf[64];
    clasp_writer w;
    clasp_wr_mark outer, a, b, c;

    clasp_wr_init_fixed(&w, buf, sizeof(buf));
    assert_true(clasp_wr_open_u16(&w, &outer));
    assert_true(clasp_wr_open_u8(&w, &a));
    assert_true(clasp_wr_bytes(&w, (const uint8_t *)"abc", 3));
    assert_true(clasp_wr_close(&w, &a));
    assert_true(clasp_wr_open_u24(&w, &b));
    assert_true(clasp_wr_u16(&w, 0xdead));
    assert_true(clasp_wr_close(&w, &b));
    assert_true(clasp_wr_open_u8(&w, &c));
    assert_true(clasp_wr_close(&w, &c));
    assert_true(clasp_wr_u8(&w, 0x7f));
    assert_true(clasp_wr_close(&w, &outer));
    assert_true(clasp_wr_ok(&w));
    assert_int_equal(w.len, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));

    /* And the reader takes it apart again. */
    clasp_reader r, o, v;
    uint8_t last;
    clasp_rd_init(&r, buf, w.len);
    assert_true(clasp_rd_u16_prefixed(&r, &o));
    assert_true(clasp_rd_done(&r));
    assert_true(clasp_rd_u8_prefixed(&o, &v));
    assert_int_equal(v.len, 3);
    assert_true(clasp_rd_u24_prefixed(&o, &v));
    assert_int_equal(v.len, 2);
    assert_true(clasp_rd_u8_prefixed(&o, &v));
    assert_int_equal(v.len, 0);
    assert_true(clasp_rd_u8(&o, &last));
    assert_true(clasp_rd_done(&o));
}

/* A fixed buffer that overflows fails, and stays failed even for writes
 * that would fit; nothing is written past its end. */
static void test_wr_fixed_overflow_sticky(void **state)
{
    uint8_t buf[10];
    clasp_writer w;
    clasp_wr_mark m;
    uint8_t *space = (uint8_t *)"untouched";

    memset(buf, 0xcc, sizeof(buf));
    clasp_wr_init_fixed(&w, buf, 8);
    assert_true(clasp_wr_u32(&w, 0x01020304));
    assert_true(clasp_wr_u16(&w, 0x0506));
    assert_false(clasp_wr_u24(&w, 0x070809)); /* needs 3, has 2 */
    assert_false(clasp_wr_ok(&w));
    assert_int_equal(w.len, 6);
    /* Sticky: these would fit but are refused. */
    assert_false(clasp_wr_u8(&w, 0xff));
    assert_false(clasp_wr_bytes(&w, (const uint8_t *)"x", 1));
    assert_false(clasp_wr_zeros(&w, 1));
    assert_false(clasp_wr_space(&w, &space, 1));
    assert_memory_equal(space, "untouched", 9);
    assert_false(clasp_wr_open_u8(&w, &m));
    assert_false(clasp_wr_close(&w, &m));
    assert_int_equal(w.len, 6);
    assert_int_equal(buf[6], 0xcc);
    assert_int_equal(buf[7], 0xcc);
    assert_int_equal(buf[8], 0xcc);
}

/* A prefix cannot be closed over a body its width cannot express. */
static void test_wr_u8_prefix_over_255(void **state)
{
    uint8_t buf[300];
    clasp_writer w;
    clasp_wr_mark m;

    clasp_wr_init_fixed(&w, buf, sizeof(buf));
    assert_true(clasp_wr_open_u8(&w, &m));
    assert_true(clasp_wr_zeros(&w, 255));
    assert_true(clasp_wr_close(&w, &m));
    assert_int_equal(buf[0], 255);

    clasp_wr_init_fixed(&w, buf, sizeof(buf));
    assert_true(clasp_wr_open_u8(&w, &m));
    assert_true(clasp_wr_zeros(&w, 256));
    assert_false(clasp_wr_close(&w, &m));
    assert_false(clasp_wr_ok(&w));
    assert_false(clasp_wr_u8(&w, 0));
}

static void test_wr_u16_prefix_over_65535(void **state)
{
    clasp_writer w;
    clasp_wr_mark m;

    assert_true(clasp_wr_init_growable(&w, 16, 70000));
    assert_true(clasp_wr_open_u16(&w, &m));
    assert_true(clasp_wr_zeros(&w, 65536));
    assert_false(clasp_wr_close(&w, &m));
    assert_false(clasp_wr_ok(&w));
    clasp_wr_cleanup(&w);

    assert_true(clasp_wr_init_growable(&w, 16, 70000));
    assert_true(clasp_wr_open_u16(&w, &m));
    assert_true(clasp_wr_zeros(&w, 65535));
    assert_true(clasp_wr_close(&w, &m));
    assert_int_equal(w.buf[0], 0xff);
    assert_int_equal(w.buf[1], 0xff);
    clasp_wr_cleanup(&w);
}

/* A growable writer grows (keeping its contents) up to its cap and fails,
 * stickily, beyond it. */
static void test_wr_growable_cap(void **state)
{
    clasp_writer w;

    assert_true(clasp_wr_init_growable(&w, 4, 1000));
    for (uint32_t i = 0; i < 250; i++) {
        assert_true(clasp_wr_u32(&w, i));
    }
    assert_int_equal(w.len, 1000);
    assert_true(w.cap >= 1000);
    for (uint32_t i = 0; i < 250; i++) {
        uint8_t want[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
                           (uint8_t)i};
        assert_memory_equal(w.buf + 4 * i, want, 4);
    }
    assert_true(clasp_wr_ok(&w));
    assert_false(clasp_wr_u8(&w, 0)); /* 1001 > cap */
    assert_false(clasp_wr_ok(&w));
    assert_int_equal(w.len, 1000);
    clasp_wr_cleanup(&w);
    assert_null(w.buf);
    assert_int_equal(w.len, 0);

    /* One big write past the cap fails at once. */
    assert_true(clasp_wr_init_growable(&w, 0, 10));
    assert_true(clasp_wr_zeros(&w, 10));
    assert_false(clasp_wr_zeros(&w, SIZE_MAX));
    assert_false(clasp_wr_ok(&w));
    clasp_wr_cleanup(&w);

    /* initial > max is clamped. */
    assert_true(clasp_wr_init_growable(&w, 100, 3));
    assert_true(clasp_wr_u24(&w, 1));
    assert_false(clasp_wr_u8(&w, 1));
    clasp_wr_cleanup(&w);
}

/* Close patches the right mark even when an inner prefix needed growth. */
static void test_wr_growable_nested(void **state)
{
    clasp_writer w;
    clasp_wr_mark outer, inner;

    assert_true(clasp_wr_init_growable(&w, 1, 4096));
    assert_true(clasp_wr_open_u24(&w, &outer));
    assert_true(clasp_wr_open_u16(&w, &inner));
    assert_true(clasp_wr_zeros(&w, 300));
    assert_true(clasp_wr_close(&w, &inner));
    assert_true(clasp_wr_close(&w, &outer));
    assert_true(clasp_wr_ok(&w));
    assert_int_equal(w.len, 3 + 2 + 300);
    assert_memory_equal(w.buf, "\x00\x01\x2e\x01\x2c", 5);
    clasp_wr_cleanup(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rd_integers_big_endian),
        cmocka_unit_test(test_rd_high_bits),
        cmocka_unit_test(test_rd_bytes_copy_skip),
        cmocka_unit_test(test_rd_init_null),
        cmocka_unit_test(test_rd_truncated_integers),
        cmocka_unit_test(test_rd_truncated_bytes),
        cmocka_unit_test(test_rd_prefixed_ok),
        cmocka_unit_test(test_rd_prefixed_overlong),
        cmocka_unit_test(test_rd_prefixed_truncated_prefix),
        cmocka_unit_test(test_rd_nested_bounded_by_parent),
        cmocka_unit_test(test_rd_trailing_bytes),
        cmocka_unit_test(test_wr_integers_and_helpers),
        cmocka_unit_test(test_wr_nested_prefixes),
        cmocka_unit_test(test_wr_fixed_overflow_sticky),
        cmocka_unit_test(test_wr_u8_prefix_over_255),
        cmocka_unit_test(test_wr_u16_prefix_over_65535),
        cmocka_unit_test(test_wr_growable_cap),
        cmocka_unit_test(test_wr_growable_nested),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

#include "wire/wire.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* ---- reader ---------------------------------------------------------------- */

void clasp_rd_init(clasp_reader *r, const uint8_t *data, size_t len)
{
    r->ptr = data;
    r->len = data == NULL ? 0 : len;
}

size_t clasp_rd_left(const clasp_reader *r)
{
    return r->len;
}

int clasp_rd_done(const clasp_reader *r)
{
    return r->len == 0;
}

int clasp_rd_bytes(clasp_reader *r, const uint8_t **out, size_t len)
{
    if (r->len < len) {
        return 0;
    }
    *out = r->ptr;
    r->ptr += len;
    r->len -= len;
    return 1;
}

static int read_be(clasp_reader *r, size_t width, uint32_t *out)
{
    const uint8_t *p;
    uint32_t v = 0;

    if (!clasp_rd_bytes(r, &p, width)) {
        return 0;
    }
    for (size_t i = 0; i < width; i++) {
        v = (v << 8) | p[i];
    }
    *out = v;
    return 1;
}

int clasp_rd_u8(clasp_reader *r, uint8_t *out)
{
    uint32_t v;

    if (!read_be(r, 1, &v)) {
        return 0;
    }
    *out = (uint8_t)v;
    return 1;
}

int clasp_rd_u16(clasp_reader *r, uint16_t *out)
{
    uint32_t v;

    if (!read_be(r, 2, &v)) {
        return 0;
    }
    *out = (uint16_t)v;
    return 1;
}

int clasp_rd_u24(clasp_reader *r, uint32_t *out)
{
    return read_be(r, 3, out);
}

int clasp_rd_u32(clasp_reader *r, uint32_t *out)
{
    return read_be(r, 4, out);
}

int clasp_rd_copy(clasp_reader *r, uint8_t *out, size_t len)
{
    const uint8_t *p;

    if (!clasp_rd_bytes(r, &p, len)) {
        return 0;
    }
    if (len > 0) {
        memcpy(out, p, len);
    }
    return 1;
}

int clasp_rd_skip(clasp_reader *r, size_t len)
{
    const uint8_t *p;

    return clasp_rd_bytes(r, &p, len);
}

static int read_prefixed(clasp_reader *r, size_t width, clasp_reader *out)
{
    clasp_reader saved = *r;
    uint32_t len;
    const uint8_t *p;

    if (!read_be(r, width, &len) || !clasp_rd_bytes(r, &p, len)) {
        *r = saved;
        return 0;
    }
    clasp_rd_init(out, p, len);
    return 1;
}

int clasp_rd_u8_prefixed(clasp_reader *r, clasp_reader *out)
{
    return read_prefixed(r, 1, out);
}

int clasp_rd_u16_prefixed(clasp_reader *r, clasp_reader *out)
{
    return read_prefixed(r, 2, out);
}

int clasp_rd_u24_prefixed(clasp_reader *r, clasp_reader *out)
{
    return read_prefixed(r, 3, out);
}

/* ---- writer ---------------------------------------------------------------- */

void clasp_wr_init_fixed(clasp_writer *w, uint8_t *buf, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->buf = buf;
    w->cap = cap;
    w->max = cap;
}

int clasp_wr_init_growable(clasp_writer *w, size_t initial, size_t max)
{
    memset(w, 0, sizeof(*w));
    if (initial > max) {
        initial = max;
    }
    w->buf = OPENSSL_malloc(initial > 0 ? initial : 1);
    if (w->buf == NULL) {
        w->failed = 1;
        return 0;
    }
    w->cap = initial;
    w->max = max;
    w->growable = 1;
    return 1;
}

void clasp_wr_cleanup(clasp_writer *w)
{
    if (w->growable) {
        OPENSSL_clear_free(w->buf, w->used);
    }
    memset(w, 0, sizeof(*w));
}

void clasp_wr_release(clasp_writer *w)
{
    if (!w->growable || w->len != 0 || w->buf == NULL) {
        return;
    }
    OPENSSL_clear_free(w->buf, w->used);
    w->buf = NULL;
    w->cap = 0;
    w->used = 0;
}

int clasp_wr_ok(const clasp_writer *w)
{
    return !w->failed;
}

/* Makes room for n more bytes, growing a heap buffer geometrically. */
static int reserve(clasp_writer *w, size_t n)
{
    size_t need;
    size_t new_cap;
    uint8_t *p;

    if (w->failed) {
        return 0;
    }
    if (n > w->max - w->len) {
        w->failed = 1;
        return 0;
    }
    need = w->len + n;
    if (need <= w->cap) {
        return 1;
    }
    if (!w->growable) {
        w->failed = 1;
        return 0;
    }
    new_cap = w->cap < 64 ? 64 : w->cap;
    while (new_cap < need) {
        new_cap = new_cap > w->max / 2 ? w->max : new_cap * 2;
    }
    /* Only the bytes ever written are worth keeping and wiping. */
    p = OPENSSL_clear_realloc(w->buf, w->used, new_cap);
    if (p == NULL) {
        w->failed = 1;
        return 0;
    }
    w->buf = p;
    w->cap = new_cap;
    return 1;
}

int clasp_wr_space(clasp_writer *w, uint8_t **out, size_t len)
{
    if (!reserve(w, len)) {
        return 0;
    }
    if (w->buf == NULL) { /* released and nothing asked for */
        *out = NULL;
        return 1;
    }
    *out = w->buf + w->len;
    w->len += len;
    if (w->len > w->used) {
        w->used = w->len;
    }
    return 1;
}

static int write_be(clasp_writer *w, uint32_t v, size_t width)
{
    uint8_t *p;

    if (!clasp_wr_space(w, &p, width)) {
        return 0;
    }
    for (size_t i = width; i > 0; i--) {
        p[i - 1] = (uint8_t)v;
        v >>= 8;
    }
    return 1;
}

int clasp_wr_u8(clasp_writer *w, uint8_t v)
{
    return write_be(w, v, 1);
}

int clasp_wr_u16(clasp_writer *w, uint16_t v)
{
    return write_be(w, v, 2);
}

int clasp_wr_u24(clasp_writer *w, uint32_t v)
{
    return write_be(w, v, 3);
}

int clasp_wr_u32(clasp_writer *w, uint32_t v)
{
    return write_be(w, v, 4);
}

int clasp_wr_bytes(clasp_writer *w, const uint8_t *data, size_t len)
{
    uint8_t *p;

    if (!clasp_wr_space(w, &p, len)) {
        return 0;
    }
    if (len > 0) {
        memcpy(p, data, len);
    }
    return 1;
}

int clasp_wr_zeros(clasp_writer *w, size_t len)
{
    uint8_t *p;

    if (!clasp_wr_space(w, &p, len)) {
        return 0;
    }
    memset(p, 0, len);
    return 1;
}

static int open_prefix(clasp_writer *w, clasp_wr_mark *m, size_t width)
{
    m->pos = w->len;
    m->width = width;
    return clasp_wr_zeros(w, width);
}

int clasp_wr_open_u8(clasp_writer *w, clasp_wr_mark *m)
{
    return open_prefix(w, m, 1);
}

int clasp_wr_open_u16(clasp_writer *w, clasp_wr_mark *m)
{
    return open_prefix(w, m, 2);
}

int clasp_wr_open_u24(clasp_writer *w, clasp_wr_mark *m)
{
    return open_prefix(w, m, 3);
}

int clasp_wr_close(clasp_writer *w, const clasp_wr_mark *m)
{
    size_t body;

    if (w->failed) {
        return 0;
    }
    body = w->len - m->pos - m->width;
    if (m->width < 4 && body >> (8 * m->width) != 0) {
        w->failed = 1;
        return 0;
    }
    for (size_t i = m->width; i > 0; i--) {
        w->buf[m->pos + i - 1] = (uint8_t)body;
        body >>= 8;
    }
    return 1;
}

void clasp_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void clasp_put_u24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

void clasp_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

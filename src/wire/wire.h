/* The bounded reader and writer: the only code doing byte arithmetic on
 * peer data (DESIGN.md principle 4).
 *
 * Reader: a {ptr, len} view.  Every getter returns 1 on success and 0 when
 * the input is too short, and leaves its outputs untouched on failure.
 *
 * Writer: a buffer (fixed, or growable up to a cap) with nested length
 * prefixes.  clasp_wr_open_u8/u16/u24() reserves a length field and returns
 * a mark; clasp_wr_close() patches it.  Any failure (overflow of a fixed
 * buffer or a cap, allocation failure, a length that does not fit its
 * prefix) makes the writer sticky-failed: later calls do nothing and
 * clasp_wr_ok() reports 0, so a builder can check once at the end. */
#ifndef CLASP_WIRE_H
#define CLASP_WIRE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const uint8_t *ptr;
    size_t len;
} clasp_reader;

void clasp_rd_init(clasp_reader *r, const uint8_t *data, size_t len);
size_t clasp_rd_left(const clasp_reader *r);
/* Returns 1 when no bytes are left. */
int clasp_rd_done(const clasp_reader *r);
int clasp_rd_u8(clasp_reader *r, uint8_t *out);
int clasp_rd_u16(clasp_reader *r, uint16_t *out);
int clasp_rd_u24(clasp_reader *r, uint32_t *out);
int clasp_rd_u32(clasp_reader *r, uint32_t *out);
/* Points *out at the next len bytes (a view into the input, no copy). */
int clasp_rd_bytes(clasp_reader *r, const uint8_t **out, size_t len);
/* Copies the next len bytes into out. */
int clasp_rd_copy(clasp_reader *r, uint8_t *out, size_t len);
int clasp_rd_skip(clasp_reader *r, size_t len);
/* Reads a length-prefixed vector into a sub-reader. */
int clasp_rd_u8_prefixed(clasp_reader *r, clasp_reader *out);
int clasp_rd_u16_prefixed(clasp_reader *r, clasp_reader *out);
int clasp_rd_u24_prefixed(clasp_reader *r, clasp_reader *out);

typedef struct {
    uint8_t *buf;
    size_t len;
    size_t cap;       /* current allocation (or the fixed buffer's size) */
    size_t used;      /* heap buffer: the most bytes it ever held since it was
                       * allocated, all that a wipe has to cover (a 16 KiB
                       * record buffer that carried 200 bytes wipes 200) */
    size_t max;       /* growth limit */
    int growable;     /* 1 when buf is ours (heap) */
    int failed;
} clasp_writer;

/* Writes into a caller's fixed buffer. */
void clasp_wr_init_fixed(clasp_writer *w, uint8_t *buf, size_t cap);
/* A heap buffer that grows up to max bytes.  Returns 0 on allocation failure. */
int clasp_wr_init_growable(clasp_writer *w, size_t initial, size_t max);
/* Frees a growable writer's buffer (wiped first). */
void clasp_wr_cleanup(clasp_writer *w);
/* Frees an empty growable writer's buffer; the writer stays usable and
 * allocates again on the next write. */
void clasp_wr_release(clasp_writer *w);
int clasp_wr_ok(const clasp_writer *w);
int clasp_wr_u8(clasp_writer *w, uint8_t v);
int clasp_wr_u16(clasp_writer *w, uint16_t v);
int clasp_wr_u24(clasp_writer *w, uint32_t v);
int clasp_wr_u32(clasp_writer *w, uint32_t v);
int clasp_wr_bytes(clasp_writer *w, const uint8_t *data, size_t len);
int clasp_wr_zeros(clasp_writer *w, size_t len);
/* Reserves len bytes and points *out at them (valid until the next write). */
int clasp_wr_space(clasp_writer *w, uint8_t **out, size_t len);

/* Nested length prefixes: open returns a mark (the prefix position). */
typedef struct {
    size_t pos;
    size_t width; /* 1, 2 or 3 bytes */
} clasp_wr_mark;

int clasp_wr_open_u8(clasp_writer *w, clasp_wr_mark *m);
int clasp_wr_open_u16(clasp_writer *w, clasp_wr_mark *m);
int clasp_wr_open_u24(clasp_writer *w, clasp_wr_mark *m);
/* Patches the prefix with the length written since open. */
int clasp_wr_close(clasp_writer *w, const clasp_wr_mark *m);

/* Big-endian helpers for code that owns both ends of a buffer (headers
 * it writes itself, nonces); never for peer data. */
void clasp_put_u16(uint8_t *p, uint16_t v);
void clasp_put_u24(uint8_t *p, uint32_t v);
void clasp_put_u64(uint8_t *p, uint64_t v);

#endif

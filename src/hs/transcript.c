/* The transcript hash (RFC 9846 §4.1). */
#include <string.h>

#include "hs/conn.h"

#define TRANSCRIPT_PENDING_MAX (256u * 1024)

int clasp_transcript_init(clasp_transcript *t)
{
    memset(t, 0, sizeof(*t));
    return clasp_wr_init_growable(&t->pending, 1024, TRANSCRIPT_PENDING_MAX);
}

void clasp_transcript_cleanup(clasp_transcript *t)
{
    clasp_wr_cleanup(&t->pending);
    clasp_hash_ctx_free(t->hash);
    clasp_hash_ctx_free(t->raw_hash);
    t->hash = NULL;
    t->raw_hash = NULL;
}

int clasp_transcript_add(clasp_transcript *t, const uint8_t *msg, size_t len)
{
    if (t->hash != NULL) {
        return clasp_hash_ctx_update(t->hash, msg, len);
    }
    if (t->raw_hash != NULL && !clasp_hash_ctx_update(t->raw_hash, msg, len)) {
        return 0;
    }
    return clasp_wr_bytes(&t->pending, msg, len);
}

int clasp_transcript_raw_hash(clasp_transcript *t, const clasp_crypto *c, clasp_hash_id h,
                              uint8_t *out)
{
    if (t->hash != NULL) {
        return 0; /* TLS 1.3 code hashed the messages away */
    }
    if (t->raw_hash == NULL) {
        t->raw_hash = clasp_hash_ctx_new(c, h);
        if (t->raw_hash == NULL ||
            !clasp_hash_ctx_update(t->raw_hash, t->pending.buf, t->pending.len)) {
            return 0;
        }
    }
    return clasp_hash_ctx_peek(t->raw_hash, out);
}

int clasp_transcript_set_hash(clasp_transcript *t, const clasp_crypto *c, clasp_hash_id h)
{
    if (t->hash != NULL) {
        return t->hash_id == h;
    }
    t->hash = clasp_hash_ctx_new(c, h);
    t->hash_id = h;
    if (t->hash == NULL || !clasp_hash_ctx_update(t->hash, t->pending.buf, t->pending.len)) {
        return 0;
    }
    t->pending.len = 0;
    return 1;
}

int clasp_transcript_hash(const clasp_transcript *t, uint8_t *out)
{
    return t->hash != NULL && clasp_hash_ctx_peek(t->hash, out);
}

int clasp_transcript_hash_extra(const clasp_transcript *t, const clasp_crypto *c,
                                clasp_hash_id h, const clasp_bytes *parts, size_t num_parts,
                                uint8_t *out)
{
    clasp_hash_ctx *tmp;
    int ok;

    if (t->hash != NULL) {
        return t->hash_id == h && clasp_hash_ctx_peek_extra(t->hash, parts, num_parts, out);
    }
    /* Not hashing yet (a client's first ClientHello): the raw messages so
     * far, hashed with h on the side. */
    tmp = clasp_hash_ctx_new(c, h);
    ok = tmp != NULL && clasp_hash_ctx_update(tmp, t->pending.buf, t->pending.len) &&
         clasp_hash_ctx_peek_extra(tmp, parts, num_parts, out);
    clasp_hash_ctx_free(tmp);
    return ok;
}

/* RFC 9846 §4.1: after a HelloRetryRequest the transcript starts with
 * message_hash (type 254, length Hash.length, Hash(ClientHello1)). */
int clasp_transcript_hrr_restart(clasp_transcript *t, const clasp_crypto *c)
{
    uint8_t msg[CLASP_HS_HEADER_LEN + CLASP_MAX_HASH_LEN];
    size_t hash_len = clasp_hash_len(t->hash_id);
    clasp_hash_ctx *fresh;

    if (!clasp_transcript_hash(t, msg + CLASP_HS_HEADER_LEN)) {
        return 0;
    }
    msg[0] = CLASP_HT_MESSAGE_HASH;
    clasp_put_u24(msg + 1, (uint32_t)hash_len);
    fresh = clasp_hash_ctx_new(c, t->hash_id);
    if (fresh == NULL || !clasp_hash_ctx_update(fresh, msg, CLASP_HS_HEADER_LEN + hash_len)) {
        clasp_hash_ctx_free(fresh);
        return 0;
    }
    clasp_hash_ctx_free(t->hash);
    t->hash = fresh;
    return 1;
}

#include "record/record.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

/* Output beyond this is kept only while a flight is being written. */
#define OUT_BUF_MAX (4u << 20)

int clasp_rec_init(clasp_record *r)
{
    memset(r, 0, sizeof(*r));
    /* The input buffer is allocated when bytes first arrive
     * (clasp_rec_in_space) and released when idle. */
    if (!clasp_wr_init_growable(&r->out, 1024, OUT_BUF_MAX)) {
        return 0;
    }
    /* RFC 9846 §5.1: legacy_record_version is 0x0303 except for an initial
     * ClientHello, which may use 0x0301 (set by the handshake code). */
    r->write_version = 0x0303;
    return 1;
}

static void dir_cleanup(clasp_rec_dir *d)
{
    clasp_aead_free(d->aead);
    OPENSSL_cleanse(d, sizeof(*d));
}

/* Wipes and frees the input buffer: only the bytes ever used can hold
 * anything (decrypted records are opened in place). */
static void free_in(clasp_record *r)
{
    if (r->in != NULL) {
        OPENSSL_cleanse(r->in, r->in_high);
        OPENSSL_free(r->in);
    }
    r->in = NULL;
    r->in_cap = 0;
    r->in_high = 0;
}

/* Handshake records are small: the input buffer starts small and grows
 * to the largest record (CLASP_IN_BUF_SIZE) only when a header announces
 * one that does not fit.  No record is open then, so nothing points into
 * the buffer.  Returns 1, or 0 on allocation failure. */
static int grow_in(clasp_record *r, size_t need)
{
    uint8_t *p;

    if (need <= r->in_cap) {
        return 1;
    }
    p = OPENSSL_malloc(CLASP_IN_BUF_SIZE);
    if (p == NULL) {
        return 0;
    }
    memcpy(p, r->in, r->in_len);
    OPENSSL_cleanse(r->in, r->in_high);
    OPENSSL_free(r->in);
    r->in = p;
    r->in_cap = CLASP_IN_BUF_SIZE;
    return 1;
}

size_t clasp_rec_in_space(clasp_record *r, uint8_t **out)
{
    if (r->in == NULL) {
        r->in = OPENSSL_malloc(CLASP_IN_BUF_INITIAL);
        if (r->in == NULL) {
            *out = NULL;
            return 0;
        }
        r->in_cap = CLASP_IN_BUF_INITIAL;
    }
    *out = r->in + r->in_len;
    return r->in_cap - r->in_len;
}

void clasp_rec_in_commit(clasp_record *r, size_t n)
{
    r->in_len += n;
    if (r->in_len > r->in_high) {
        r->in_high = r->in_len;
    }
}

void clasp_rec_release_idle(clasp_record *r)
{
    /* A connection whose last record was full-size is likely in the middle
     * of a bulk transfer: it keeps its grown buffer rather than wiping,
     * freeing and growing one per record. */
    if (r->in_len == 0 && !r->rec_open && !r->last_rec_large) {
        free_in(r);
    }
    if (r->out.len == 0) {
        clasp_wr_release(&r->out);
    }
}

void clasp_rec_cleanup(clasp_record *r)
{
    free_in(r);
    clasp_wr_cleanup(&r->out);
    dir_cleanup(&r->rd);
    dir_cleanup(&r->wr);
    memset(r, 0, sizeof(*r));
}

int clasp_rec_set_key(clasp_rec_dir *d, const clasp_crypto *c, clasp_aead_id a,
                      const uint8_t *key, const uint8_t iv[CLASP_AEAD_NONCE_LEN], int encrypt)
{
    clasp_aead *aead = clasp_aead_new(c, a, key, encrypt);

    if (aead == NULL) {
        return 0;
    }
    dir_cleanup(d);
    d->aead = aead;
    memcpy(d->iv, iv, CLASP_AEAD_NONCE_LEN);
    d->seq = 0;
    return 1;
}

int clasp_rec_set_key12(clasp_rec_dir *d, const clasp_crypto *c, clasp_aead_id a,
                        const uint8_t *key, const uint8_t *iv, size_t iv_len, int encrypt)
{
    uint8_t base[CLASP_AEAD_NONCE_LEN] = {0};
    clasp_rec_mode mode;

    if (a == CLASP_AEAD_CHACHA20_POLY1305) {
        mode = CLASP_REC_TLS12_XOR; /* RFC 7905 §2: a 12-byte IV */
    } else {
        mode = CLASP_REC_TLS12_EXPLICIT; /* RFC 5288 §3: a 4-byte salt */
    }
    if (iv_len != (mode == CLASP_REC_TLS12_XOR ? CLASP_AEAD_NONCE_LEN : CLASP_TLS12_GCM_SALT_LEN)) {
        return 0;
    }
    memcpy(base, iv, iv_len);
    if (!clasp_rec_set_key(d, c, a, key, base, encrypt)) {
        OPENSSL_cleanse(base, sizeof(base));
        return 0;
    }
    OPENSSL_cleanse(base, sizeof(base));
    d->mode = mode;
    return 1;
}

/* RFC 9846 §5.3 (and RFC 7905 §2 for TLS 1.2 ChaCha20-Poly1305): the nonce
 * is the static IV XORed with the padded big-endian sequence number. */
static void make_nonce(const clasp_rec_dir *d, uint8_t nonce[CLASP_AEAD_NONCE_LEN])
{
    uint8_t seq[8];

    clasp_put_u64(seq, d->seq);
    memcpy(nonce, d->iv, CLASP_AEAD_NONCE_LEN);
    for (size_t i = 0; i < 8; i++) {
        nonce[CLASP_AEAD_NONCE_LEN - 8 + i] ^= seq[i];
    }
}

/* RFC 5288 §3: salt || explicit part (GCM in TLS 1.2). */
static void make_explicit_nonce(const clasp_rec_dir *d, const uint8_t explicit_part[8],
                                uint8_t nonce[CLASP_AEAD_NONCE_LEN])
{
    memcpy(nonce, d->iv, CLASP_TLS12_GCM_SALT_LEN);
    memcpy(nonce + CLASP_TLS12_GCM_SALT_LEN, explicit_part, CLASP_TLS12_EXPLICIT_NONCE_LEN);
}

#define TLS12_AAD_LEN 13

/* RFC 5246 §6.2.3.3: additional_data = seq_num + TLSCompressed.type +
 * TLSCompressed.version + TLSCompressed.length (the plaintext's length). */
static void make_aad12(uint64_t seq, uint8_t type, uint16_t version, size_t len,
                       uint8_t aad[TLS12_AAD_LEN])
{
    clasp_put_u64(aad, seq);
    aad[8] = type;
    clasp_put_u16(aad + 9, version);
    clasp_put_u16(aad + 11, (uint16_t)len);
}

static size_t explicit_len(const clasp_rec_dir *d)
{
    return d->mode == CLASP_REC_TLS12_EXPLICIT ? CLASP_TLS12_EXPLICIT_NONCE_LEN : 0;
}

typedef struct {
    uint8_t type;
    uint16_t version;
    uint16_t len;
} rec_header;

static int parse_header(const uint8_t *in, size_t in_len, rec_header *h)
{
    clasp_reader rd;

    clasp_rd_init(&rd, in, in_len);
    return clasp_rd_u8(&rd, &h->type) && clasp_rd_u16(&rd, &h->version) &&
           clasp_rd_u16(&rd, &h->len);
}

static clasp_rec_result rec_fail(int *alert, int *reason, int a, int why)
{
    *alert = a;
    *reason = why;
    return CLASP_REC_ERROR;
}

/* RFC 9846 §5.4: the content type is the last non-zero byte of the
 * inner plaintext; zeros after it are padding. */
static int strip_padding(const uint8_t *data, size_t len, uint8_t *type, size_t *out_len)
{
    while (len > 0 && data[len - 1] == 0) {
        len--;
    }
    if (len == 0) {
        return 0;
    }
    *type = data[len - 1];
    *out_len = len - 1;
    return 1;
}

static clasp_rec_result open_protected(clasp_record *r, const rec_header *h, int *alert,
                                       int *reason)
{
    uint8_t nonce[CLASP_AEAD_NONCE_LEN];
    uint8_t *body = r->in + CLASP_RECORD_HEADER_LEN;
    size_t ct_len;

    /* RFC 9846 §5.2: protected records are always application_data on the
     * outside; the one exception is the middlebox CCS, handled above. */
    if (h->type != CLASP_RT_APPLICATION_DATA) {
        return rec_fail(alert, reason, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_RECORD);
    }
    if (h->len < CLASP_AEAD_TAG_LEN) {
        return rec_fail(alert, reason, SSL_AD_BAD_RECORD_MAC, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
    }
    ct_len = h->len - CLASP_AEAD_TAG_LEN;
    make_nonce(&r->rd, nonce);
    if (!clasp_aead_open(r->rd.aead, nonce, r->in, CLASP_RECORD_HEADER_LEN, body, ct_len,
                         body + ct_len)) {
        return rec_fail(alert, reason, SSL_AD_BAD_RECORD_MAC, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
    }
    r->rd.seq++;
    if (!strip_padding(body, ct_len, &r->rec_type, &r->rec_len)) {
        return rec_fail(alert, reason, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_BAD_RECORD_TYPE);
    }
    if (r->rec_len > CLASP_MAX_PLAINTEXT) {
        return rec_fail(alert, reason, SSL_AD_RECORD_OVERFLOW, SSL_R_DATA_LENGTH_TOO_LONG);
    }
    r->rec_data = body;
    return CLASP_REC_OK;
}

/* RFC 5246 §6.2.3.3: the TLS 1.2 GenericAEADCipher — [explicit nonce]
 * ciphertext tag, the content type in the clear in the header. */
static clasp_rec_result open_protected12(clasp_record *r, const rec_header *h, int *alert,
                                         int *reason)
{
    clasp_rec_dir *d = &r->rd;
    size_t xlen = explicit_len(d);
    uint8_t *body = r->in + CLASP_RECORD_HEADER_LEN;
    uint8_t nonce[CLASP_AEAD_NONCE_LEN];
    uint8_t aad[TLS12_AAD_LEN];
    size_t ct_len;

    if (h->len < xlen + CLASP_AEAD_TAG_LEN) {
        return rec_fail(alert, reason, SSL_AD_BAD_RECORD_MAC, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
    }
    ct_len = h->len - xlen - CLASP_AEAD_TAG_LEN;
    /* RFC 5246 §6.2.1: TLSPlaintext.length MUST NOT exceed 2^14. */
    if (ct_len > CLASP_MAX_PLAINTEXT) {
        return rec_fail(alert, reason, SSL_AD_RECORD_OVERFLOW, SSL_R_DATA_LENGTH_TOO_LONG);
    }
    if (xlen > 0) {
        make_explicit_nonce(d, body, nonce);
    } else {
        make_nonce(d, nonce);
    }
    make_aad12(d->seq, h->type, h->version, ct_len, aad);
    if (!clasp_aead_open(d->aead, nonce, aad, sizeof(aad), body + xlen, ct_len,
                         body + xlen + ct_len)) {
        return rec_fail(alert, reason, SSL_AD_BAD_RECORD_MAC, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
    }
    d->seq++;
    r->rec_type = h->type;
    r->rec_data = body + xlen;
    r->rec_len = ct_len;
    return CLASP_REC_OK;
}

/* The front record in the clear (no keys yet, or the TLS 1.3 middlebox CCS). */
static void open_plain(clasp_record *r, const rec_header *h)
{
    r->rec_type = h->type;
    r->rec_data = r->in + CLASP_RECORD_HEADER_LEN;
    r->rec_len = h->len;
}

clasp_rec_result clasp_rec_read(clasp_record *r, int *alert, int *reason)
{
    rec_header h;

    if (r->rec_open) {
        return CLASP_REC_OK;
    }
    if (!parse_header(r->in, r->in_len, &h)) {
        return CLASP_REC_NEED_MORE;
    }
    /* RFC 9846 §5.2: TLSCiphertext.length MUST NOT exceed 2^14 + 256;
     * §5.1: TLSPlaintext.length MUST NOT exceed 2^14. */
    if (h.len > CLASP_MAX_CIPHERTEXT ||
        (r->rd.aead == NULL && h.len > CLASP_MAX_PLAINTEXT)) {
        return rec_fail(alert, reason, SSL_AD_RECORD_OVERFLOW, SSL_R_PACKET_LENGTH_TOO_LONG);
    }
    if (r->in_len < CLASP_RECORD_HEADER_LEN + (size_t)h.len) {
        if (!grow_in(r, CLASP_RECORD_HEADER_LEN + (size_t)h.len)) {
            return rec_fail(alert, reason, SSL_AD_INTERNAL_ERROR, ERR_R_MALLOC_FAILURE);
        }
        return CLASP_REC_NEED_MORE;
    }
    r->rec_total = CLASP_RECORD_HEADER_LEN + h.len;
    r->last_rec_large = r->rec_total > CLASP_IN_BUF_INITIAL;
    /* RFC 9846 §5: an unprotected change_cipher_spec may arrive while keys
     * are on; the handshake code decides whether it is allowed.  In TLS 1.2
     * every record after the peer's CCS is protected (RFC 5246 §7.1). */
    if (r->rd.aead == NULL ||
        (r->rd.mode == CLASP_REC_TLS13 && h.type == CLASP_RT_CHANGE_CIPHER_SPEC)) {
        open_plain(r, &h);
    } else {
        clasp_rec_result res = r->rd.mode == CLASP_REC_TLS13
                                   ? open_protected(r, &h, alert, reason)
                                   : open_protected12(r, &h, alert, reason);
        if (res != CLASP_REC_OK) {
            return res;
        }
    }
    r->rec_open = 1;
    return CLASP_REC_OK;
}

void clasp_rec_drop(clasp_record *r)
{
    if (!r->rec_open) {
        return;
    }
    memmove(r->in, r->in + r->rec_total, r->in_len - r->rec_total);
    r->in_len -= r->rec_total;
    r->rec_open = 0;
    r->rec_data = NULL;
    r->rec_len = 0;
    r->rec_total = 0;
}

/* RFC 9846 §5.2: TLSInnerPlaintext (content, type, no padding) sealed
 * under an outer application_data header.  rec points at the record's
 * space: header + len + 1 + tag. */
/* Seals data straight from the caller's buffer into the record (no copy),
 * then the inner content type (RFC 9846 §5.2). */
static int seal13(clasp_rec_dir *d, uint8_t *rec, uint8_t type, const uint8_t *data, size_t len)
{
    uint8_t nonce[CLASP_AEAD_NONCE_LEN];

    rec[CLASP_RECORD_HEADER_LEN + len] = type;
    make_nonce(d, nonce);
    return clasp_aead_seal_from(d->aead, nonce, rec, CLASP_RECORD_HEADER_LEN, data, len,
                                rec + CLASP_RECORD_HEADER_LEN, 1,
                                rec + CLASP_RECORD_HEADER_LEN + len + 1);
}

/* RFC 5246 §6.2.3.3: [explicit nonce] ciphertext tag; the explicit part
 * of the GCM nonce is the sequence number (RFC 5288 §3 allows it and it
 * can never repeat under one key). */
static int seal12(clasp_rec_dir *d, uint8_t *rec, uint8_t type, uint16_t version,
                  const uint8_t *data, size_t len)
{
    size_t xlen = explicit_len(d);
    uint8_t *body = rec + CLASP_RECORD_HEADER_LEN;
    uint8_t nonce[CLASP_AEAD_NONCE_LEN];
    uint8_t aad[TLS12_AAD_LEN];

    if (xlen > 0) {
        clasp_put_u64(body, d->seq);
        make_explicit_nonce(d, body, nonce);
    } else {
        make_nonce(d, nonce);
    }
    make_aad12(d->seq, type, version, len, aad);
    return clasp_aead_seal_from(d->aead, nonce, aad, sizeof(aad), data, len, body + xlen, 0,
                                body + xlen + len);
}

/* The protected body's length for len bytes of content. */
static size_t body_len_for(const clasp_rec_dir *d, int protect, size_t len)
{
    if (!protect) {
        return len;
    }
    if (d->mode == CLASP_REC_TLS13) {
        return len + 1 + CLASP_AEAD_TAG_LEN;
    }
    return explicit_len(d) + len + CLASP_AEAD_TAG_LEN;
}

static int write_one(clasp_record *r, uint8_t type, const uint8_t *data, size_t len)
{
    clasp_rec_dir *d = &r->wr;
    /* TLS 1.3 sends the middlebox CCS in the clear; TLS 1.2 sends its CCS
     * before the new keys are on (RFC 5246 §7.1). */
    int protect = d->aead != NULL && (d->mode != CLASP_REC_TLS13 || type != CLASP_RT_CHANGE_CIPHER_SPEC);
    int tls13 = d->mode == CLASP_REC_TLS13;
    size_t body_len = body_len_for(d, protect, len);
    size_t start = r->out.len;
    uint8_t *rec;
    int ok;

    if (!clasp_wr_space(&r->out, &rec, CLASP_RECORD_HEADER_LEN + body_len)) {
        return 0;
    }
    rec[0] = protect && tls13 ? CLASP_RT_APPLICATION_DATA : type;
    clasp_put_u16(rec + 1, r->write_version);
    clasp_put_u16(rec + 3, (uint16_t)body_len);
    if (!protect) {
        if (len > 0) {
            memcpy(rec + CLASP_RECORD_HEADER_LEN, data, len);
        }
        return 1;
    }
    ok = tls13 ? seal13(d, rec, type, data, len)
               : seal12(d, rec, type, r->write_version, data, len);
    if (!ok) {
        r->out.len = start;
        return 0;
    }
    d->seq++;
    return 1;
}

int clasp_rec_write(clasp_record *r, uint8_t type, const uint8_t *data, size_t len)
{
    do {
        size_t n = len > CLASP_MAX_PLAINTEXT ? CLASP_MAX_PLAINTEXT : len;
        if (!write_one(r, type, data, n)) {
            return 0;
        }
        data += n;
        len -= n;
    } while (len > 0);
    return 1;
}

size_t clasp_rec_out_pending(const clasp_record *r, const uint8_t **out)
{
    if (r->out.buf == NULL) {
        *out = NULL;
        return 0;
    }
    *out = r->out.buf + r->out_off;
    return r->out.len - r->out_off;
}

void clasp_rec_out_consume(clasp_record *r, size_t n)
{
    r->out_off += n;
    if (r->out_off >= r->out.len) {
        r->out.len = 0;
        r->out_off = 0;
    }
}

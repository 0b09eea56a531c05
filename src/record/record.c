#include "record/record.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

/* Output beyond this is kept only while a flight is being written. */
#define OUT_BUF_MAX (4u << 20)

int clasp_rec_init(clasp_record *r)
{
    memset(r, 0, sizeof(*r));
    r->in = OPENSSL_malloc(CLASP_IN_BUF_SIZE);
    if (r->in == NULL) {
        return 0;
    }
    if (!clasp_wr_init_growable(&r->out, 1024, OUT_BUF_MAX)) {
        OPENSSL_free(r->in);
        r->in = NULL;
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

void clasp_rec_cleanup(clasp_record *r)
{
    if (r->in != NULL) {
        OPENSSL_clear_free(r->in, CLASP_IN_BUF_SIZE);
    }
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

/* RFC 9846 §5.3: the nonce is the static IV XORed with the padded
 * big-endian sequence number. */
static void make_nonce(const clasp_rec_dir *d, uint8_t nonce[CLASP_AEAD_NONCE_LEN])
{
    uint8_t seq[8];

    clasp_put_u64(seq, d->seq);
    memcpy(nonce, d->iv, CLASP_AEAD_NONCE_LEN);
    for (size_t i = 0; i < 8; i++) {
        nonce[CLASP_AEAD_NONCE_LEN - 8 + i] ^= seq[i];
    }
}

typedef struct {
    uint8_t type;
    uint16_t len;
} rec_header;

static int parse_header(const uint8_t *in, size_t in_len, rec_header *h)
{
    clasp_reader rd;
    uint16_t version;

    clasp_rd_init(&rd, in, in_len);
    return clasp_rd_u8(&rd, &h->type) && clasp_rd_u16(&rd, &version) &&
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
        return CLASP_REC_NEED_MORE;
    }
    r->rec_total = CLASP_RECORD_HEADER_LEN + h.len;
    /* RFC 9846 §5: an unprotected change_cipher_spec may arrive while keys
     * are on; the handshake code decides whether it is allowed. */
    if (r->rd.aead == NULL || h.type == CLASP_RT_CHANGE_CIPHER_SPEC) {
        r->rec_type = h.type;
        r->rec_data = r->in + CLASP_RECORD_HEADER_LEN;
        r->rec_len = h.len;
    } else {
        clasp_rec_result res = open_protected(r, &h, alert, reason);
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

static int write_one(clasp_record *r, uint8_t type, const uint8_t *data, size_t len)
{
    int protect = r->wr.aead != NULL && type != CLASP_RT_CHANGE_CIPHER_SPEC;
    size_t body_len = protect ? len + 1 + CLASP_AEAD_TAG_LEN : len;
    size_t start = r->out.len;
    uint8_t *rec;
    uint8_t nonce[CLASP_AEAD_NONCE_LEN];

    if (!clasp_wr_space(&r->out, &rec, CLASP_RECORD_HEADER_LEN + body_len)) {
        return 0;
    }
    rec[0] = protect ? CLASP_RT_APPLICATION_DATA : type;
    clasp_put_u16(rec + 1, r->write_version);
    clasp_put_u16(rec + 3, (uint16_t)body_len);
    if (len > 0) {
        memcpy(rec + CLASP_RECORD_HEADER_LEN, data, len);
    }
    if (!protect) {
        return 1;
    }
    rec[CLASP_RECORD_HEADER_LEN + len] = type; /* TLSInnerPlaintext.type, no padding */
    make_nonce(&r->wr, nonce);
    if (!clasp_aead_seal(r->wr.aead, nonce, rec, CLASP_RECORD_HEADER_LEN,
                         rec + CLASP_RECORD_HEADER_LEN, len + 1,
                         rec + CLASP_RECORD_HEADER_LEN + len + 1)) {
        r->out.len = start;
        return 0;
    }
    r->wr.seq++;
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

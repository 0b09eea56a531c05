/* The record layer (RFC 9846 §5): framing, AEAD protection with the
 * per-record nonce (§5.3), content-type hiding and padding (§5.4), size
 * limits, and the input/output buffers.  Sans-I/O: it only fills and
 * drains memory.
 *
 * TLS 1.2 AEAD protection (RFC 5246 §6.2.3.3) is a second mode of a
 * direction: the content type stays in the header, the additional data is
 * seq_num || type || version || length, and the nonce is either the 4-byte
 * salt plus an 8-byte explicit part sent in the record (RFC 5288 §3, GCM)
 * or the 12-byte IV XOR the sequence number (RFC 7905 §2, ChaCha20). */
#ifndef CLASP_RECORD_H
#define CLASP_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "wire/wire.h"

#define CLASP_RT_CHANGE_CIPHER_SPEC 20
#define CLASP_RT_ALERT 21
#define CLASP_RT_HANDSHAKE 22
#define CLASP_RT_APPLICATION_DATA 23

#define CLASP_MAX_PLAINTEXT 16384                 /* 2^14 */
#define CLASP_MAX_CIPHERTEXT (CLASP_MAX_PLAINTEXT + 256) /* RFC 9846 §5.2 */
#define CLASP_RECORD_HEADER_LEN 5
#define CLASP_IN_BUF_SIZE (CLASP_RECORD_HEADER_LEN + CLASP_MAX_CIPHERTEXT)
/* The input buffer's first size; it grows to CLASP_IN_BUF_SIZE for a
 * record that does not fit. */
#define CLASP_IN_BUF_INITIAL 4096

/* How a direction's records are protected. */
typedef enum {
    CLASP_REC_TLS13 = 0,       /* RFC 9846 §5.2: inner type, nonce = iv ^ seq */
    CLASP_REC_TLS12_EXPLICIT,  /* RFC 5288 §3: nonce = salt(4) || explicit(8) */
    CLASP_REC_TLS12_XOR,       /* RFC 7905 §2: nonce = iv ^ seq, nothing explicit */
} clasp_rec_mode;

/* The GCM salt (RFC 5288 §3) and the explicit part sent in each record. */
#define CLASP_TLS12_GCM_SALT_LEN 4
#define CLASP_TLS12_EXPLICIT_NONCE_LEN 8

/* One direction's protection: aead == NULL means plaintext records. */
typedef struct {
    clasp_aead *aead;
    uint8_t iv[CLASP_AEAD_NONCE_LEN]; /* TLS12_EXPLICIT: the salt, then zeros */
    uint64_t seq;
    clasp_rec_mode mode;
} clasp_rec_dir;

typedef struct {
    /* Input: raw bytes from the peer, a record at the front. */
    uint8_t *in;      /* in_cap bytes, or NULL while released */
    size_t in_cap;    /* CLASP_IN_BUF_INITIAL, then CLASP_IN_BUF_SIZE */
    size_t in_len;
    size_t in_high;   /* most bytes held since allocation (what to wipe) */
    int last_rec_large; /* the last record opened did not fit CLASP_IN_BUF_INITIAL */
    /* Plaintext of the front record once opened (a view into in). */
    uint8_t rec_type;
    const uint8_t *rec_data;
    size_t rec_len;
    size_t rec_total; /* header + ciphertext bytes of the front record */
    int rec_open;     /* 1 while the front record is opened and not dropped */
    /* Output: protected records waiting to be flushed. */
    clasp_writer out;
    size_t out_off;
    clasp_rec_dir rd;
    clasp_rec_dir wr;
    uint16_t write_version; /* legacy_record_version of our records */
} clasp_record;

/* Results of clasp_rec_read(). */
typedef enum {
    CLASP_REC_OK = 1,     /* a record is open: rec_type / rec_data / rec_len */
    CLASP_REC_NEED_MORE,  /* the front record is incomplete */
    CLASP_REC_ERROR,      /* *alert and *reason say why */
} clasp_rec_result;

int clasp_rec_init(clasp_record *r);
void clasp_rec_cleanup(clasp_record *r);

/* Free space for bytes from the peer, allocating the input buffer if it
 * was released; 0 (and *out NULL) when allocation fails or it is full. */
size_t clasp_rec_in_space(clasp_record *r, uint8_t **out);
void clasp_rec_in_commit(clasp_record *r, size_t n);
/* Frees the input buffer when it holds nothing (wiped first) and the
 * output buffer when all was flushed; both come back when needed. */
void clasp_rec_release_idle(clasp_record *r);

/* Opens the front record (decrypting in place when keys are on).  A
 * record already open is returned again. */
clasp_rec_result clasp_rec_read(clasp_record *r, int *alert, int *reason);
/* Drops the open record from the input buffer. */
void clasp_rec_drop(clasp_record *r);

/* Appends records of type carrying data (split at 2^14), protected with
 * the current write keys (CCS is always sent in plaintext).  Returns 1 or 0
 * (allocation). */
int clasp_rec_write(clasp_record *r, uint8_t type, const uint8_t *data, size_t len);

/* Installs keys for one direction; frees the old ones.  Returns 1 or 0. */
int clasp_rec_set_key(clasp_rec_dir *d, const clasp_crypto *c, clasp_aead_id a,
                      const uint8_t *key, const uint8_t iv[CLASP_AEAD_NONCE_LEN], int encrypt);

/* Installs TLS 1.2 keys for one direction: iv is the key block's
 * client/server_write_IV — 4 bytes (the GCM salt) for AES-GCM, 12 for
 * ChaCha20-Poly1305.  The sequence number starts at 0 (RFC 5246 §6.1).
 * Returns 1 or 0. */
int clasp_rec_set_key12(clasp_rec_dir *d, const clasp_crypto *c, clasp_aead_id a,
                        const uint8_t *key, const uint8_t *iv, size_t iv_len, int encrypt);

size_t clasp_rec_out_pending(const clasp_record *r, const uint8_t **out);
void clasp_rec_out_consume(clasp_record *r, size_t n);

#endif

/* AEAD (RFC 5116) for the record layer: AES-GCM and ChaCha20-Poly1305.
 * The cipher context is keyed once when the traffic key is installed; each
 * record only sets its nonce (RFC 9846 §5.3), which avoids re-running the
 * AES key expansion and re-looking up the cipher per record. */
#include "crypto/crypto_local.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>

struct clasp_aead {
    EVP_CIPHER_CTX *ctx;
    int encrypt;
};

size_t clasp_aead_key_len(clasp_aead_id a)
{
    switch (a) {
    case CLASP_AEAD_AES_128_GCM:
        return 16;
    case CLASP_AEAD_AES_256_GCM:
    case CLASP_AEAD_CHACHA20_POLY1305:
        return 32;
    default:
        return 0;
    }
}

int clasp_aead_available(const clasp_crypto *c, clasp_aead_id a)
{
    return (unsigned)a < 3 && c->cipher[a] != NULL;
}

clasp_aead *clasp_aead_new(const clasp_crypto *c, clasp_aead_id a, const uint8_t *key,
                           int encrypt)
{
    clasp_aead *ae;

    if (!clasp_aead_available(c, a)) {
        return NULL;
    }
    ae = OPENSSL_zalloc(sizeof(*ae));
    if (ae == NULL) {
        return NULL;
    }
    ae->encrypt = encrypt ? 1 : 0;
    ae->ctx = EVP_CIPHER_CTX_new();
    /* Key now, nonce per record.  The 12-byte nonce is the default IV
     * length of all three ciphers (clasp_crypto_new() checked), so it needs
     * no setting. */
    if (ae->ctx == NULL ||
        !EVP_CipherInit_ex2(ae->ctx, c->cipher[a], key, NULL, ae->encrypt, NULL)) {
        clasp_aead_free(ae);
        return NULL;
    }
    return ae;
}

/* Sets the nonce and feeds the additional data: the common start of a
 * seal and an open. */
static int start_record(clasp_aead *ae, const uint8_t nonce[CLASP_AEAD_NONCE_LEN],
                        const uint8_t *aad, size_t aad_len)
{
    int outl;

    if (aad_len > INT_MAX || !EVP_CipherInit_ex2(ae->ctx, NULL, NULL, nonce, -1, NULL)) {
        return 0;
    }
    return aad_len == 0 || EVP_CipherUpdate(ae->ctx, NULL, &outl, aad, (int)aad_len) == 1;
}

/* Runs the cipher over buf in place; stream modes emit as much as they take. */
static int crypt_in_place(clasp_aead *ae, uint8_t *buf, size_t len)
{
    int outl = 0;

    if (len == 0) {
        return 1;
    }
    return EVP_CipherUpdate(ae->ctx, buf, &outl, buf, (int)len) == 1 && (size_t)outl == len;
}

/* Encrypts src into out, then the tail_len bytes already at out + src_len
 * in place, as one AEAD message, and writes the tag. */
static int seal_segments(clasp_aead *ae, const uint8_t nonce[CLASP_AEAD_NONCE_LEN],
                         const uint8_t *aad, size_t aad_len, const uint8_t *src, size_t src_len,
                         uint8_t *out, size_t tail_len, uint8_t tag[CLASP_AEAD_TAG_LEN])
{
    OSSL_PARAM params[2];
    uint8_t none[CLASP_AEAD_TAG_LEN]; /* an AEAD's final emits no bytes */
    int outl = 0;

    if (!ae->encrypt || src_len > INT_MAX || tail_len > INT_MAX ||
        !start_record(ae, nonce, aad, aad_len)) {
        return 0;
    }
    if (src_len > 0 && (EVP_CipherUpdate(ae->ctx, out, &outl, src, (int)src_len) != 1 ||
                        (size_t)outl != src_len)) {
        return 0;
    }
    if (!crypt_in_place(ae, out + src_len, tail_len) ||
        !EVP_CipherFinal_ex(ae->ctx, none, &outl) || outl != 0) {
        return 0;
    }
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag,
                                                  CLASP_AEAD_TAG_LEN);
    params[1] = OSSL_PARAM_construct_end();
    return EVP_CIPHER_CTX_get_params(ae->ctx, params) == 1;
}

int clasp_aead_seal(clasp_aead *ae, const uint8_t nonce[CLASP_AEAD_NONCE_LEN],
                    const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len,
                    uint8_t tag[CLASP_AEAD_TAG_LEN])
{
    return seal_segments(ae, nonce, aad, aad_len, buf, len, buf, 0, tag);
}

int clasp_aead_seal_from(clasp_aead *ae, const uint8_t nonce[CLASP_AEAD_NONCE_LEN],
                         const uint8_t *aad, size_t aad_len, const uint8_t *src, size_t src_len,
                         uint8_t *out, size_t tail_len, uint8_t tag[CLASP_AEAD_TAG_LEN])
{
    return seal_segments(ae, nonce, aad, aad_len, src, src_len, out, tail_len, tag);
}

int clasp_aead_open(clasp_aead *ae, const uint8_t nonce[CLASP_AEAD_NONCE_LEN],
                    const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len,
                    const uint8_t tag[CLASP_AEAD_TAG_LEN])
{
    uint8_t expected[CLASP_AEAD_TAG_LEN];
    uint8_t none[CLASP_AEAD_TAG_LEN];
    OSSL_PARAM params[2];
    int outl = 0;

    if (ae->encrypt || len > INT_MAX || !start_record(ae, nonce, aad, aad_len)) {
        return 0;
    }
    /* The provider wants a writable buffer for a parameter it only reads. */
    memcpy(expected, tag, CLASP_AEAD_TAG_LEN);
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, expected,
                                                  CLASP_AEAD_TAG_LEN);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_CIPHER_CTX_set_params(ae->ctx, params) || !crypt_in_place(ae, buf, len) ||
        EVP_CipherFinal_ex(ae->ctx, none, &outl) != 1 || outl != 0) {
        /* Never leave unauthenticated plaintext behind for a careless caller. */
        OPENSSL_cleanse(buf, len);
        return 0;
    }
    return 1;
}

void clasp_aead_free(clasp_aead *ae)
{
    if (ae == NULL) {
        return;
    }
    EVP_CIPHER_CTX_free(ae->ctx); /* the provider wipes the key schedule */
    OPENSSL_free(ae);
}

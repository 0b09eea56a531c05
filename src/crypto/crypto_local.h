/* Private to src/crypto/: the fetched algorithms behind the crypto door.
 * Nothing outside src/crypto/ includes this header. */
#ifndef CLASP_CRYPTO_LOCAL_H
#define CLASP_CRYPTO_LOCAL_H

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/crypto.h"

/* Decoded peer certificates shared between handshakes (x509.c). */
#define CLASP_X509_CACHE_SLOTS 8
typedef struct {
    uint8_t *der;
    size_t der_len;
    X509 *x509;
} clasp_x509_cache_slot;

typedef struct {
    CRYPTO_RWLOCK *lock;
    clasp_x509_cache_slot slot[CLASP_X509_CACHE_SLOTS];
    size_t next;
} clasp_x509_cache;

int clasp_x509_cache_init(clasp_x509_cache *cache);
void clasp_x509_cache_cleanup(clasp_x509_cache *cache);

/* The groups Clasp implements, in table order. */
enum { KEX_X25519, KEX_P256, KEX_P384, KEX_P521, KEX_NUM };

struct clasp_crypto {
    OSSL_LIB_CTX *libctx; /* borrowed from the caller */
    char *propq;          /* our copy, or NULL */
    EVP_MD *md[2];        /* indexed by clasp_hash_id */
    size_t md_block[2];   /* HMAC block size per hash (RFC 2104's B) */
    EVP_CIPHER *cipher[3]; /* indexed by clasp_aead_id; NULL when unavailable */
    /* Per group, a key without a private part that carries the group (EC
     * parameters; for X25519 a public key).  New keys and peer keys are
     * made from it, so the provider's key manager and the EC group are
     * looked up once here and never per handshake. */
    EVP_PKEY *kex_tmpl[KEX_NUM];
    clasp_x509_cache certs;
};

/* The digest for h, or NULL for an unknown id.  Borrowed from c. */
const EVP_MD *clasp_crypto_md(const clasp_crypto *c, clasp_hash_id h);

/* The template index for a NamedGroup code point, or -1. */
int clasp_kex_index(uint16_t group);

/* Makes the parameter-only template key for group index idx (caller
 * frees), or NULL when the provider lacks the group. */
EVP_PKEY *clasp_kex_template_new(OSSL_LIB_CTX *libctx, const char *propq, int idx);

#endif

/* The crypto door's lifetime: every algorithm is fetched here, once per
 * clasp_crypto (one per SSL_CTX), with the caller's library context and
 * property query.  Per-call fetching and EVP_sha256()-style lookups are
 * OpenSSL 3's handshake-speed and lock-contention trap (DESIGN.md
 * principle 9), so nothing on the handshake or record path fetches. */
#include "crypto/crypto_local.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

static const char *const md_names[2] = {"SHA256", "SHA384"};
static const char *const cipher_names[3] = {"AES-128-GCM", "AES-256-GCM",
                                            "ChaCha20-Poly1305"};

void clasp_crypto_free(clasp_crypto *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < 2; i++) {
        EVP_MD_free(c->md[i]);
    }
    for (size_t i = 0; i < 3; i++) {
        EVP_CIPHER_free(c->cipher[i]);
    }
    for (size_t i = 0; i < KEX_NUM; i++) {
        EVP_PKEY_free(c->kex_tmpl[i]);
    }
    clasp_x509_cache_cleanup(&c->certs);
    OPENSSL_free(c->propq);
    OPENSSL_free(c);
}

static int fetch_digests(clasp_crypto *c)
{
    for (size_t i = 0; i < 2; i++) {
        int block;

        c->md[i] = EVP_MD_fetch(c->libctx, md_names[i], c->propq);
        if (c->md[i] == NULL) {
            return 0;
        }
        block = EVP_MD_get_block_size(c->md[i]);
        if (block <= 0 || block > 128) {
            return 0;
        }
        c->md_block[i] = (size_t)block;
    }
    return 1;
}

/* AES-GCM is mandatory (RFC 9846 §9.1); ChaCha20-Poly1305 is optional and
 * simply stays NULL when the provider lacks it (e.g. a FIPS provider).  A
 * cipher whose default IV is not the 12-byte record nonce (RFC 9846 §5.3)
 * is not used: checked here once, so that keying a context needs no
 * parameter query. */
static int fetch_ciphers(clasp_crypto *c)
{
    for (size_t i = 0; i < 3; i++) {
        c->cipher[i] = EVP_CIPHER_fetch(c->libctx, cipher_names[i], c->propq);
        if (c->cipher[i] != NULL && EVP_CIPHER_get_iv_length(c->cipher[i]) != CLASP_AEAD_NONCE_LEN) {
            EVP_CIPHER_free(c->cipher[i]);
            c->cipher[i] = NULL;
        }
    }
    return c->cipher[CLASP_AEAD_AES_128_GCM] != NULL && c->cipher[CLASP_AEAD_AES_256_GCM] != NULL;
}

static int make_kex_templates(clasp_crypto *c)
{
    for (int i = 0; i < KEX_NUM; i++) {
        c->kex_tmpl[i] = clasp_kex_template_new(c->libctx, c->propq, i);
        if (c->kex_tmpl[i] == NULL) {
            return 0;
        }
    }
    return 1;
}

clasp_crypto *clasp_crypto_new(OSSL_LIB_CTX *libctx, const char *propq)
{
    clasp_crypto *c = OPENSSL_zalloc(sizeof(*c));

    if (c == NULL) {
        return NULL;
    }
    c->libctx = libctx;
    if (propq != NULL) {
        c->propq = OPENSSL_strdup(propq);
        if (c->propq == NULL) {
            goto err;
        }
    }
    if (!clasp_x509_cache_init(&c->certs)) {
        goto err;
    }
    ERR_set_mark();
    if (!fetch_digests(c) || !fetch_ciphers(c) || !make_kex_templates(c)) {
        ERR_clear_last_mark(); /* keep libcrypto's reason for the caller */
        goto err;
    }
    /* A missing optional algorithm left errors behind: not the caller's. */
    ERR_pop_to_mark();
    return c;
err:
    clasp_crypto_free(c);
    return NULL;
}

OSSL_LIB_CTX *clasp_crypto_libctx(const clasp_crypto *c)
{
    return c->libctx;
}

const char *clasp_crypto_propq(const clasp_crypto *c)
{
    return c->propq;
}

const EVP_MD *clasp_crypto_md(const clasp_crypto *c, clasp_hash_id h)
{
    if ((unsigned)h >= 2) {
        return NULL;
    }
    return c->md[h];
}

int clasp_rand_bytes(const clasp_crypto *c, uint8_t *out, size_t len)
{
    if (len == 0) {
        return 1;
    }
    return RAND_bytes_ex(c->libctx, out, len, 0) == 1;
}

/* Peer certificates from DER, through a small per-SSL_CTX cache.
 *
 * Decoding a certificate is the largest single cost of a client
 * handshake on OpenSSL 3 (d2i_X509 sets up a provider decoder for the
 * public key: about a quarter of the handshake's instructions, see
 * docs/performance.md).  A client usually meets the same few server
 * certificates again and again, so the decoded X509 objects of the last
 * few distinct certificates are kept and shared (X509 is reference
 * counted and safe to share read-only between threads).  Certificates are
 * public data: the cache holds no secret. */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "crypto/crypto_local.h"

/* Larger certificates are decoded every time rather than kept. */
#define CACHE_MAX_DER (16u * 1024)

int clasp_x509_cache_init(clasp_x509_cache *cache)
{
    memset(cache, 0, sizeof(*cache));
    cache->lock = CRYPTO_THREAD_lock_new();
    return cache->lock != NULL;
}

void clasp_x509_cache_cleanup(clasp_x509_cache *cache)
{
    for (size_t i = 0; i < CLASP_X509_CACHE_SLOTS; i++) {
        OPENSSL_free(cache->slot[i].der);
        X509_free(cache->slot[i].x509);
    }
    CRYPTO_THREAD_lock_free(cache->lock);
    memset(cache, 0, sizeof(*cache));
}

/* A new reference to the cached certificate with exactly these bytes. */
static X509 *cache_find(clasp_x509_cache *cache, const uint8_t *der, size_t len)
{
    X509 *found = NULL;

    if (!CRYPTO_THREAD_read_lock(cache->lock)) {
        return NULL;
    }
    for (size_t i = 0; i < CLASP_X509_CACHE_SLOTS && found == NULL; i++) {
        const clasp_x509_cache_slot *s = &cache->slot[i];
        if (s->x509 != NULL && s->der_len == len && memcmp(s->der, der, len) == 0 &&
            X509_up_ref(s->x509)) {
            found = s->x509;
        }
    }
    CRYPTO_THREAD_unlock(cache->lock);
    return found;
}

/* Keeps x (a new reference) in the next slot, round robin. */
static void cache_add(clasp_x509_cache *cache, const uint8_t *der, size_t len, X509 *x)
{
    uint8_t *copy;
    clasp_x509_cache_slot *s;

    if (len > CACHE_MAX_DER || (copy = OPENSSL_memdup(der, len)) == NULL) {
        return;
    }
    if (!X509_up_ref(x)) {
        OPENSSL_free(copy);
        return;
    }
    if (!CRYPTO_THREAD_write_lock(cache->lock)) {
        OPENSSL_free(copy);
        X509_free(x);
        return;
    }
    s = &cache->slot[cache->next];
    cache->next = (cache->next + 1) % CLASP_X509_CACHE_SLOTS;
    OPENSSL_free(s->der);
    X509_free(s->x509);
    s->der = copy;
    s->der_len = len;
    s->x509 = x;
    CRYPTO_THREAD_unlock(cache->lock);
}

/* Decodes one DER certificate; trailing bytes make it invalid. */
static X509 *decode(const clasp_crypto *c, const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509 *x = X509_new_ex(c->libctx, c->propq);

    if (x == NULL || len > LONG_MAX) {
        X509_free(x);
        return NULL;
    }
    if (d2i_X509(&x, &p, (long)len) == NULL) {
        return NULL; /* d2i freed x */
    }
    if (p != der + len) {
        X509_free(x);
        return NULL;
    }
    return x;
}

X509 *clasp_x509_from_der(const clasp_crypto *c, const uint8_t *der, size_t len)
{
    clasp_x509_cache *cache = (clasp_x509_cache *)&c->certs; /* internally locked */
    X509 *x = cache_find(cache, der, len);

    if (x != NULL) {
        return x;
    }
    x = decode(c, der, len);
    if (x != NULL) {
        cache_add(cache, der, len, x);
    }
    return x;
}

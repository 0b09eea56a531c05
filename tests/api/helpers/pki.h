/*
 * In-memory test PKI for the API tests, built with libcrypto only.
 *
 *   root CA (P-256, trusted by clasp_test_client_ctx)
 *     └─ intermediate CA (P-256)
 *          └─ leaves for "localhost" (SAN DNS:localhost, IP:127.0.0.1), one per key type,
 *             plus an expired leaf, a wrong-host leaf (SAN DNS:wrong.example) and an
 *             "other" leaf (SAN DNS:other.example, for SNI context switching)
 *   unknown root CA (P-256, trusted by nobody)
 *     └─ unknown-CA leaf for "localhost"
 *
 * Keys and certificates are made on first use and cached for the whole process (RSA-4096
 * key generation is slow); clasp_test_pki_free() releases them. Every *_get0 result is
 * owned by the cache.
 */
#ifndef CLASP_TEST_PKI_H
#define CLASP_TEST_PKI_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

typedef enum {
    CLASP_TEST_KEY_P256,
    CLASP_TEST_KEY_P384,
    CLASP_TEST_KEY_RSA2048,
    CLASP_TEST_KEY_RSA4096,
    CLASP_TEST_KEY_ED25519,
    CLASP_TEST_KEY_COUNT
} clasp_test_key;

typedef enum {
    CLASP_TEST_LEAF_GOOD,       /* valid, localhost, chains to the root */
    CLASP_TEST_LEAF_EXPIRED,    /* notAfter one day in the past */
    CLASP_TEST_LEAF_WRONG_HOST, /* SAN DNS:wrong.example only */
    CLASP_TEST_LEAF_UNKNOWN_CA, /* issued by the unknown root, sent without chain */
    CLASP_TEST_LEAF_OTHER_NAME, /* valid, SAN DNS:other.example */
    CLASP_TEST_LEAF_COUNT
} clasp_test_leaf;

/* Short printable name of a key type ("P-256", "RSA-2048", ...). */
const char *clasp_test_key_name(clasp_test_key key);

/* Cached key of the given type; NULL on failure. Owned by the cache. */
EVP_PKEY *clasp_test_key_get0(clasp_test_key key);

/* Cached CA certificates; NULL on failure. Owned by the cache. */
X509 *clasp_test_root_get0(void);
X509 *clasp_test_intermediate_get0(void);
X509 *clasp_test_unknown_root_get0(void);

/* Cached leaf certificate of the given kind whose key is clasp_test_key_get0(key). */
X509 *clasp_test_leaf_get0(clasp_test_key key, clasp_test_leaf kind);

/* Releases every cached key and certificate. */
void clasp_test_pki_free(void);

/*
 * New server SSL_CTX (TLS_server_method, TLS 1.3 only) with the leaf of the given kind and key
 * type, its private key and, unless kind is CLASP_TEST_LEAF_UNKNOWN_CA, the intermediate as
 * extra chain certificate. Caller owns the result; NULL on failure.
 */
SSL_CTX *clasp_test_server_ctx(clasp_test_key key, clasp_test_leaf kind);

/* Installs leaf + key + chain of the given kind on an existing context; 1 on success. */
int clasp_test_ctx_use_leaf(SSL_CTX *ctx, clasp_test_key key, clasp_test_leaf kind);

/*
 * New client SSL_CTX (TLS_client_method, TLS 1.3 only) whose store trusts the test root,
 * with SSL_VERIFY_PEER. Caller owns the result; NULL on failure.
 */
SSL_CTX *clasp_test_client_ctx(void);

/* Adds the test root to ctx's certificate store; 1 on success. */
int clasp_test_ctx_trust_root(SSL_CTX *ctx);

/*
 * Writes the leaf of the given kind followed by its chain (PEM) to a new temporary file.
 * Returns a malloc'd path the caller unlinks and frees; NULL on failure.
 */
char *clasp_test_write_chain_pem(clasp_test_key key, clasp_test_leaf kind);

#endif

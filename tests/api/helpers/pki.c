/* In-memory test PKI: see pki.h. */
#include "pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define DAY_SECONDS (24L * 60 * 60)

/* The three CA keys are private to this file; leaf keys are the public key types. */
enum { CA_ROOT, CA_INTERMEDIATE, CA_UNKNOWN_ROOT, CA_COUNT };

static EVP_PKEY *leaf_keys[CLASP_TEST_KEY_COUNT];
static EVP_PKEY *ca_keys[CA_COUNT];
static X509 *ca_certs[CA_COUNT];
static X509 *leaves[CLASP_TEST_KEY_COUNT][CLASP_TEST_LEAF_COUNT];
static long next_serial = 1;

const char *clasp_test_key_name(clasp_test_key key)
{
    switch (key) {
    case CLASP_TEST_KEY_P256:
        return "P-256";
    case CLASP_TEST_KEY_P384:
        return "P-384";
    case CLASP_TEST_KEY_RSA2048:
        return "RSA-2048";
    case CLASP_TEST_KEY_RSA4096:
        return "RSA-4096";
    case CLASP_TEST_KEY_ED25519:
        return "Ed25519";
    default:
        return "?";
    }
}

static EVP_PKEY *generate_key(clasp_test_key key)
{
    switch (key) {
    case CLASP_TEST_KEY_P256:
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    case CLASP_TEST_KEY_P384:
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    case CLASP_TEST_KEY_RSA2048:
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    case CLASP_TEST_KEY_RSA4096:
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
    case CLASP_TEST_KEY_ED25519:
        return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    default:
        return NULL;
    }
}

EVP_PKEY *clasp_test_key_get0(clasp_test_key key)
{
    if (key < 0 || key >= CLASP_TEST_KEY_COUNT) {
        return NULL;
    }
    if (leaf_keys[key] == NULL) {
        leaf_keys[key] = generate_key(key);
    }
    return leaf_keys[key];
}

static EVP_PKEY *ca_key(int which)
{
    if (ca_keys[which] == NULL) {
        ca_keys[which] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    }
    return ca_keys[which];
}

/* Adds one v3 extension given in openssl.cnf syntax; 1 on success. */
static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (ext == NULL) {
        return 0;
    }
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

/*
 * Makes a certificate for subject_cn/key, valid from not_before to not_after (seconds from
 * now), issued by issuer/issuer_key (issuer NULL: self-signed). Caller owns the result.
 */
static X509 *make_cert(const char *subject_cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       long not_before, long not_after)
{
    X509 *cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    int ok = cert != NULL && name != NULL && X509_set_version(cert, X509_VERSION_3) &&
             ASN1_INTEGER_set(X509_get_serialNumber(cert), next_serial++) &&
             X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Clasp Tests",
                                        -1, -1, 0) &&
             X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                        (const unsigned char *)subject_cn, -1, -1, 0) &&
             X509_set_subject_name(cert, name) &&
             X509_set_issuer_name(cert, issuer != NULL ? X509_get_subject_name(issuer) : name) &&
             X509_gmtime_adj(X509_getm_notBefore(cert), not_before) != NULL &&
             X509_gmtime_adj(X509_getm_notAfter(cert), not_after) != NULL &&
             X509_set_pubkey(cert, key);
    X509_NAME_free(name);
    if (!ok) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

/* Adds the key identifiers and signs; issuer NULL means self-signed. 1 on success. */
static int finish_cert(X509 *cert, X509 *issuer, EVP_PKEY *issuer_key)
{
    X509 *ext_issuer = issuer != NULL ? issuer : cert;
    return add_ext(cert, ext_issuer, NID_subject_key_identifier, "hash") &&
           add_ext(cert, ext_issuer, NID_authority_key_identifier, "keyid:always") &&
           X509_sign(cert, issuer_key, EVP_sha256()) > 0;
}

static X509 *make_ca(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
    X509 *cert = make_cert(cn, key, issuer, issuer_key, -DAY_SECONDS, 3650 * DAY_SECONDS);
    if (cert == NULL) {
        return NULL;
    }
    if (!add_ext(cert, issuer, NID_basic_constraints, "critical,CA:TRUE") ||
        !add_ext(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !finish_cert(cert, issuer, issuer_key != NULL ? issuer_key : key)) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

static X509 *ca_cert(int which)
{
    if (ca_certs[which] != NULL) {
        return ca_certs[which];
    }
    switch (which) {
    case CA_ROOT:
        if (ca_key(CA_ROOT) != NULL) {
            ca_certs[which] = make_ca("Clasp Test Root CA", ca_key(CA_ROOT), NULL, NULL);
        }
        break;
    case CA_INTERMEDIATE:
        if (ca_key(CA_INTERMEDIATE) != NULL && ca_cert(CA_ROOT) != NULL) {
            ca_certs[which] = make_ca("Clasp Test Intermediate CA", ca_key(CA_INTERMEDIATE),
                                      ca_cert(CA_ROOT), ca_key(CA_ROOT));
        }
        break;
    case CA_UNKNOWN_ROOT:
        if (ca_key(CA_UNKNOWN_ROOT) != NULL) {
            ca_certs[which] = make_ca("Clasp Unknown Root CA", ca_key(CA_UNKNOWN_ROOT), NULL, NULL);
        }
        break;
    default:
        break;
    }
    return ca_certs[which];
}

X509 *clasp_test_root_get0(void)
{
    return ca_cert(CA_ROOT);
}

X509 *clasp_test_intermediate_get0(void)
{
    return ca_cert(CA_INTERMEDIATE);
}

X509 *clasp_test_unknown_root_get0(void)
{
    return ca_cert(CA_UNKNOWN_ROOT);
}

static const char *leaf_san(clasp_test_leaf kind)
{
    switch (kind) {
    case CLASP_TEST_LEAF_WRONG_HOST:
        return "DNS:wrong.example";
    case CLASP_TEST_LEAF_OTHER_NAME:
        return "DNS:other.example";
    default:
        return "DNS:localhost,IP:127.0.0.1";
    }
}

static X509 *make_leaf(clasp_test_key key, clasp_test_leaf kind)
{
    int issuer_ca = kind == CLASP_TEST_LEAF_UNKNOWN_CA ? CA_UNKNOWN_ROOT : CA_INTERMEDIATE;
    X509 *issuer = ca_cert(issuer_ca);
    EVP_PKEY *pkey = clasp_test_key_get0(key);
    if (issuer == NULL || pkey == NULL) {
        return NULL;
    }
    long not_before = -DAY_SECONDS;
    long not_after = 365 * DAY_SECONDS;
    if (kind == CLASP_TEST_LEAF_EXPIRED) {
        not_before = -30 * DAY_SECONDS;
        not_after = -DAY_SECONDS;
    }
    const char *cn = kind == CLASP_TEST_LEAF_OTHER_NAME ? "other.example" : "localhost";
    X509 *cert = make_cert(cn, pkey, issuer, ca_key(issuer_ca), not_before, not_after);
    if (cert == NULL) {
        return NULL;
    }
    if (!add_ext(cert, issuer, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_ext(cert, issuer, NID_key_usage, "critical,digitalSignature") ||
        !add_ext(cert, issuer, NID_ext_key_usage, "serverAuth,clientAuth") ||
        !add_ext(cert, issuer, NID_subject_alt_name, leaf_san(kind)) ||
        !finish_cert(cert, issuer, ca_key(issuer_ca))) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

X509 *clasp_test_leaf_get0(clasp_test_key key, clasp_test_leaf kind)
{
    if (key < 0 || key >= CLASP_TEST_KEY_COUNT || kind < 0 || kind >= CLASP_TEST_LEAF_COUNT) {
        return NULL;
    }
    if (leaves[key][kind] == NULL) {
        leaves[key][kind] = make_leaf(key, kind);
    }
    return leaves[key][kind];
}

void clasp_test_pki_free(void)
{
    for (int k = 0; k < CLASP_TEST_KEY_COUNT; k++) {
        for (int l = 0; l < CLASP_TEST_LEAF_COUNT; l++) {
            X509_free(leaves[k][l]);
            leaves[k][l] = NULL;
        }
        EVP_PKEY_free(leaf_keys[k]);
        leaf_keys[k] = NULL;
    }
    for (int c = 0; c < CA_COUNT; c++) {
        X509_free(ca_certs[c]);
        ca_certs[c] = NULL;
        EVP_PKEY_free(ca_keys[c]);
        ca_keys[c] = NULL;
    }
}

int clasp_test_ctx_use_leaf(SSL_CTX *ctx, clasp_test_key key, clasp_test_leaf kind)
{
    X509 *leaf = clasp_test_leaf_get0(key, kind);
    if (leaf == NULL || SSL_CTX_use_certificate(ctx, leaf) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, clasp_test_key_get0(key)) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        return 0;
    }
    if (kind == CLASP_TEST_LEAF_UNKNOWN_CA) {
        return 1;
    }
    /* SSL_CTX_add_extra_chain_cert takes ownership of the reference it is given. */
    X509 *inter = clasp_test_intermediate_get0();
    if (inter == NULL || !X509_up_ref(inter)) {
        return 0;
    }
    if (SSL_CTX_add_extra_chain_cert(ctx, inter) != 1) {
        X509_free(inter);
        return 0;
    }
    return 1;
}

static int pin_tls13(SSL_CTX *ctx)
{
    return SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1 &&
           SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1;
}

SSL_CTX *clasp_test_server_ctx(clasp_test_key key, clasp_test_leaf kind)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL || !pin_tls13(ctx) || !clasp_test_ctx_use_leaf(ctx, key, kind)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

int clasp_test_ctx_trust_root(SSL_CTX *ctx)
{
    X509 *root = clasp_test_root_get0();
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    return root != NULL && store != NULL && X509_STORE_add_cert(store, root) == 1;
}

SSL_CTX *clasp_test_client_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL || !pin_tls13(ctx) || !clasp_test_ctx_trust_root(ctx)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

char *clasp_test_write_chain_pem(clasp_test_key key, clasp_test_leaf kind)
{
    X509 *leaf = clasp_test_leaf_get0(key, kind);
    X509 *inter = clasp_test_intermediate_get0();
    const char *dir = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    size_t path_len = strlen(dir) + sizeof("/clasp-chain-XXXXXX");
    char *path = malloc(path_len);
    if (leaf == NULL || inter == NULL || path == NULL) {
        free(path);
        return NULL;
    }
    snprintf(path, path_len, "%s/clasp-chain-XXXXXX", dir);
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok = f != NULL && PEM_write_X509(f, leaf) == 1 &&
             (kind == CLASP_TEST_LEAF_UNKNOWN_CA || PEM_write_X509(f, inter) == 1);
    if (f != NULL) {
        ok = fclose(f) == 0 && ok;
    } else if (fd >= 0) {
        close(fd);
    }
    if (!ok) {
        if (fd >= 0) {
            unlink(path);
        }
        free(path);
        return NULL;
    }
    return path;
}

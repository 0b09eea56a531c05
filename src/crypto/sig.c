/* Signatures for CertificateVerify and ServerKeyExchange (RFC 9846 §4.3.3,
 * §4.5.2).  A scheme names the key type, the padding and the hash; the
 * table below is the only place those pairings live. */
#include "crypto/crypto_local.h"

#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

typedef enum { K_RSA_PKCS1, K_RSA_PSS_RSAE, K_RSA_PSS_PSS, K_ECDSA, K_ED25519 } sig_kind;

typedef struct {
    uint16_t scheme;
    sig_kind kind;
    const char *md;     /* digest name for EVP_DigestSignInit_ex; NULL: none */
    const char *md_alt; /* the provider's other spelling, as PSS key params give it */
    int hash_nid;
    int curve_nid;      /* ECDSA: the curve the scheme binds in TLS 1.3 */
    size_t md_len;      /* the digest's length (the PSS salt length) */
} sig_alg;

#define SHA256_ "SHA256", "SHA2-256", NID_sha256
#define SHA384_ "SHA384", "SHA2-384", NID_sha384
#define SHA512_ "SHA512", "SHA2-512", NID_sha512

static const sig_alg sig_algs[] = {
    {CLASP_SIG_RSA_PKCS1_SHA256, K_RSA_PKCS1, SHA256_, NID_undef, 32},
    {CLASP_SIG_RSA_PKCS1_SHA384, K_RSA_PKCS1, SHA384_, NID_undef, 48},
    {CLASP_SIG_RSA_PKCS1_SHA512, K_RSA_PKCS1, SHA512_, NID_undef, 64},
    /* RFC 9846 §4.3.3: in TLS 1.3 each ECDSA scheme names its curve. */
    {CLASP_SIG_ECDSA_SECP256R1_SHA256, K_ECDSA, SHA256_, NID_X9_62_prime256v1, 32},
    {CLASP_SIG_ECDSA_SECP384R1_SHA384, K_ECDSA, SHA384_, NID_secp384r1, 48},
    {CLASP_SIG_ECDSA_SECP521R1_SHA512, K_ECDSA, SHA512_, NID_secp521r1, 64},
    {CLASP_SIG_RSA_PSS_RSAE_SHA256, K_RSA_PSS_RSAE, SHA256_, NID_undef, 32},
    {CLASP_SIG_RSA_PSS_RSAE_SHA384, K_RSA_PSS_RSAE, SHA384_, NID_undef, 48},
    {CLASP_SIG_RSA_PSS_RSAE_SHA512, K_RSA_PSS_RSAE, SHA512_, NID_undef, 64},
    {CLASP_SIG_ED25519, K_ED25519, NULL, NULL, NID_undef, NID_undef, 0},
    {CLASP_SIG_RSA_PSS_PSS_SHA256, K_RSA_PSS_PSS, SHA256_, NID_undef, 32},
    {CLASP_SIG_RSA_PSS_PSS_SHA384, K_RSA_PSS_PSS, SHA384_, NID_undef, 48},
    {CLASP_SIG_RSA_PSS_PSS_SHA512, K_RSA_PSS_PSS, SHA512_, NID_undef, 64},
};

static const sig_alg *find_alg(uint16_t scheme)
{
    for (size_t i = 0; i < sizeof(sig_algs) / sizeof(sig_algs[0]); i++) {
        if (sig_algs[i].scheme == scheme) {
            return &sig_algs[i];
        }
    }
    return NULL;
}

int clasp_sig_scheme_hash_nid(uint16_t scheme)
{
    const sig_alg *alg = find_alg(scheme);

    return alg == NULL ? NID_undef : alg->hash_nid;
}

int clasp_sig_scheme_type_nid(uint16_t scheme)
{
    const sig_alg *alg = find_alg(scheme);

    if (alg == NULL) {
        return NID_undef;
    }
    switch (alg->kind) {
    case K_RSA_PKCS1:
        return EVP_PKEY_RSA;
    case K_RSA_PSS_RSAE:
    case K_RSA_PSS_PSS:
        return EVP_PKEY_RSA_PSS; /* what OpenSSL reports for both PSS kinds */
    case K_ECDSA:
        return EVP_PKEY_EC;
    case K_ED25519:
        return EVP_PKEY_ED25519;
    default:
        return NID_undef;
    }
}

static int ec_curve_nid(const EVP_PKEY *key)
{
    char name[64];
    int nid;

    if (!EVP_PKEY_get_group_name(key, name, sizeof(name), NULL)) {
        return NID_undef;
    }
    nid = OBJ_txt2nid(name);
    return nid != NID_undef ? nid : EC_curve_nist2nid(name);
}

static int md_is(const char *name, const sig_alg *alg)
{
    return strcasecmp(name, alg->md) == 0 || strcasecmp(name, alg->md_alt) == 0;
}

/* An RSASSA-PSS key may carry restrictions (RFC 4055): a hash, an MGF1
 * hash and a minimum salt length.  RFC 9846 §4.3.3 wants MGF1 with the
 * scheme's hash and a salt as long as the digest, so a restricted key fits
 * a scheme only when all three allow that.  OpenSSL leaves out parameters
 * at their RFC 4055 defaults: a restricted key without an MGF1 hash uses
 * SHA-1 for MGF1, which no TLS 1.3 scheme allows. */
static int pss_key_allows(const EVP_PKEY *key, const sig_alg *alg)
{
    char md[64];
    int min_salt = 0;

    if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_RSA_DIGEST, md, sizeof(md), NULL)) {
        return 1; /* unrestricted */
    }
    if (!md_is(md, alg)) {
        return 0;
    }
    if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_RSA_MGF1_DIGEST, md, sizeof(md),
                                        NULL) ||
        !md_is(md, alg)) {
        return 0;
    }
    return !EVP_PKEY_get_int_param(key, OSSL_PKEY_PARAM_RSA_PSS_SALTLEN, &min_salt) ||
           (min_salt >= 0 && (size_t)min_salt <= alg->md_len);
}

/* The ECDSA curves a TLS 1.2 signature may come from (RFC 8422 §5.1.1:
 * the named curves Clasp supports). */
static int ec_curve_supported(const EVP_PKEY *key)
{
    int nid = ec_curve_nid(key);

    return nid == NID_X9_62_prime256v1 || nid == NID_secp384r1 || nid == NID_secp521r1;
}

/* tls12: RFC 5246 §7.4.1.4.1 / RFC 8422 §5.10 — in TLS 1.2 an ECDSA scheme
 * names only the hash, the curve is the key's. */
static int alg_fits_key(const sig_alg *alg, const EVP_PKEY *key, int tls12)
{
    switch (alg->kind) {
    case K_RSA_PKCS1:
    case K_RSA_PSS_RSAE:
        /* rsaEncryption keys; RFC 9846 §4.3.3 */
        return EVP_PKEY_is_a(key, "RSA");
    case K_RSA_PSS_PSS:
        return EVP_PKEY_is_a(key, "RSA-PSS") && pss_key_allows(key, alg);
    case K_ECDSA:
        if (tls12) {
            return EVP_PKEY_is_a(key, "EC") && ec_curve_supported(key);
        }
        return EVP_PKEY_is_a(key, "EC") && ec_curve_nid(key) == alg->curve_nid;
    case K_ED25519:
        return EVP_PKEY_is_a(key, "ED25519");
    default:
        return 0;
    }
}

int clasp_sig_scheme_fits_key(uint16_t scheme, const EVP_PKEY *key)
{
    const sig_alg *alg = find_alg(scheme);

    return alg != NULL && key != NULL && alg_fits_key(alg, key, 0);
}

clasp_key_kind clasp_sig_key_kind(const EVP_PKEY *key)
{
    if (key == NULL) {
        return CLASP_KEY_OTHER;
    }
    if (EVP_PKEY_is_a(key, "RSA")) {
        return CLASP_KEY_RSA;
    }
    if (EVP_PKEY_is_a(key, "RSA-PSS")) {
        return CLASP_KEY_RSA_PSS;
    }
    if (EVP_PKEY_is_a(key, "EC")) {
        return CLASP_KEY_EC;
    }
    if (EVP_PKEY_is_a(key, "ED25519")) {
        return CLASP_KEY_ED25519;
    }
    return CLASP_KEY_OTHER;
}

/* The NamedGroup of a curve Clasp supports, or 0. */
static uint16_t group_of_curve(int nid)
{
    switch (nid) {
    case NID_X9_62_prime256v1:
        return CLASP_GROUP_SECP256R1;
    case NID_secp384r1:
        return CLASP_GROUP_SECP384R1;
    case NID_secp521r1:
        return CLASP_GROUP_SECP521R1;
    default:
        return 0;
    }
}

uint16_t clasp_sig_key_group(const EVP_PKEY *key)
{
    if (key == NULL || !EVP_PKEY_is_a(key, "EC")) {
        return 0;
    }
    return group_of_curve(ec_curve_nid(key));
}

/* alg_fits_key() with the key's kind and group known: the same rules (a
 * TLS 1.2 ECDSA key fits on any supported curve, which is what a nonzero
 * group says). */
int clasp_sig_scheme_fits_described(uint16_t scheme, clasp_key_kind kind, uint16_t group,
                                    const EVP_PKEY *key, int tls12)
{
    const sig_alg *alg = find_alg(scheme);

    if (alg == NULL || key == NULL) {
        return 0;
    }
    switch (alg->kind) {
    case K_RSA_PKCS1:
    case K_RSA_PSS_RSAE:
        return kind == CLASP_KEY_RSA;
    case K_RSA_PSS_PSS:
        return kind == CLASP_KEY_RSA_PSS && pss_key_allows(key, alg);
    case K_ECDSA:
        return kind == CLASP_KEY_EC &&
               (tls12 ? group != 0 : group != 0 && group == group_of_curve(alg->curve_nid));
    case K_ED25519:
        return kind == CLASP_KEY_ED25519;
    default:
        return 0;
    }
}

int clasp_sig_scheme_fits_key_tls12(uint16_t scheme, const EVP_PKEY *key)
{
    const sig_alg *alg = find_alg(scheme);

    return alg != NULL && key != NULL && alg_fits_key(alg, key, 1);
}

/* RSA-PSS per RFC 9846 §4.3.3: MGF1 with the scheme's hash and a salt as
 * long as the digest.  PKCS#1 v1.5 is set explicitly rather than trusted
 * as the default. */
static int set_padding(EVP_PKEY_CTX *pctx, const sig_alg *alg)
{
    switch (alg->kind) {
    case K_RSA_PKCS1:
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
    case K_RSA_PSS_RSAE:
    case K_RSA_PSS_PSS:
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0 &&
               EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, alg->md, NULL) > 0;
    default:
        return 1;
    }
}

/* Starts a one-shot sign (sign = 1) or verify over mctx: checks the scheme
 * against the key and sets its padding.  Returns the scheme or NULL. */
static const sig_alg *start(const clasp_crypto *c, EVP_MD_CTX *mctx, EVP_PKEY *key,
                            uint16_t scheme, int sign, int tls12)
{
    const sig_alg *alg = find_alg(scheme);
    EVP_PKEY_CTX *pctx = NULL;
    int ok;

    if (alg == NULL || key == NULL || !alg_fits_key(alg, key, tls12)) {
        return NULL;
    }
    if (sign) {
        ok = EVP_DigestSignInit_ex(mctx, &pctx, alg->md, c->libctx, c->propq, key, NULL);
    } else {
        ok = EVP_DigestVerifyInit_ex(mctx, &pctx, alg->md, c->libctx, c->propq, key, NULL);
    }
    if (ok != 1 || !set_padding(pctx, alg)) {
        return NULL;
    }
    return alg;
}

/* The digest of msg with the ECDSA scheme's hash (SHA-256 or SHA-384,
 * fetched once per SSL_CTX); its length, or 0. */
static size_t ecdsa_prehash(const clasp_crypto *c, const sig_alg *alg, const uint8_t *msg,
                            size_t msg_len, uint8_t *digest)
{
    clasp_hash_id h = alg->hash_nid == NID_sha256 ? CLASP_HASH_SHA256 : CLASP_HASH_SHA384;

    return clasp_hash(c, h, msg, msg_len, digest) ? clasp_hash_len(h) : 0;
}

/* ECDSA signs a digest, so the message is hashed here and only the
 * signature runs through an EVP_PKEY_CTX: EVP_DigestSignInit_ex would fetch
 * the digest by name and set up a digest context on every call.  The hash
 * is the scheme's (RFC 9846 §4.3.3; RFC 8422 §5.10 for TLS 1.2).  Returns
 * 1 for an ECDSA scheme with SHA-256 or SHA-384, digest filled
 * (*digest_len 0 when the key does not fit the scheme: a failure); 0 for
 * every other scheme, which takes the one-shot path. */
static int ecdsa_digest(const clasp_crypto *c, EVP_PKEY *key, uint16_t scheme, int tls12,
                        const uint8_t *msg, size_t msg_len, uint8_t *digest, size_t *digest_len)
{
    const sig_alg *alg = find_alg(scheme);

    *digest_len = 0;
    if (alg == NULL || alg->kind != K_ECDSA ||
        (alg->hash_nid != NID_sha256 && alg->hash_nid != NID_sha384)) {
        return 0;
    }
    if (alg_fits_key(alg, key, tls12)) {
        *digest_len = ecdsa_prehash(c, alg, msg, msg_len, digest);
    }
    return 1;
}

static int ecdsa_sign_digest(const clasp_crypto *c, EVP_PKEY *key, const uint8_t *digest,
                             size_t digest_len, uint8_t *sig, size_t *sig_len)
{
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(c->libctx, key, c->propq);
    int ok = pctx != NULL && EVP_PKEY_sign_init(pctx) == 1 &&
             EVP_PKEY_sign(pctx, sig, sig_len, digest, digest_len) == 1;

    EVP_PKEY_CTX_free(pctx);
    return ok;
}

static int ecdsa_verify_digest(const clasp_crypto *c, EVP_PKEY *key, const uint8_t *digest,
                               size_t digest_len, const uint8_t *sig, size_t sig_len)
{
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(c->libctx, key, c->propq);
    int ok = pctx != NULL && EVP_PKEY_verify_init(pctx) == 1 &&
             EVP_PKEY_verify(pctx, sig, sig_len, digest, digest_len) == 1;

    EVP_PKEY_CTX_free(pctx);
    return ok;
}

static int sign_v(const clasp_crypto *c, EVP_PKEY *key, uint16_t scheme, const uint8_t *msg,
                  size_t msg_len, uint8_t *sig, size_t *sig_len, int tls12)
{
    EVP_MD_CTX *mctx;
    uint8_t digest[CLASP_MAX_HASH_LEN];
    size_t digest_len;
    size_t len = CLASP_MAX_SIG_LEN;
    int ok = 0;

    if (key == NULL || EVP_PKEY_get_size(key) <= 0 || EVP_PKEY_get_size(key) > CLASP_MAX_SIG_LEN) {
        return 0;
    }
    if (ecdsa_digest(c, key, scheme, tls12, msg, msg_len, digest, &digest_len)) {
        ok = digest_len > 0 && ecdsa_sign_digest(c, key, digest, digest_len, sig, &len);
        OPENSSL_cleanse(digest, sizeof(digest));
        *sig_len = ok ? len : 0;
        return ok;
    }
    mctx = EVP_MD_CTX_new();
    if (mctx == NULL) {
        return 0;
    }
    if (start(c, mctx, key, scheme, 1, tls12) != NULL &&
        EVP_DigestSign(mctx, sig, &len, msg, msg_len) == 1) {
        *sig_len = len;
        ok = 1;
    }
    EVP_MD_CTX_free(mctx);
    return ok;
}

/* A signature that does not verify is the peer's doing, not an error of
 * ours: libcrypto's reasons for it (bad DER, bad padding …) are dropped so
 * that the caller's one SSL_R_* reason is all the queue holds. */
static int verify_v(const clasp_crypto *c, EVP_PKEY *key, uint16_t scheme, const uint8_t *msg,
                    size_t msg_len, const uint8_t *sig, size_t sig_len, int tls12)
{
    EVP_MD_CTX *mctx;
    uint8_t digest[CLASP_MAX_HASH_LEN];
    size_t digest_len;
    int ok;

    ERR_set_mark();
    if (key != NULL && ecdsa_digest(c, key, scheme, tls12, msg, msg_len, digest, &digest_len)) {
        ok = digest_len > 0 && ecdsa_verify_digest(c, key, digest, digest_len, sig, sig_len);
        ERR_pop_to_mark();
        return ok;
    }
    mctx = EVP_MD_CTX_new();
    if (mctx == NULL) {
        ERR_pop_to_mark();
        return 0;
    }
    ok = start(c, mctx, key, scheme, 0, tls12) != NULL &&
         EVP_DigestVerify(mctx, sig, sig_len, msg, msg_len) == 1;
    ERR_pop_to_mark();
    EVP_MD_CTX_free(mctx);
    return ok;
}

int clasp_sig_sign(const clasp_crypto *c, EVP_PKEY *key, uint16_t scheme, const uint8_t *msg,
                   size_t msg_len, uint8_t *sig, size_t *sig_len)
{
    return sign_v(c, key, scheme, msg, msg_len, sig, sig_len, 0);
}

int clasp_sig_verify(const clasp_crypto *c, EVP_PKEY *key, uint16_t scheme,
                     const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len)
{
    return verify_v(c, key, scheme, msg, msg_len, sig, sig_len, 0);
}

int clasp_sig_sign_tls12(const clasp_crypto *c, EVP_PKEY *key, uint16_t scheme,
                         const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t *sig_len)
{
    return sign_v(c, key, scheme, msg, msg_len, sig, sig_len, 1);
}

int clasp_sig_verify_tls12(const clasp_crypto *c, EVP_PKEY *key, uint16_t scheme,
                           const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                           size_t sig_len)
{
    return verify_v(c, key, scheme, msg, msg_len, sig, sig_len, 1);
}

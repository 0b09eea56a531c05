/*
 * floor.c — the libcrypto work a full TLS 1.3 handshake cannot avoid.
 *
 * Both sides' share of it, called directly with every algorithm fetched once:
 * two key-share generations and two derivations (RFC 9846 §4.3.8, §7.4.2), the
 * server's CertificateVerify signature and the client's check of it (§4.5.2),
 * the client's parse of the certificate (it needs the key), the key schedule
 * (§7.1: three extracts and six Derive-Secrets per side, traffic keys and IVs
 * for the handshake and application secrets (§7.3), two finished keys and two
 * Finished MACs (§4.5.3): 21 HMACs per side), the transcript hash of every
 * message on each side with the four snapshots the key schedule needs (§4.1),
 * traffic-key setup, one sealed and opened record per flight (§5.2), and
 * X509_verify_cert() when the client verifies.
 * (Section numbers are those of /work/shared/spec/rfc9846-tls13.md.)
 */

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "bench.h"

enum fmsg { M_CH, M_SH, M_EE, M_CERT, M_CV, M_SFIN, M_CFIN, M_NUM };

struct floor {
    struct floor_cfg cfg;
    EVP_PKEY_CTX *kx_gen, *kx_import, *sign;
    EVP_MD *sha256;
    EVP_MAC *mac;
    EVP_MAC_CTX *hmac;
    EVP_CIPHER *cipher;
    EVP_CIPHER_CTX *seal, *open;
    EVP_MD_CTX *th, *snap;
    X509_STORE *store;
    X509 *peer; /* the client's parse of the server certificate, per handshake */
    unsigned char *leaf_der;
    int leaf_der_len;
    size_t msg_len[M_NUM], msg_off[M_NUM];
    unsigned char msgs[4096];
    unsigned char cv_sig[512];
    size_t cv_sig_len;
    unsigned char digest[EVP_MAX_MD_SIZE]; /* the latest transcript snapshot */
    unsigned char cv_th[32];               /* the transcript hash CertificateVerify covers */
    unsigned char rec[4096 + 64];
};

void clasp_floor_free(struct floor *fl)
{
    if (fl == NULL) {
        return;
    }
    EVP_PKEY_CTX_free(fl->kx_gen);
    EVP_PKEY_CTX_free(fl->kx_import);
    EVP_PKEY_CTX_free(fl->sign);
    EVP_MD_free(fl->sha256);
    EVP_MAC_CTX_free(fl->hmac);
    EVP_MAC_free(fl->mac);
    EVP_CIPHER_CTX_free(fl->seal);
    EVP_CIPHER_CTX_free(fl->open);
    EVP_CIPHER_free(fl->cipher);
    EVP_MD_CTX_free(fl->th);
    EVP_MD_CTX_free(fl->snap);
    X509_STORE_free(fl->store);
    X509_free(fl->peer);
    OPENSSL_free(fl->leaf_der);
    OPENSSL_free(fl);
}

static int kx_public(const struct floor *fl, EVP_PKEY *k, unsigned char *out, size_t *len)
{
    if (!fl->cfg.p256) {
        *len = 32;
        return EVP_PKEY_get_raw_public_key(k, out, len) == 1;
    }
    unsigned char *p = NULL;
    size_t n = EVP_PKEY_get1_encoded_public_key(k, &p);
    int ok = n > 0 && n <= 133;
    if (ok) {
        memcpy(out, p, n);
        *len = n;
    }
    OPENSSL_free(p);
    return ok;
}

static EVP_PKEY *kx_import(const struct floor *fl, unsigned char *pub, size_t len)
{
    if (!fl->cfg.p256) {
        return EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, pub, len);
    }
    char group[] = "P-256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, len),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY *k = NULL;
    if (EVP_PKEY_fromdata(fl->kx_import, &k, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        return NULL;
    }
    return k;
}

/* RFC 9846 §4.3.8.2: a P-256 share must be a point on the curve. The cofactor is 1,
 * so that is libcrypto's "quick" public check; the full one (what
 * EVP_PKEY_derive_set_peer() runs) adds an n*Q multiplication the RFC does not ask for.
 * X25519 needs no check of the share (RFC 9846 §7.4.2 checks the output instead, and
 * libcrypto's X25519 derivation fails on an all-zero one). */
static int kx_check(const struct floor *fl, EVP_PKEY *peer)
{
    if (!fl->cfg.p256) {
        return 1;
    }
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL);
    int ok = c != NULL && EVP_PKEY_public_check_quick(c) == 1;
    EVP_PKEY_CTX_free(c);
    return ok;
}

static int kx_derive(const struct floor *fl, EVP_PKEY *own, EVP_PKEY *peer)
{
    unsigned char secret[80];
    size_t len = sizeof(secret);
    EVP_PKEY_CTX *d = EVP_PKEY_CTX_new_from_pkey(NULL, own, NULL);
    int ok = d != NULL && kx_check(fl, peer) && EVP_PKEY_derive_init(d) == 1 &&
             EVP_PKEY_derive_set_peer_ex(d, peer, 0) == 1 && EVP_PKEY_derive(d, secret, &len) == 1;
    EVP_PKEY_CTX_free(d);
    return ok;
}

/* Randoms, both key shares, both derivations. */
static int floor_kex(struct floor *fl)
{
    unsigned char rnd[64], cpub[133], spub[133];
    size_t clen = 0, slen = 0;
    EVP_PKEY *ck = NULL, *sk = NULL, *cpeer = NULL, *speer = NULL;
    int ok = RAND_bytes(rnd, 32) == 1 && RAND_bytes(rnd + 32, 32) == 1 &&
             EVP_PKEY_keygen(fl->kx_gen, &ck) == 1 && kx_public(fl, ck, cpub, &clen) &&
             EVP_PKEY_keygen(fl->kx_gen, &sk) == 1 && kx_public(fl, sk, spub, &slen) &&
             (speer = kx_import(fl, cpub, clen)) != NULL && kx_derive(fl, sk, speer) &&
             (cpeer = kx_import(fl, spub, slen)) != NULL && kx_derive(fl, ck, cpeer);
    EVP_PKEY_free(ck);
    EVP_PKEY_free(sk);
    EVP_PKEY_free(cpeer);
    EVP_PKEY_free(speer);
    return ok;
}

static int th_add(struct floor *fl, enum fmsg m)
{
    return EVP_DigestUpdate(fl->th, fl->msgs + fl->msg_off[m], fl->msg_len[m]) == 1;
}

static int th_snapshot(struct floor *fl)
{
    return EVP_MD_CTX_copy_ex(fl->snap, fl->th) == 1 && EVP_DigestFinal_ex(fl->snap, fl->digest, NULL) == 1;
}

/* One side's transcript: every message, snapshots after SH, Certificate, CV, server Finished. */
static int floor_transcript_side(struct floor *fl)
{
    return EVP_DigestInit_ex2(fl->th, fl->sha256, NULL) == 1 && th_add(fl, M_CH) && th_add(fl, M_SH) &&
           th_snapshot(fl) && th_add(fl, M_EE) && th_add(fl, M_CERT) && th_snapshot(fl) &&
           th_add(fl, M_CV) && th_snapshot(fl) && th_add(fl, M_SFIN) && th_snapshot(fl) &&
           th_add(fl, M_CFIN);
}

static int floor_transcript(struct floor *fl)
{
    return floor_transcript_side(fl) && floor_transcript_side(fl);
}

static int hmac_once(struct floor *fl, const unsigned char *key, const unsigned char *data, size_t len,
                     unsigned char *out)
{
    size_t outl = 0;
    return EVP_MAC_init(fl->hmac, key, 32, NULL) == 1 && EVP_MAC_update(fl->hmac, data, len) == 1 &&
           EVP_MAC_final(fl->hmac, out, &outl, 32) == 1;
}

/* HKDF-Expand-Label for outputs up to one hash length: a single HMAC (RFC 9846 §7.1). */
static int expand_label(struct floor *fl, const unsigned char *secret, const char *label, size_t out_len,
                        unsigned char *out)
{
    unsigned char info[2 + 1 + 255 + 1 + 32 + 1];
    size_t ll = 6 + strlen(label), n = 0;
    info[n++] = (unsigned char)(out_len >> 8);
    info[n++] = (unsigned char)out_len;
    info[n++] = (unsigned char)ll;
    memcpy(info + n, "tls13 ", 6);
    memcpy(info + n + 6, label, ll - 6);
    n += ll;
    info[n++] = 32;
    memcpy(info + n, fl->digest, 32);
    n += 32;
    info[n++] = 1;
    return hmac_once(fl, secret, info, n, out);
}

/* One side's key schedule: 21 HMACs. */
static int floor_hkdf_side(struct floor *fl)
{
    static const char *const traffic[] = {"c hs traffic", "s hs traffic", "c ap traffic", "s ap traffic"};
    unsigned char zero[32] = {0}, secret[32], derived[32], t[4][32], k[32], fin[2][32];
    int ok = hmac_once(fl, zero, zero, 32, secret) && expand_label(fl, secret, "derived", 32, derived) &&
             hmac_once(fl, derived, fl->digest, 32, secret) && /* handshake secret */
             expand_label(fl, secret, traffic[0], 32, t[0]) && expand_label(fl, secret, traffic[1], 32, t[1]) &&
             expand_label(fl, secret, "derived", 32, derived) &&
             hmac_once(fl, derived, zero, 32, secret) && /* master secret */
             expand_label(fl, secret, traffic[2], 32, t[2]) && expand_label(fl, secret, traffic[3], 32, t[3]);
    for (int i = 0; ok && i < 4; i++) {
        ok = expand_label(fl, t[i], "key", fl->cfg.key_len, k) && expand_label(fl, t[i], "iv", 12, k);
    }
    for (int i = 0; ok && i < 2; i++) {
        ok = expand_label(fl, t[i], "finished", 32, fin[i]) && hmac_once(fl, fin[i], fl->digest, 32, k);
    }
    return ok;
}

static int floor_hkdf(struct floor *fl)
{
    return floor_hkdf_side(fl) && floor_hkdf_side(fl);
}

/* The CertificateVerify content of RFC 9846 §4.5.2, hashed. */
static int cv_digest(struct floor *fl, unsigned char *out)
{
    static const char ctx[] = "TLS 1.3, server CertificateVerify";
    unsigned char content[64 + sizeof(ctx) + 32];
    memset(content, 0x20, 64);
    memcpy(content + 64, ctx, sizeof(ctx)); /* with its 0 separator */
    memcpy(content + 64 + sizeof(ctx), fl->cv_th, 32);
    return EVP_Digest(content, sizeof(content), out, NULL, fl->sha256, NULL) == 1;
}

/* ECDSA with SHA-256, or RSA-PSS with SHA-256 and a salt of the hash length (RFC 9846 §4.3.3). */
static int sig_params(struct floor *fl, EVP_PKEY_CTX *ctx)
{
    if (EVP_PKEY_CTX_set_signature_md(ctx, fl->sha256) != 1) {
        return 0;
    }
    if (!fl->cfg.rsa) {
        return 1;
    }
    return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, fl->sha256) == 1;
}

static int floor_sign(struct floor *fl)
{
    unsigned char dgst[32], sig[512];
    size_t len = sizeof(sig);
    return cv_digest(fl, dgst) && EVP_PKEY_sign_init(fl->sign) == 1 && sig_params(fl, fl->sign) &&
           EVP_PKEY_sign(fl->sign, sig, &len, dgst, 32) == 1;
}

/* The client parses the certificate: it needs the key. */
static int floor_parse(struct floor *fl)
{
    const unsigned char *p = fl->leaf_der;
    X509_free(fl->peer);
    fl->peer = d2i_X509(NULL, &p, fl->leaf_der_len);
    return fl->peer != NULL && X509_get0_pubkey(fl->peer) != NULL;
}

/* The client checks the CertificateVerify with the key of the certificate it parsed. */
static int floor_verify(struct floor *fl)
{
    unsigned char dgst[32];
    EVP_PKEY_CTX *v = EVP_PKEY_CTX_new_from_pkey(NULL, X509_get0_pubkey(fl->peer), NULL);
    int ok = v != NULL && cv_digest(fl, dgst) && EVP_PKEY_verify_init(v) == 1 && sig_params(fl, v) &&
             EVP_PKEY_verify(v, fl->cv_sig, fl->cv_sig_len, dgst, 32) == 1;
    EVP_PKEY_CTX_free(v);
    return ok;
}

/* X509_verify_cert() as a client sets it up: ssl_server purpose, the host name. */
static int floor_chain(struct floor *fl)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int ok = ctx != NULL && X509_STORE_CTX_init(ctx, fl->store, fl->peer, NULL) == 1 &&
             X509_STORE_CTX_set_default(ctx, "ssl_server") == 1 &&
             X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), fl->cfg.host, 0) == 1 &&
             X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    return ok;
}

static int aead_record(struct floor *fl, size_t len)
{
    unsigned char iv[12] = {1}, aad[5] = {23, 3, 3, 0, 0}, tag[16];
    int outl = 0, fin = 0;
    aad[3] = (unsigned char)((len + 16) >> 8);
    aad[4] = (unsigned char)(len + 16);
    int ok = EVP_EncryptInit_ex2(fl->seal, NULL, NULL, iv, NULL) == 1 &&
             EVP_EncryptUpdate(fl->seal, NULL, &outl, aad, 5) == 1 &&
             EVP_EncryptUpdate(fl->seal, fl->rec, &outl, fl->msgs, (int)len) == 1 &&
             EVP_EncryptFinal_ex(fl->seal, fl->rec + outl, &fin) == 1 &&
             EVP_CIPHER_CTX_ctrl(fl->seal, EVP_CTRL_AEAD_GET_TAG, 16, tag) == 1;
    ok = ok && EVP_DecryptInit_ex2(fl->open, NULL, NULL, iv, NULL) == 1 &&
         EVP_DecryptUpdate(fl->open, NULL, &outl, aad, 5) == 1 &&
         EVP_DecryptUpdate(fl->open, fl->rec, &outl, fl->rec, (int)len) == 1 &&
         EVP_CIPHER_CTX_ctrl(fl->open, EVP_CTRL_AEAD_SET_TAG, 16, tag) == 1 &&
         EVP_DecryptFinal_ex(fl->open, fl->rec + outl, &fin) == 1;
    return ok;
}

/* Eight traffic-key installations (handshake and application, both directions, both
 * sides) and one record per flight, sealed by one side and opened by the other. */
static int floor_aead(struct floor *fl)
{
    unsigned char key[32] = {7};
    size_t flight = fl->msg_len[M_EE] + fl->msg_len[M_CERT] + fl->msg_len[M_CV] + fl->msg_len[M_SFIN] + 1;
    int ok = 1;
    for (int i = 0; ok && i < 2; i++) {
        ok = EVP_EncryptInit_ex2(fl->seal, fl->cipher, key, NULL, NULL) == 1 &&
             EVP_DecryptInit_ex2(fl->open, fl->cipher, key, NULL, NULL) == 1 &&
             aead_record(fl, i == 0 ? flight : fl->msg_len[M_CFIN] + 1);
    }
    for (int i = 0; ok && i < 2; i++) {
        ok = EVP_EncryptInit_ex2(fl->seal, fl->cipher, key, NULL, NULL) == 1 &&
             EVP_DecryptInit_ex2(fl->open, fl->cipher, key, NULL, NULL) == 1;
    }
    return ok;
}

int clasp_floor_handshake(struct floor *fl)
{
    return floor_kex(fl) && floor_transcript(fl) && floor_hkdf(fl) && floor_sign(fl) && floor_parse(fl) &&
           floor_verify(fl) &&
           (!fl->cfg.verify || floor_chain(fl)) && floor_aead(fl);
}

/* Message sizes of a typical handshake with this certificate: the hash and AEAD work follow them. */
static void floor_messages(struct floor *fl)
{
    size_t share = fl->cfg.p256 ? 65 : 32;
    fl->msg_len[M_CH] = 220 + share;
    fl->msg_len[M_SH] = 58 + share;
    fl->msg_len[M_EE] = 10;
    fl->msg_len[M_CERT] = (size_t)fl->leaf_der_len + 13;
    fl->msg_len[M_CV] = fl->cv_sig_len + 8;
    fl->msg_len[M_SFIN] = 36;
    fl->msg_len[M_CFIN] = 36;
    size_t off = 0;
    for (int m = 0; m < M_NUM; m++) {
        fl->msg_off[m] = off;
        off += fl->msg_len[m];
    }
    RAND_bytes(fl->msgs, (int)sizeof(fl->msgs));
}

static int floor_fetch(struct floor *fl)
{
    const struct floor_cfg *r = &fl->cfg;
    OSSL_PARAM dig[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
                        OSSL_PARAM_construct_end()};
    fl->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    fl->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    fl->hmac = fl->mac != NULL ? EVP_MAC_CTX_new(fl->mac) : NULL;
    fl->cipher = EVP_CIPHER_fetch(NULL, r->cipher, NULL);
    fl->seal = EVP_CIPHER_CTX_new();
    fl->open = EVP_CIPHER_CTX_new();
    fl->th = EVP_MD_CTX_new();
    fl->snap = EVP_MD_CTX_new();
    fl->kx_gen = EVP_PKEY_CTX_new_from_name(NULL, r->p256 ? "EC" : "X25519", NULL);
    fl->kx_import = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    fl->sign = EVP_PKEY_CTX_new_from_pkey(NULL, r->key, NULL);
    return fl->sha256 && fl->hmac && fl->cipher && fl->seal && fl->open && fl->th && fl->snap &&
           fl->kx_gen && fl->kx_import && fl->sign && EVP_MAC_CTX_set_params(fl->hmac, dig) == 1 &&
           EVP_PKEY_keygen_init(fl->kx_gen) == 1 &&
           (!r->p256 || EVP_PKEY_CTX_set_group_name(fl->kx_gen, "P-256") == 1) &&
           EVP_PKEY_fromdata_init(fl->kx_import) == 1;
}

struct floor *clasp_floor_new(const struct floor_cfg *cfg)
{
    struct floor *fl = OPENSSL_zalloc(sizeof(*fl));
    unsigned char dgst[32];
    if (fl == NULL) {
        return NULL;
    }
    fl->cfg = *cfg;
    fl->cv_sig_len = sizeof(fl->cv_sig);
    fl->leaf_der_len = i2d_X509(cfg->leaf, &fl->leaf_der);
    RAND_bytes(fl->cv_th, sizeof(fl->cv_th));
    fl->store = X509_STORE_new();
    /* The CertificateVerify the client checks: made once, with the row's key. */
    int ok = fl->leaf_der_len > 0 && fl->store != NULL && X509_STORE_add_cert(fl->store, cfg->ca) &&
             floor_fetch(fl) && cv_digest(fl, dgst) && EVP_PKEY_sign_init(fl->sign) == 1 &&
             sig_params(fl, fl->sign) && EVP_PKEY_sign(fl->sign, fl->cv_sig, &fl->cv_sig_len, dgst, 32) == 1;
    if (ok) {
        floor_messages(fl);
        ok = clasp_floor_handshake(fl);
    }
    if (!ok) {
        clasp_floor_free(fl);
        return NULL;
    }
    return fl;
}

const struct floor_part clasp_floor_parts[] = {
    {"kex", 0, floor_kex},     {"sign", 0, floor_sign},
    {"parse", 0, floor_parse}, {"verify", 0, floor_verify},
    {"chain", 1, floor_chain}, {"hkdf", 0, floor_hkdf},
    {"transcript", 0, floor_transcript}, {"aead", 0, floor_aead},
};
const size_t clasp_floor_num_parts = sizeof(clasp_floor_parts) / sizeof(clasp_floor_parts[0]);

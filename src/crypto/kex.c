/* Ephemeral (EC)DHE for TLS 1.3 key shares (RFC 9846 §4.3.8, §7.4):
 * X25519, secp256r1, secp384r1, secp521r1.
 *
 * Every key is made from a per-group template built once in
 * clasp_crypto_new(): keygen from a template skips the key-manager fetch
 * and, for the NIST curves, the EC_GROUP construction that
 * EVP_PKEY_CTX_new_from_name() + a group-name parameter repeats on each
 * call (P-256 keygen measured 14 us against 34 us on OpenSSL 3.0). */
#include "crypto/crypto_local.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

static const struct {
    uint16_t group;
    const char *alg;   /* key type for EVP_PKEY_CTX_new_from_name */
    const char *curve; /* OSSL_PKEY_PARAM_GROUP_NAME, NULL for X25519 */
    size_t pub_len;    /* the key_exchange encoding's fixed length */
    size_t secret_len; /* the shared secret's fixed length */
} groups[KEX_NUM] = {
    [KEX_X25519] = {CLASP_GROUP_X25519, "X25519", NULL, 32, 32},
    /* RFC 9846 §4.3.8.2: 1 + 2 * coordinate length; §7.4.2: Z is the
     * x-coordinate, as long as the field, never truncated. */
    [KEX_P256] = {CLASP_GROUP_SECP256R1, "EC", "prime256v1", 65, 32},
    [KEX_P384] = {CLASP_GROUP_SECP384R1, "EC", "secp384r1", 97, 48},
    [KEX_P521] = {CLASP_GROUP_SECP521R1, "EC", "secp521r1", 133, 66},
};

struct clasp_kex {
    const clasp_crypto *c; /* outlives the key: owned by the SSL_CTX */
    EVP_PKEY *pkey;
    int idx;
};

int clasp_kex_index(uint16_t group)
{
    for (int i = 0; i < KEX_NUM; i++) {
        if (groups[i].group == group) {
            return i;
        }
    }
    return -1;
}

int clasp_kex_supported(uint16_t group)
{
    return clasp_kex_index(group) >= 0;
}

/* The template carries no secret: the curve's parameters, or for X25519
 * (which has none) the public base point u = 9, just so the key manager
 * is attached. */
EVP_PKEY *clasp_kex_template_new(OSSL_LIB_CTX *libctx, const char *propq, int idx)
{
    uint8_t base[32] = {9};
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM params[2];
    int selection;

    if (groups[idx].curve == NULL) {
        params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, base, sizeof(base));
        selection = EVP_PKEY_PUBLIC_KEY;
    } else {
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                     (char *)groups[idx].curve, 0);
        selection = EVP_PKEY_KEY_PARAMETERS;
    }
    params[1] = OSSL_PARAM_construct_end();
    ctx = EVP_PKEY_CTX_new_from_name(libctx, groups[idx].alg, propq);
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1) {
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

void clasp_kex_free(clasp_kex *k)
{
    if (k == NULL) {
        return;
    }
    EVP_PKEY_free(k->pkey); /* the provider wipes the private key */
    OPENSSL_free(k);
}

static EVP_PKEY *generate(const clasp_crypto *c, int idx)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(c->libctx, c->kex_tmpl[idx], c->propq);
    EVP_PKEY *pkey = NULL;

    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_generate(ctx, &pkey) != 1) {
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

clasp_kex *clasp_kex_generate(const clasp_crypto *c, uint16_t group, uint8_t *pub,
                              size_t *pub_len)
{
    int idx = clasp_kex_index(group);
    clasp_kex *k;
    size_t len = 0;

    if (idx < 0) {
        return NULL;
    }
    k = OPENSSL_zalloc(sizeof(*k));
    if (k == NULL) {
        return NULL;
    }
    k->c = c;
    k->idx = idx;
    k->pkey = generate(c, idx);
    /* For EC this is the uncompressed point (the key's default form). */
    if (k->pkey == NULL ||
        !EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
                                         CLASP_MAX_KEX_PUB_LEN, &len) ||
        len != groups[idx].pub_len) {
        clasp_kex_free(k);
        return NULL;
    }
    *pub_len = len;
    return k;
}

EVP_PKEY *clasp_kex_pkey(const clasp_kex *k)
{
    return k->pkey;
}

/* RFC 9846 §4.3.8.2: the NIST curves' shares must be valid points: not
 * the point at infinity, coordinates in range, on the curve (no subgroup
 * check needed: the cofactor is 1).  That is exactly OpenSSL's "quick"
 * public check; the full one adds an n*Q scalar multiplication (~10x the
 * cost) that proves nothing more here. */
static int peer_point_valid(const clasp_crypto *c, EVP_PKEY *peer)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(c->libctx, peer, c->propq);
    int ok = ctx != NULL && EVP_PKEY_public_check_quick(ctx) == 1;

    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static EVP_PKEY *peer_key(const clasp_crypto *c, int idx, const uint8_t *pub, size_t pub_len)
{
    EVP_PKEY *peer;

    if (pub_len != groups[idx].pub_len) {
        return NULL;
    }
    /* Only the uncompressed form exists in TLS 1.3 (RFC 9846 §4.3.8.2). */
    if (groups[idx].curve != NULL && pub[0] != 0x04) {
        return NULL;
    }
    peer = EVP_PKEY_new();
    if (peer == NULL || EVP_PKEY_copy_parameters(peer, c->kex_tmpl[idx]) != 1 ||
        EVP_PKEY_set1_encoded_public_key(peer, pub, pub_len) != 1 ||
        (groups[idx].curve != NULL && !peer_point_valid(c, peer))) {
        EVP_PKEY_free(peer);
        return NULL;
    }
    return peer;
}

EVP_PKEY *clasp_kex_peer_pkey(const clasp_crypto *c, uint16_t group, const uint8_t *pub,
                              size_t pub_len)
{
    int idx = clasp_kex_index(group);

    if (idx < 0) {
        return NULL;
    }
    return peer_key(c, idx, pub, pub_len);
}

/* Left-pads a short x-coordinate to the field size: RFC 9846 §7.4.2 says
 * leading zeros are never dropped.  OpenSSL already pads; this keeps us
 * correct if a provider does not. */
static void pad_left(uint8_t *out, size_t have, size_t want)
{
    size_t shift = want - have;

    memmove(out + shift, out, have);
    memset(out, 0, shift);
}

static int derive(const clasp_kex *k, const uint8_t *peer, size_t peer_len, uint8_t *out,
                  size_t *out_len)
{
    static const uint8_t zeros[32];
    size_t want = groups[k->idx].secret_len;
    EVP_PKEY *peer_pkey = peer_key(k->c, k->idx, peer, peer_len);
    EVP_PKEY_CTX *ctx = NULL;
    size_t len = want;
    int ok = 0;

    if (peer_pkey == NULL) {
        return 0;
    }
    ctx = EVP_PKEY_CTX_new_from_pkey(k->c->libctx, k->pkey, k->c->propq);
    if (ctx == NULL || EVP_PKEY_derive_init(ctx) != 1 ||
        EVP_PKEY_derive_set_peer_ex(ctx, peer_pkey, 0) != 1 ||
        EVP_PKEY_derive(ctx, out, &len) != 1 || len == 0 || len > want) {
        goto end;
    }
    if (len < want) {
        pad_left(out, len, want);
    }
    /* RFC 9846 §7.4.2 / RFC 7748 §6: an all-zero X25519 output means a
     * low-order peer point.  Compared in constant time. */
    if (groups[k->idx].curve == NULL && CRYPTO_memcmp(out, zeros, want) == 0) {
        goto end;
    }
    *out_len = want;
    ok = 1;
end:
    if (!ok) {
        OPENSSL_cleanse(out, want);
    }
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer_pkey);
    return ok;
}

/* A share that is not a point of the group, or gives the all-zero X25519
 * secret, is the peer's doing: libcrypto's reasons for refusing it are
 * dropped so that the caller's one SSL_R_* reason is all the queue holds. */
int clasp_kex_derive(const clasp_kex *k, const uint8_t *peer, size_t peer_len, uint8_t *out,
                     size_t *out_len)
{
    int ok;

    ERR_set_mark();
    ok = derive(k, peer, peer_len, out, out_len);
    ERR_pop_to_mark();
    return ok;
}

/* Unit tests for the crypto door (src/crypto/).
 *
 * Known answers: SHA-2 (FIPS 180-2 "abc"), HMAC (RFC 4231 cases 1, 2, 6),
 * HKDF (RFC 5869 cases 1 and 3), AES-128-GCM (RFC 8448 §3's client Finished
 * record), AES-256-GCM (McGrew-Viega GCM test cases 13/14), ChaCha20-
 * Poly1305 (RFC 8439 §2.8.2).  Differential checks of HMAC, HKDF-Expand and
 * HKDF-Expand-Label against libcrypto's own EVP_MAC / EVP_KDF.  Negative
 * cases: tampered AEAD records, malformed key shares, flipped signatures,
 * mismatched scheme/key pairs, and every operation under allocation
 * failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>

#include "crypto/crypto.h"

/* ---- helpers ------------------------------------------------------------------------ */

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;

    for (const char *p = hex; *p != '\0';) {
        unsigned v;

        if (*p == ' ') {
            p++;
            continue;
        }
        assert_true(n < cap);
        assert_int_equal(sscanf(p, "%2x", &v), 1);
        out[n++] = (uint8_t)v;
        p += 2;
    }
    return n;
}

#define assert_hex_equal(buf, len, hex)                                                    \
    do {                                                                                   \
        uint8_t want_[512];                                                                \
        size_t want_len_ = unhex((hex), want_, sizeof(want_));                             \
        assert_int_equal((len), want_len_);                                                \
        assert_memory_equal((buf), want_, want_len_);                                      \
    } while (0)

static clasp_crypto *C;

typedef enum {
    KEY_RSA2048,
    KEY_RSA1024,
    KEY_PSS,        /* RSASSA-PSS, unrestricted */
    KEY_PSS_SHA256, /* RSASSA-PSS restricted to SHA-256, MGF1-SHA-256 */
    KEY_PSS_MGF1_SHA1, /* restricted to SHA-256 with MGF1 left at SHA-1 */
    KEY_PSS_SALT40, /* restricted to SHA-256, salt at least 40 bytes */
    KEY_P256,
    KEY_P384,
    KEY_P521,
    KEY_ED25519,
    NUM_KEYS
} key_id;

static EVP_PKEY *keys[NUM_KEYS];

/* An RSASSA-PSS key; md != NULL restricts it to that hash (RFC 4055),
 * mgf1 to that MGF1 hash (NULL: RFC 4055's default, SHA-1), salt >= 0 to
 * that minimum salt length. */
static EVP_PKEY *gen_pss(int bits, const char *md, const char *mgf1, int salt)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
    EVP_PKEY *k = NULL;

    if (ctx != NULL && EVP_PKEY_keygen_init(ctx) == 1 &&
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) > 0 &&
        (md == NULL || EVP_PKEY_CTX_set_rsa_pss_keygen_md_name(ctx, md, NULL) > 0) &&
        (mgf1 == NULL || EVP_PKEY_CTX_set_rsa_pss_keygen_mgf1_md_name(ctx, mgf1) > 0) &&
        (salt < 0 || EVP_PKEY_CTX_set_rsa_pss_keygen_saltlen(ctx, salt) > 0)) {
        EVP_PKEY_generate(ctx, &k);
    }
    EVP_PKEY_CTX_free(ctx);
    return k;
}

static int setup(void **state)
{
    C = clasp_crypto_new(NULL, NULL);
    keys[KEY_RSA2048] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    keys[KEY_RSA1024] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    keys[KEY_PSS] = gen_pss(2048, NULL, NULL, -1);
    keys[KEY_PSS_SHA256] = gen_pss(2048, "SHA256", "SHA256", -1);
    keys[KEY_PSS_MGF1_SHA1] = gen_pss(1024, "SHA256", NULL, -1);
    keys[KEY_PSS_SALT40] = gen_pss(1024, "SHA256", "SHA256", 40);
    keys[KEY_P256] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    keys[KEY_P384] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    keys[KEY_P521] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    keys[KEY_ED25519] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    for (int i = 0; i < NUM_KEYS; i++) {
        if (keys[i] == NULL) {
            return -1;
        }
    }
    return C == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    for (int i = 0; i < NUM_KEYS; i++) {
        EVP_PKEY_free(keys[i]);
    }
    clasp_crypto_free(C);
    return 0;
}

/* ---- lifetime ------------------------------------------------------------------------- */

static void test_free_null(void **state)
{
    clasp_crypto_free(NULL);
    clasp_hash_ctx_free(NULL);
    clasp_aead_free(NULL);
    clasp_kex_free(NULL);
}

static void test_crypto_new_libctx(void **state)
{
    OSSL_LIB_CTX *lib = OSSL_LIB_CTX_new();
    OSSL_PROVIDER *nullprov;
    OSSL_PROVIDER *def;
    clasp_crypto *c;

    assert_non_null(lib);
    /* Only the null provider: nothing can be fetched. */
    nullprov = OSSL_PROVIDER_load(lib, "null");
    assert_non_null(nullprov);
    assert_null(clasp_crypto_new(lib, NULL));
    ERR_clear_error();

    def = OSSL_PROVIDER_load(lib, "default");
    assert_non_null(def);
    c = clasp_crypto_new(lib, "provider=default");
    assert_non_null(c);
    assert_ptr_equal(clasp_crypto_libctx(c), lib);
    assert_string_equal(clasp_crypto_propq(c), "provider=default");
    assert_true(clasp_aead_available(c, CLASP_AEAD_AES_128_GCM));
    clasp_crypto_free(c);

    /* A property query nothing satisfies. */
    assert_null(clasp_crypto_new(lib, "provider=nonexistent"));
    ERR_clear_error();

    c = clasp_crypto_new(NULL, NULL);
    assert_non_null(c);
    assert_null(clasp_crypto_libctx(c));
    assert_null(clasp_crypto_propq(c));
    assert_int_equal(ERR_peek_error(), 0); /* success leaves the queue alone */
    clasp_crypto_free(c);

    OSSL_PROVIDER_unload(def);
    OSSL_PROVIDER_unload(nullprov);
    OSSL_LIB_CTX_free(lib);
}

static void test_rand(void **state)
{
    uint8_t a[32] = {0}, b[32] = {0};

    assert_true(clasp_rand_bytes(C, a, sizeof(a)));
    assert_true(clasp_rand_bytes(C, b, sizeof(b)));
    assert_memory_not_equal(a, b, sizeof(a));
    assert_true(clasp_rand_bytes(C, NULL, 0));
}

/* ---- hashes ----------------------------------------------------------------------------- */

static void test_hash_kat(void **state)
{
    uint8_t out[CLASP_MAX_HASH_LEN];

    assert_int_equal(clasp_hash_len(CLASP_HASH_SHA256), 32);
    assert_int_equal(clasp_hash_len(CLASP_HASH_SHA384), 48);
    assert_int_equal(clasp_hash_len((clasp_hash_id)7), 0);
    assert_true(clasp_hash(C, CLASP_HASH_SHA256, (const uint8_t *)"abc", 3, out));
    assert_hex_equal(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_true(clasp_hash(C, CLASP_HASH_SHA384, (const uint8_t *)"abc", 3, out));
    assert_hex_equal(out, 48,
                     "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                     "8086072ba1e7cc2358baeca134c825a7");
    assert_true(clasp_hash(C, CLASP_HASH_SHA256, NULL, 0, out));
    assert_hex_equal(out, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_false(clasp_hash(C, (clasp_hash_id)7, (const uint8_t *)"abc", 3, out));
}

/* The transcript: peek gives the digest so far and the hash goes on. */
static void test_hash_ctx_peek(void **state)
{
    static const uint8_t msg[] = "the quick brown fox jumps over the lazy dog";
    for (int h = 0; h < 2; h++) {
        size_t hl = clasp_hash_len((clasp_hash_id)h);
        clasp_hash_ctx *hc = clasp_hash_ctx_new(C, (clasp_hash_id)h);
        uint8_t peek1[CLASP_MAX_HASH_LEN], peek2[CLASP_MAX_HASH_LEN], want[CLASP_MAX_HASH_LEN];

        assert_non_null(hc);
        assert_true(clasp_hash_ctx_peek(hc, peek1)); /* the empty transcript */
        assert_true(clasp_hash(C, (clasp_hash_id)h, NULL, 0, want));
        assert_memory_equal(peek1, want, hl);
        assert_true(clasp_hash_ctx_update(hc, msg, 10));
        assert_true(clasp_hash_ctx_update(hc, NULL, 0));
        assert_true(clasp_hash_ctx_peek(hc, peek1));
        assert_true(clasp_hash_ctx_peek(hc, peek2));
        assert_memory_equal(peek1, peek2, hl);
        assert_true(clasp_hash(C, (clasp_hash_id)h, msg, 10, want));
        assert_memory_equal(peek1, want, hl);
        assert_true(clasp_hash_ctx_update(hc, msg + 10, sizeof(msg) - 10));
        assert_true(clasp_hash_ctx_peek(hc, peek2));
        assert_true(clasp_hash(C, (clasp_hash_id)h, msg, sizeof(msg), want));
        assert_memory_equal(peek2, want, hl);
        clasp_hash_ctx_free(hc);
    }
    assert_null(clasp_hash_ctx_new(C, (clasp_hash_id)9));
}

/* ---- HMAC and HKDF ------------------------------------------------------------------------ */

static void test_hmac_rfc4231(void **state)
{
    uint8_t key[131];
    uint8_t out[CLASP_MAX_HASH_LEN];
    static const char big_msg[] = "Test Using Larger Than Block-Size Key - Hash Key First";

    /* Test case 1 */
    memset(key, 0x0b, 20);
    assert_true(clasp_hmac(C, CLASP_HASH_SHA256, key, 20, (const uint8_t *)"Hi There", 8, out));
    assert_hex_equal(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    assert_true(clasp_hmac(C, CLASP_HASH_SHA384, key, 20, (const uint8_t *)"Hi There", 8, out));
    assert_hex_equal(out, 48,
                     "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
                     "faea9ea9076ede7f4af152e8b2fa9cb6");
    /* Test case 2: a key shorter than the output */
    assert_true(clasp_hmac(C, CLASP_HASH_SHA256, (const uint8_t *)"Jefe", 4,
                           (const uint8_t *)"what do ya want for nothing?", 28, out));
    assert_hex_equal(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    assert_true(clasp_hmac(C, CLASP_HASH_SHA384, (const uint8_t *)"Jefe", 4,
                           (const uint8_t *)"what do ya want for nothing?", 28, out));
    assert_hex_equal(out, 48,
                     "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
                     "8e2240ca5e69e2c78b3239ecfab21649");
    /* Test case 6: a key longer than the block is hashed first */
    memset(key, 0xaa, 131);
    assert_true(clasp_hmac(C, CLASP_HASH_SHA256, key, 131, (const uint8_t *)big_msg,
                           strlen(big_msg), out));
    assert_hex_equal(out, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    assert_true(clasp_hmac(C, CLASP_HASH_SHA384, key, 131, (const uint8_t *)big_msg,
                           strlen(big_msg), out));
    assert_hex_equal(out, 48,
                     "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
                     "0c2ef6ab4030fe8296248df163f44952");
}

/* HMAC against libcrypto's EVP_MAC for every key length around both block
 * sizes (64, 128) and a spread of message lengths. */
static void test_hmac_differential(void **state)
{
    static const char *const names[2] = {"SHA256", "SHA384"};
    uint8_t key[300], msg[300];
    uint8_t ours[CLASP_MAX_HASH_LEN], theirs[CLASP_MAX_HASH_LEN];

    for (size_t i = 0; i < sizeof(key); i++) {
        key[i] = (uint8_t)(i * 7 + 1);
        msg[i] = (uint8_t)(i * 13 + 5);
    }
    for (int h = 0; h < 2; h++) {
        size_t hl = clasp_hash_len((clasp_hash_id)h);

        for (size_t kl = 0; kl <= 260; kl += (kl < 140 ? 1 : 40)) {
            size_t ml = (kl * 3) % 300;
            size_t out_len = 0;

            assert_true(clasp_hmac(C, (clasp_hash_id)h, key, kl, msg, ml, ours));
            assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, names[h], NULL, key, kl, msg, ml,
                                      theirs, sizeof(theirs), &out_len));
            assert_int_equal(out_len, hl);
            assert_memory_equal(ours, theirs, hl);
        }
    }
}

static void test_hkdf_rfc5869(void **state)
{
    uint8_t ikm[22], salt[13], info[10];
    uint8_t prk[CLASP_MAX_HASH_LEN], okm[42];

    memset(ikm, 0x0b, sizeof(ikm));
    unhex("000102030405060708090a0b0c", salt, sizeof(salt));
    unhex("f0f1f2f3f4f5f6f7f8f9", info, sizeof(info));
    /* Test case 1 */
    assert_true(clasp_hkdf_extract(C, CLASP_HASH_SHA256, salt, 13, ikm, 22, prk));
    assert_hex_equal(prk, 32, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
    assert_true(clasp_hkdf_expand(C, CLASP_HASH_SHA256, prk, info, 10, okm, 42));
    assert_hex_equal(okm, 42,
                     "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                     "34007208d5b887185865");
    /* Test case 3: no salt (HashLen zeros), no info */
    assert_true(clasp_hkdf_extract(C, CLASP_HASH_SHA256, NULL, 0, ikm, 22, prk));
    assert_hex_equal(prk, 32, "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
    assert_true(clasp_hkdf_expand(C, CLASP_HASH_SHA256, prk, NULL, 0, okm, 42));
    assert_hex_equal(okm, 42,
                     "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                     "9d201395faa4b61a96c8");
}

/* HKDF-Expand over several blocks against EVP_KDF "HKDF", both hashes, and
 * the L <= 255 * HashLen limit. */
static void test_hkdf_expand_differential(void **state)
{
    static const char *const names[2] = {"SHA256", "SHA384"};
    static const size_t lens[] = {1, 31, 32, 33, 48, 49, 100, 255 * 32};
    uint8_t prk[CLASP_MAX_HASH_LEN], info[40];
    static uint8_t ours[255 * 48 + 1], theirs[255 * 48];
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);

    assert_non_null(kdf);
    for (size_t i = 0; i < sizeof(prk); i++) {
        prk[i] = (uint8_t)(0x40 + i);
    }
    memset(info, 0x77, sizeof(info));
    for (int h = 0; h < 2; h++) {
        size_t hl = clasp_hash_len((clasp_hash_id)h);

        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
            EVP_KDF_CTX *k = EVP_KDF_CTX_new(kdf);
            int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
            OSSL_PARAM p[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)names[h], 0),
                OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, prk, hl),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof(info)),
                OSSL_PARAM_construct_end(),
            };

            assert_true(clasp_hkdf_expand(C, (clasp_hash_id)h, prk, info, sizeof(info), ours,
                                          lens[i]));
            assert_int_equal(EVP_KDF_derive(k, theirs, lens[i], p), 1);
            assert_memory_equal(ours, theirs, lens[i]);
            EVP_KDF_CTX_free(k);
        }
        assert_true(clasp_hkdf_expand(C, (clasp_hash_id)h, prk, NULL, 0, ours, 255 * hl));
        assert_false(clasp_hkdf_expand(C, (clasp_hash_id)h, prk, NULL, 0, ours, 255 * hl + 1));
    }
    /* prk may be the output buffer (an in-place key update). */
    memcpy(ours, prk, 32);
    assert_true(clasp_hkdf_expand(C, CLASP_HASH_SHA256, ours, info, 5, ours, 64));
    assert_true(clasp_hkdf_expand(C, CLASP_HASH_SHA256, prk, info, 5, theirs, 64));
    assert_memory_equal(ours, theirs, 64);
    EVP_KDF_free(kdf);
}

/* HKDF-Expand-Label against libcrypto's own TLS 1.3 KDF (the one libssl
 * uses), for both hashes, empty and full contexts, and odd lengths. */
static void test_expand_label_differential(void **state)
{
    static const char *const names[2] = {"SHA256", "SHA384"};
    static const char *const labels[] = {"key", "iv", "finished", "c hs traffic", "derived",
                                         "exporter", "traffic upd", "res binder"};
    static const size_t lens[] = {12, 16, 32, 48, 1, 200};
    uint8_t secret[CLASP_MAX_HASH_LEN], ctx[255];
    uint8_t ours[200], theirs[200];
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS13-KDF", NULL);

    assert_non_null(kdf);
    for (size_t i = 0; i < sizeof(secret); i++) {
        secret[i] = (uint8_t)(i ^ 0x5c);
    }
    for (size_t i = 0; i < sizeof(ctx); i++) {
        ctx[i] = (uint8_t)i;
    }
    for (int h = 0; h < 2; h++) {
        size_t hl = clasp_hash_len((clasp_hash_id)h);

        for (size_t l = 0; l < sizeof(labels) / sizeof(labels[0]); l++) {
            size_t out_len = lens[l % 6];
            size_t ctx_len = l % 3 == 0 ? 0 : l % 3 == 1 ? hl : 255;
            EVP_KDF_CTX *k = EVP_KDF_CTX_new(kdf);
            int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
            OSSL_PARAM p[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)names[h], 0),
                OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, secret, hl),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, "tls13 ", 6),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, (char *)labels[l],
                                                  strlen(labels[l])),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_DATA, ctx, ctx_len),
                OSSL_PARAM_construct_end(),
            };

            assert_true(clasp_hkdf_expand_label(C, (clasp_hash_id)h, secret, labels[l], ctx,
                                                ctx_len, ours, out_len));
            assert_int_equal(EVP_KDF_derive(k, theirs, out_len, p), 1);
            assert_memory_equal(ours, theirs, out_len);
            /* The counted-label variant agrees. */
            assert_true(clasp_hkdf_expand_label_bytes(C, (clasp_hash_id)h, secret,
                                                      (const uint8_t *)labels[l],
                                                      strlen(labels[l]), ctx, ctx_len, theirs,
                                                      out_len));
            assert_memory_equal(ours, theirs, out_len);
            EVP_KDF_CTX_free(k);
        }
    }
    EVP_KDF_free(kdf);
}

/* RFC 9846 §7.1: label<7..255> holds "tls13 " + Label, context<0..255>,
 * and Length is a uint16. */
static void test_expand_label_limits(void **state)
{
    uint8_t secret[32] = {1};
    uint8_t label[251];
    uint8_t ctx[256] = {0};
    uint8_t out[64];

    memset(label, 'a', sizeof(label));
    assert_true(clasp_hkdf_expand_label_bytes(C, CLASP_HASH_SHA256, secret, label, 249, NULL, 0,
                                              out, 32));
    assert_false(clasp_hkdf_expand_label_bytes(C, CLASP_HASH_SHA256, secret, label, 250, NULL,
                                               0, out, 32));
    assert_true(clasp_hkdf_expand_label(C, CLASP_HASH_SHA256, secret, "key", ctx, 255, out, 32));
    assert_false(clasp_hkdf_expand_label(C, CLASP_HASH_SHA256, secret, "key", ctx, 256, out, 32));
    assert_false(clasp_hkdf_expand_label(C, CLASP_HASH_SHA256, secret, "key", NULL, 0, out,
                                         65536));
    assert_true(clasp_hkdf_expand_label(C, CLASP_HASH_SHA256, secret, "", NULL, 0, out, 16));
}

/* ---- AEAD ------------------------------------------------------------------------------------ */

static void seal_open_kat(clasp_aead_id a, const char *key_hex, const char *nonce_hex,
                          const char *aad_hex, const char *pt_hex, const char *ct_hex,
                          const char *tag_hex)
{
    uint8_t key[32], nonce[12], aad[64], pt[256], buf[256], tag[16];
    size_t key_len = unhex(key_hex, key, sizeof(key));
    size_t aad_len = unhex(aad_hex, aad, sizeof(aad));
    size_t pt_len = unhex(pt_hex, pt, sizeof(pt));
    clasp_aead *enc, *dec;

    assert_int_equal(key_len, clasp_aead_key_len(a));
    assert_int_equal(unhex(nonce_hex, nonce, sizeof(nonce)), 12);
    enc = clasp_aead_new(C, a, key, 1);
    dec = clasp_aead_new(C, a, key, 0);
    assert_non_null(enc);
    assert_non_null(dec);
    memcpy(buf, pt, pt_len);
    assert_true(clasp_aead_seal(enc, nonce, aad, aad_len, buf, pt_len, tag));
    assert_hex_equal(buf, pt_len, ct_hex);
    assert_hex_equal(tag, 16, tag_hex);
    assert_true(clasp_aead_open(dec, nonce, aad, aad_len, buf, pt_len, tag));
    assert_memory_equal(buf, pt, pt_len);
    clasp_aead_free(enc);
    clasp_aead_free(dec);
}

static void test_aead_kat_aes128gcm_rfc8448(void **state)
{
    /* RFC 8448 §3: the client's Finished, sealed under the client handshake
     * key and IV with sequence number 0; AAD is the record header. */
    seal_open_kat(CLASP_AEAD_AES_128_GCM, "dbfaa693d1762c5b666af5d950258d01",
                  "5bd3c71b836e0b76bb73265f", "1703030035",
                  "14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce6116",
                  "75ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc",
                  "46deb384bd1caeacab6867d726c40546");
}

static void test_aead_kat_aes256gcm(void **state)
{
    static const char *const zero_key =
        "0000000000000000000000000000000000000000000000000000000000000000";

    /* GCM spec (McGrew-Viega) test cases 13 and 14. */
    seal_open_kat(CLASP_AEAD_AES_256_GCM, zero_key, "000000000000000000000000", "", "", "",
                  "530f8afbc74536b9a963b4f1c4cb738b");
    seal_open_kat(CLASP_AEAD_AES_256_GCM, zero_key, "000000000000000000000000", "",
                  "00000000000000000000000000000000", "cea7403d4d606b6e074ec5d3baf39d18",
                  "d0d1c8a799996bf0265b98b5d48ab919");
}

static void test_aead_kat_chacha20poly1305(void **state)
{
    if (!clasp_aead_available(C, CLASP_AEAD_CHACHA20_POLY1305)) {
        skip();
    }
    /* RFC 8439 §2.8.2 */
    seal_open_kat(CLASP_AEAD_CHACHA20_POLY1305,
                  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
                  "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7",
                  "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
                  "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
                  "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
                  "637265656e20776f756c642062652069742e",
                  "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                  "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                  "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                  "3ff4def08e4b7a9de576d26586cec64b6116",
                  "1ae10b594f09e26a7e902ecbd0600691");
}

/* Many records through one keyed context, then every kind of tampering. */
static void round_trip(clasp_aead_id a)
{
    uint8_t key[32], nonce[12], aad[5] = {0x17, 0x03, 0x03, 0x01, 0x00};
    uint8_t pt[300], buf[300], tag[16], bad[16];
    clasp_aead *enc, *dec;

    assert_true(clasp_rand_bytes(C, key, sizeof(key)));
    assert_true(clasp_rand_bytes(C, pt, sizeof(pt)));
    enc = clasp_aead_new(C, a, key, 1);
    dec = clasp_aead_new(C, a, key, 0);
    assert_non_null(enc);
    assert_non_null(dec);
    for (uint8_t seq = 0; seq < 20; seq++) {
        size_t len = (size_t)seq * 15;

        memset(nonce, 0xa0, sizeof(nonce));
        nonce[11] ^= seq;
        memcpy(buf, pt, len);
        assert_true(clasp_aead_seal(enc, nonce, aad, sizeof(aad), buf, len, tag));
        if (len > 0) {
            assert_memory_not_equal(buf, pt, len);
        }
        assert_true(clasp_aead_open(dec, nonce, aad, sizeof(aad), buf, len, tag));
        assert_memory_equal(buf, pt, len);
    }
    /* Seal once more, then break the tag, the ciphertext, the AAD, the nonce. */
    memcpy(buf, pt, 100);
    assert_true(clasp_aead_seal(enc, nonce, aad, sizeof(aad), buf, 100, tag));
    memcpy(bad, tag, 16);
    bad[15] ^= 0x01;
    uint8_t saved[100];
    memcpy(saved, buf, 100);
    assert_false(clasp_aead_open(dec, nonce, aad, sizeof(aad), buf, 100, bad));
    /* What a failed open decrypted is wiped, not left for the caller. */
    for (size_t i = 0; i < 100; i++) {
        assert_int_equal(buf[i], 0);
    }
    memcpy(buf, saved, 100);
    buf[42] ^= 0x80;
    assert_false(clasp_aead_open(dec, nonce, aad, sizeof(aad), buf, 100, tag));
    memcpy(buf, saved, 100);
    aad[4] ^= 1;
    assert_false(clasp_aead_open(dec, nonce, aad, sizeof(aad), buf, 100, tag));
    aad[4] ^= 1;
    memcpy(buf, saved, 100);
    nonce[0] ^= 1;
    assert_false(clasp_aead_open(dec, nonce, aad, sizeof(aad), buf, 100, tag));
    nonce[0] ^= 1;
    /* A failure does not poison the context: the genuine record opens. */
    memcpy(buf, saved, 100);
    assert_true(clasp_aead_open(dec, nonce, aad, sizeof(aad), buf, 100, tag));
    assert_memory_equal(buf, pt, 100);
    /* Each context only does what it was made for. */
    assert_false(clasp_aead_open(enc, nonce, aad, sizeof(aad), buf, 100, tag));
    assert_false(clasp_aead_seal(dec, nonce, aad, sizeof(aad), buf, 100, tag));
    clasp_aead_free(enc);
    clasp_aead_free(dec);
}

static void test_aead_round_trip(void **state)
{
    assert_int_equal(clasp_aead_key_len(CLASP_AEAD_AES_128_GCM), 16);
    assert_int_equal(clasp_aead_key_len(CLASP_AEAD_AES_256_GCM), 32);
    assert_int_equal(clasp_aead_key_len(CLASP_AEAD_CHACHA20_POLY1305), 32);
    assert_int_equal(clasp_aead_key_len((clasp_aead_id)5), 0);
    assert_false(clasp_aead_available(C, (clasp_aead_id)5));
    assert_null(clasp_aead_new(C, (clasp_aead_id)5, (const uint8_t *)"k", 1));
    round_trip(CLASP_AEAD_AES_128_GCM);
    round_trip(CLASP_AEAD_AES_256_GCM);
    if (clasp_aead_available(C, CLASP_AEAD_CHACHA20_POLY1305)) {
        round_trip(CLASP_AEAD_CHACHA20_POLY1305);
    }
}

/* ---- key exchange --------------------------------------------------------------------------- */

static const struct {
    uint16_t group;
    size_t pub_len;
    size_t secret_len;
} kex_groups[] = {
    {CLASP_GROUP_X25519, 32, 32},
    {CLASP_GROUP_SECP256R1, 65, 32},
    {CLASP_GROUP_SECP384R1, 97, 48},
    {CLASP_GROUP_SECP521R1, 133, 66},
};

static void test_kex_agree(void **state)
{
    for (size_t i = 0; i < sizeof(kex_groups) / sizeof(kex_groups[0]); i++) {
        uint8_t pa[CLASP_MAX_KEX_PUB_LEN], pb[CLASP_MAX_KEX_PUB_LEN];
        uint8_t sa[CLASP_MAX_KEX_SECRET_LEN], sb[CLASP_MAX_KEX_SECRET_LEN];
        size_t pa_len = 0, pb_len = 0, sa_len = 0, sb_len = 0;
        clasp_kex *a, *b;
        EVP_PKEY *peer;

        assert_true(clasp_kex_supported(kex_groups[i].group));
        a = clasp_kex_generate(C, kex_groups[i].group, pa, &pa_len);
        b = clasp_kex_generate(C, kex_groups[i].group, pb, &pb_len);
        assert_non_null(a);
        assert_non_null(b);
        assert_non_null(clasp_kex_pkey(a));
        assert_int_equal(pa_len, kex_groups[i].pub_len);
        assert_int_equal(pb_len, kex_groups[i].pub_len);
        assert_memory_not_equal(pa, pb, pa_len);
        if (kex_groups[i].group != CLASP_GROUP_X25519) {
            assert_int_equal(pa[0], 0x04); /* uncompressed */
        }
        assert_true(clasp_kex_derive(a, pb, pb_len, sa, &sa_len));
        assert_true(clasp_kex_derive(b, pa, pa_len, sb, &sb_len));
        assert_int_equal(sa_len, kex_groups[i].secret_len);
        assert_int_equal(sb_len, sa_len);
        assert_memory_equal(sa, sb, sa_len);
        /* The peer's share as an EVP_PKEY round-trips its encoding. */
        peer = clasp_kex_peer_pkey(C, kex_groups[i].group, pb, pb_len);
        assert_non_null(peer);
        {
            uint8_t enc[CLASP_MAX_KEX_PUB_LEN];
            size_t enc_len = 0;

            assert_int_equal(EVP_PKEY_get_octet_string_param(
                                 peer, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, enc, sizeof(enc),
                                 &enc_len),
                             1);
            assert_int_equal(enc_len, pb_len);
            assert_memory_equal(enc, pb, pb_len);
        }
        EVP_PKEY_free(peer);
        clasp_kex_free(a);
        clasp_kex_free(b);
    }
    assert_false(clasp_kex_supported(0x001e)); /* x448: not offered */
    assert_false(clasp_kex_supported(0x0100)); /* ffdhe2048 */
    {
        uint8_t pub[CLASP_MAX_KEX_PUB_LEN];
        size_t pub_len = 0;

        assert_null(clasp_kex_generate(C, 0x001e, pub, &pub_len));
        assert_null(clasp_kex_peer_pkey(C, 0x001e, pub, 56));
    }
}

/* A share refused by derive is refused by peer_pkey too, and the output
 * buffer holds no partial secret. */
static void assert_share_refused(const clasp_kex *k, uint16_t group, const uint8_t *share,
                                 size_t len)
{
    uint8_t out[CLASP_MAX_KEX_SECRET_LEN];
    size_t out_len = 12345;
    EVP_PKEY *p;

    memset(out, 0xcc, sizeof(out));
    assert_false(clasp_kex_derive(k, share, len, out, &out_len));
    assert_int_equal(out_len, 12345);
    for (size_t i = 0; i < sizeof(out); i++) {
        assert_true(out[i] == 0xcc || out[i] == 0);
    }
    p = clasp_kex_peer_pkey(C, group, share, len);
    if (group != CLASP_GROUP_X25519) {
        /* X25519 accepts any 32-byte u-coordinate as a key (RFC 7748 §5);
         * low-order ones are caught by the zero-secret check in derive. */
        assert_null(p);
    }
    EVP_PKEY_free(p);
    ERR_clear_error();
}

static void test_kex_malformed_ec(void **state)
{
    for (size_t i = 1; i < sizeof(kex_groups) / sizeof(kex_groups[0]); i++) {
        uint16_t g = kex_groups[i].group;
        size_t n = kex_groups[i].pub_len;
        uint8_t pub[CLASP_MAX_KEX_PUB_LEN + 1], share[CLASP_MAX_KEX_PUB_LEN + 1];
        size_t pub_len = 0;
        clasp_kex *k = clasp_kex_generate(C, g, pub, &pub_len);
        clasp_kex *other;

        assert_non_null(k);
        other = clasp_kex_generate(C, g, share, &pub_len);
        assert_non_null(other);
        /* Wrong lengths: empty, one short, one long (the RFC fixes them). */
        assert_share_refused(k, g, share, 0);
        assert_share_refused(k, g, share, n - 1);
        share[n] = 0;
        assert_share_refused(k, g, share, n + 1);
        /* The compressed form (x only) is not TLS 1.3's encoding. */
        share[0] = 0x02 | (share[n - 1] & 1);
        assert_share_refused(k, g, share, 1 + (n - 1) / 2);
        share[0] = 0x04;
        /* The hybrid form (0x06/0x07) with the right length. */
        share[0] = 0x06 | (share[n - 1] & 1);
        assert_share_refused(k, g, share, n);
        share[0] = 0x04;
        /* A point off the curve: y changed by one bit. */
        share[n - 1] ^= 0x01;
        assert_share_refused(k, g, share, n);
        share[n - 1] ^= 0x01;
        /* Coordinates out of range: x = y = 2^k - 1 >= p. */
        memset(share + 1, 0xff, n - 1);
        assert_share_refused(k, g, share, n);
        /* The point at infinity's one-byte encoding. */
        share[0] = 0x00;
        assert_share_refused(k, g, share, 1);
        /* All zeros at full length. */
        memset(share, 0, n);
        assert_share_refused(k, g, share, n);
        clasp_kex_free(other);
        clasp_kex_free(k);
    }
}

static void test_kex_malformed_x25519(void **state)
{
    uint8_t pub[CLASP_MAX_KEX_PUB_LEN], share[33];
    size_t pub_len = 0;
    clasp_kex *k = clasp_kex_generate(C, CLASP_GROUP_X25519, pub, &pub_len);

    assert_non_null(k);
    memcpy(share, pub, 32);
    share[32] = 0;
    assert_share_refused(k, CLASP_GROUP_X25519, share, 31);
    assert_share_refused(k, CLASP_GROUP_X25519, share, 33);
    assert_share_refused(k, CLASP_GROUP_X25519, share, 0);
    /* Low-order points give the all-zero secret (RFC 7748 §6, RFC 9846
     * §7.4.2): u = 0, u = 1, and their non-canonical twins p and p + 1. */
    memset(share, 0, 32);
    assert_share_refused(k, CLASP_GROUP_X25519, share, 32);
    share[0] = 1;
    assert_share_refused(k, CLASP_GROUP_X25519, share, 32);
    memset(share, 0xff, 32);
    share[0] = 0xed;
    share[31] = 0x7f;
    assert_share_refused(k, CLASP_GROUP_X25519, share, 32);
    share[0] = 0xee;
    assert_share_refused(k, CLASP_GROUP_X25519, share, 32);
    clasp_kex_free(k);
}

/* ---- signatures -------------------------------------------------------------------------- */

static const uint16_t all_schemes[] = {
    CLASP_SIG_RSA_PKCS1_SHA256,       CLASP_SIG_RSA_PKCS1_SHA384,
    CLASP_SIG_RSA_PKCS1_SHA512,       CLASP_SIG_ECDSA_SECP256R1_SHA256,
    CLASP_SIG_ECDSA_SECP384R1_SHA384, CLASP_SIG_ECDSA_SECP521R1_SHA512,
    CLASP_SIG_RSA_PSS_RSAE_SHA256,    CLASP_SIG_RSA_PSS_RSAE_SHA384,
    CLASP_SIG_RSA_PSS_RSAE_SHA512,    CLASP_SIG_ED25519,
    CLASP_SIG_RSA_PSS_PSS_SHA256,     CLASP_SIG_RSA_PSS_PSS_SHA384,
    CLASP_SIG_RSA_PSS_PSS_SHA512,
};
#define NUM_SCHEMES (sizeof(all_schemes) / sizeof(all_schemes[0]))

/* Which key each scheme fits, per TLS 1.3: ECDSA binds the curve; rsae
 * takes rsaEncryption keys of any size (size policy is elsewhere); pss
 * takes RSASSA-PSS keys whose restrictions (hash, MGF1 hash, minimum
 * salt) allow the scheme's hash, MGF1 with it and a digest-long salt. */
static const char *const fits_table[NUM_KEYS] = {
    /*                 p1 p1 p1 e2 e3 e5 ra ra ra ed ps ps ps */
    [KEY_RSA2048] =    "1  1  1  0  0  0  1  1  1  0  0  0  0",
    [KEY_RSA1024] =    "1  1  1  0  0  0  1  1  1  0  0  0  0",
    [KEY_PSS] =        "0  0  0  0  0  0  0  0  0  0  1  1  1",
    [KEY_PSS_SHA256] = "0  0  0  0  0  0  0  0  0  0  1  0  0",
    [KEY_PSS_MGF1_SHA1] = "0  0  0  0  0  0  0  0  0  0  0  0  0",
    [KEY_PSS_SALT40] = "0  0  0  0  0  0  0  0  0  0  0  0  0",
    [KEY_P256] =       "0  0  0  1  0  0  0  0  0  0  0  0  0",
    [KEY_P384] =       "0  0  0  0  1  0  0  0  0  0  0  0  0",
    [KEY_P521] =       "0  0  0  0  0  1  0  0  0  0  0  0  0",
    [KEY_ED25519] =    "0  0  0  0  0  0  0  0  0  1  0  0  0",
};

static int expected_fit(int key, size_t scheme_idx)
{
    return fits_table[key][scheme_idx * 3] == '1';
}

static void test_sig_fits_key_table(void **state)
{
    for (int k = 0; k < NUM_KEYS; k++) {
        for (size_t s = 0; s < NUM_SCHEMES; s++) {
            int got = clasp_sig_scheme_fits_key(all_schemes[s], keys[k]);

            if (got != expected_fit(k, s)) {
                fail_msg("key %d scheme 0x%04x: fits=%d", k, all_schemes[s], got);
            }
        }
        /* Schemes Clasp does not implement fit nothing: rsa_pkcs1_sha1,
         * ecdsa_sha1, ed448, and an unassigned value. */
        assert_false(clasp_sig_scheme_fits_key(0x0201, keys[k]));
        assert_false(clasp_sig_scheme_fits_key(0x0203, keys[k]));
        assert_false(clasp_sig_scheme_fits_key(0x0808, keys[k]));
        assert_false(clasp_sig_scheme_fits_key(0x1234, keys[k]));
    }
    assert_false(clasp_sig_scheme_fits_key(CLASP_SIG_ED25519, NULL));
}

static void test_sig_nids(void **state)
{
    static const struct {
        uint16_t scheme;
        int hash, type;
    } t[] = {
        {CLASP_SIG_RSA_PKCS1_SHA256, NID_sha256, EVP_PKEY_RSA},
        {CLASP_SIG_RSA_PKCS1_SHA384, NID_sha384, EVP_PKEY_RSA},
        {CLASP_SIG_RSA_PKCS1_SHA512, NID_sha512, EVP_PKEY_RSA},
        {CLASP_SIG_ECDSA_SECP256R1_SHA256, NID_sha256, EVP_PKEY_EC},
        {CLASP_SIG_ECDSA_SECP384R1_SHA384, NID_sha384, EVP_PKEY_EC},
        {CLASP_SIG_ECDSA_SECP521R1_SHA512, NID_sha512, EVP_PKEY_EC},
        {CLASP_SIG_RSA_PSS_RSAE_SHA256, NID_sha256, EVP_PKEY_RSA_PSS},
        {CLASP_SIG_RSA_PSS_RSAE_SHA384, NID_sha384, EVP_PKEY_RSA_PSS},
        {CLASP_SIG_RSA_PSS_RSAE_SHA512, NID_sha512, EVP_PKEY_RSA_PSS},
        {CLASP_SIG_ED25519, NID_undef, EVP_PKEY_ED25519},
        {CLASP_SIG_RSA_PSS_PSS_SHA256, NID_sha256, EVP_PKEY_RSA_PSS},
        {CLASP_SIG_RSA_PSS_PSS_SHA384, NID_sha384, EVP_PKEY_RSA_PSS},
        {CLASP_SIG_RSA_PSS_PSS_SHA512, NID_sha512, EVP_PKEY_RSA_PSS},
        {0x0808, NID_undef, NID_undef},
    };

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        assert_int_equal(clasp_sig_scheme_hash_nid(t[i].scheme), t[i].hash);
        assert_int_equal(clasp_sig_scheme_type_nid(t[i].scheme), t[i].type);
    }
}

/* Sign and verify with every fitting pair (the 1024-bit key is too small
 * for PSS with SHA-512 and is left to the table test); then a flipped bit
 * in the signature or the message, another scheme, another key. */
static void test_sig_sign_verify(void **state)
{
    static const uint8_t msg[] = "TLS 1.3, server CertificateVerify\0 and a transcript hash";
    uint8_t sig[CLASP_MAX_SIG_LEN], other_msg[sizeof(msg)];
    int pairs = 0;

    memcpy(other_msg, msg, sizeof(msg));
    other_msg[5] ^= 0x20;
    for (int k = 0; k < NUM_KEYS; k++) {
        if (k == KEY_RSA1024) {
            continue;
        }
        for (size_t s = 0; s < NUM_SCHEMES; s++) {
            uint16_t scheme = all_schemes[s];
            size_t sig_len = 0;

            if (!expected_fit(k, s)) {
                assert_false(clasp_sig_sign(C, keys[k], scheme, msg, sizeof(msg), sig, &sig_len));
                continue;
            }
            pairs++;
            if (!clasp_sig_sign(C, keys[k], scheme, msg, sizeof(msg), sig, &sig_len)) {
                ERR_print_errors_fp(stderr);
                fail_msg("key %d scheme 0x%04x: sign failed", k, scheme);
            }
            assert_true(sig_len > 0 && sig_len <= CLASP_MAX_SIG_LEN);
            assert_true(clasp_sig_verify(C, keys[k], scheme, msg, sizeof(msg), sig, sig_len));
            assert_false(clasp_sig_verify(C, keys[k], scheme, other_msg, sizeof(msg), sig,
                                          sig_len));
            assert_false(clasp_sig_verify(C, keys[k], scheme, msg, sizeof(msg), sig,
                                          sig_len - 1));
            /* Every other scheme refuses this signature under this key. */
            for (size_t t = 0; t < NUM_SCHEMES; t++) {
                if (t != s) {
                    assert_false(clasp_sig_verify(C, keys[k], all_schemes[t], msg, sizeof(msg),
                                                  sig, sig_len));
                }
            }
            sig[sig_len / 2] ^= 0x04;
            assert_false(clasp_sig_verify(C, keys[k], scheme, msg, sizeof(msg), sig, sig_len));
            ERR_clear_error();
        }
    }
    assert_int_equal(pairs, 14);
}

/* The same scheme, a different key of the same kind. */
static void test_sig_wrong_key(void **state)
{
    static const uint8_t msg[] = "hello";
    uint8_t sig[CLASP_MAX_SIG_LEN];
    size_t sig_len = 0;
    EVP_PKEY *p256b = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *edb = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

    assert_non_null(p256b);
    assert_non_null(edb);
    assert_true(clasp_sig_sign(C, keys[KEY_P256], CLASP_SIG_ECDSA_SECP256R1_SHA256, msg, 5, sig,
                               &sig_len));
    assert_false(clasp_sig_verify(C, p256b, CLASP_SIG_ECDSA_SECP256R1_SHA256, msg, 5, sig,
                                  sig_len));
    assert_true(clasp_sig_sign(C, keys[KEY_ED25519], CLASP_SIG_ED25519, msg, 5, sig, &sig_len));
    assert_int_equal(sig_len, 64);
    assert_false(clasp_sig_verify(C, edb, CLASP_SIG_ED25519, msg, 5, sig, sig_len));
    /* A P-256 key is not an Ed25519 key, whatever the bytes. */
    assert_false(clasp_sig_verify(C, keys[KEY_P256], CLASP_SIG_ED25519, msg, 5, sig, sig_len));
    assert_false(clasp_sig_sign(C, NULL, CLASP_SIG_ED25519, msg, 5, sig, &sig_len));
    assert_false(clasp_sig_verify(C, NULL, CLASP_SIG_ED25519, msg, 5, sig, sig_len));
    EVP_PKEY_free(p256b);
    EVP_PKEY_free(edb);
    ERR_clear_error();
}

/* RFC 9846 §4.3.3: an RSA-PSS salt must be as long as the digest.  A
 * signature that is valid PSS with another salt length is refused. */
static void test_sig_pss_salt_length_enforced(void **state)
{
    static const uint8_t msg[] = "salt";
    uint8_t sig[512];
    size_t sig_len = sizeof(sig);
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;

    assert_non_null(mctx);
    assert_int_equal(EVP_DigestSignInit_ex(mctx, &pctx, "SHA256", NULL, NULL,
                                           keys[KEY_RSA2048], NULL),
                     1);
    assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0);
    assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 20) > 0);
    assert_int_equal(EVP_DigestSign(mctx, sig, &sig_len, msg, 4), 1);
    EVP_MD_CTX_free(mctx);
    assert_false(clasp_sig_verify(C, keys[KEY_RSA2048], CLASP_SIG_RSA_PSS_RSAE_SHA256, msg, 4,
                                  sig, sig_len));
    ERR_clear_error();
}

/* ---- allocation failure --------------------------------------------------------------------- */

/* OPENSSL_malloc is routed through here (set first thing in main) so a
 * test can make the n-th allocation fail. */
static long fail_countdown = -1;
static int fail_fired;

static void *t_malloc(size_t n, const char *file, int line)
{
    if (fail_countdown == 0) {
        fail_countdown = -1;
        fail_fired = 1;
        return NULL;
    }
    if (fail_countdown > 0) {
        fail_countdown--;
    }
    return malloc(n);
}

static void *t_realloc(void *p, size_t n, const char *file, int line)
{
    if (fail_countdown == 0) {
        fail_countdown = -1;
        fail_fired = 1;
        return NULL;
    }
    if (fail_countdown > 0) {
        fail_countdown--;
    }
    return realloc(p, n);
}

static void t_free(void *p, const char *file, int line)
{
    free(p);
}

/* One pass of everything the door does; returns 1 when all of it worked
 * (and then checks the results), 0 on a clean failure. */
static int door_workout(void)
{
    static const uint8_t msg[] = "workout";
    clasp_crypto *c = clasp_crypto_new(NULL, NULL);
    clasp_hash_ctx *hc = NULL;
    clasp_aead *enc = NULL, *dec = NULL;
    clasp_kex *ka = NULL, *kb = NULL;
    EVP_PKEY *peer = NULL;
    uint8_t h[CLASP_MAX_HASH_LEN], key[32] = {7}, nonce[12] = {0}, buf[16], tag[16];
    uint8_t pa[CLASP_MAX_KEX_PUB_LEN], pb[CLASP_MAX_KEX_PUB_LEN];
    uint8_t sa[CLASP_MAX_KEX_SECRET_LEN], sb[CLASP_MAX_KEX_SECRET_LEN];
    uint8_t sig[CLASP_MAX_SIG_LEN];
    size_t pa_len, pb_len, sa_len, sb_len, sig_len;
    int ok = 0;

    if (c == NULL || (hc = clasp_hash_ctx_new(c, CLASP_HASH_SHA384)) == NULL ||
        !clasp_hash_ctx_update(hc, msg, 7) || !clasp_hash_ctx_peek(hc, h) ||
        !clasp_hkdf_expand_label(c, CLASP_HASH_SHA256, key, "key", NULL, 0, h, 32) ||
        (enc = clasp_aead_new(c, CLASP_AEAD_AES_128_GCM, key, 1)) == NULL ||
        (dec = clasp_aead_new(c, CLASP_AEAD_AES_128_GCM, key, 0)) == NULL) {
        goto end;
    }
    memcpy(buf, msg, 7);
    if (!clasp_aead_seal(enc, nonce, msg, 3, buf, 7, tag) ||
        !clasp_aead_open(dec, nonce, msg, 3, buf, 7, tag) ||
        (ka = clasp_kex_generate(c, CLASP_GROUP_SECP256R1, pa, &pa_len)) == NULL ||
        (kb = clasp_kex_generate(c, CLASP_GROUP_SECP256R1, pb, &pb_len)) == NULL ||
        !clasp_kex_derive(ka, pb, pb_len, sa, &sa_len) ||
        !clasp_kex_derive(kb, pa, pa_len, sb, &sb_len) ||
        (peer = clasp_kex_peer_pkey(c, CLASP_GROUP_X25519, pa, 32)) == NULL ||
        !clasp_sig_sign(c, keys[KEY_P256], CLASP_SIG_ECDSA_SECP256R1_SHA256, msg, 7, sig,
                        &sig_len) ||
        !clasp_sig_verify(c, keys[KEY_P256], CLASP_SIG_ECDSA_SECP256R1_SHA256, msg, 7, sig,
                          sig_len)) {
        goto end;
    }
    assert_memory_equal(buf, msg, 7);
    assert_int_equal(sa_len, sb_len);
    assert_memory_equal(sa, sb, sa_len);
    ok = 1;
end:
    EVP_PKEY_free(peer);
    clasp_kex_free(ka);
    clasp_kex_free(kb);
    clasp_aead_free(enc);
    clasp_aead_free(dec);
    clasp_hash_ctx_free(hc);
    clasp_crypto_free(c);
    return ok;
}

/* Fails each allocation in turn: every failure is reported as 0/NULL,
 * nothing crashes, nothing leaks (LeakSanitizer), and once no allocation
 * fails the workout succeeds again. */
static void test_alloc_failure(void **state)
{
    long n;

    assert_true(door_workout()); /* warm up libcrypto's lazy state */
    for (n = 0; n < 5000; n++) {
        int ok;

        fail_fired = 0;
        fail_countdown = n;
        ok = door_workout();
        fail_countdown = -1;
        ERR_clear_error();
        if (!fail_fired) {
            assert_true(ok);
            break;
        }
    }
    print_message("%ld allocation sites failed in turn\n", n);
    assert_true(n > 10);
    assert_true(n < 5000);
    assert_true(door_workout());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_crypto_new_libctx),
        cmocka_unit_test(test_rand),
        cmocka_unit_test(test_hash_kat),
        cmocka_unit_test(test_hash_ctx_peek),
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_hmac_differential),
        cmocka_unit_test(test_hkdf_rfc5869),
        cmocka_unit_test(test_hkdf_expand_differential),
        cmocka_unit_test(test_expand_label_differential),
        cmocka_unit_test(test_expand_label_limits),
        cmocka_unit_test(test_aead_kat_aes128gcm_rfc8448),
        cmocka_unit_test(test_aead_kat_aes256gcm),
        cmocka_unit_test(test_aead_kat_chacha20poly1305),
        cmocka_unit_test(test_aead_round_trip),
        cmocka_unit_test(test_kex_agree),
        cmocka_unit_test(test_kex_malformed_ec),
        cmocka_unit_test(test_kex_malformed_x25519),
        cmocka_unit_test(test_sig_fits_key_table),
        cmocka_unit_test(test_sig_nids),
        cmocka_unit_test(test_sig_sign_verify),
        cmocka_unit_test(test_sig_wrong_key),
        cmocka_unit_test(test_sig_pss_salt_length_enforced),
        cmocka_unit_test(test_alloc_failure),
    };

    /* Must precede every libcrypto allocation. */
    if (!CRYPTO_set_mem_functions(t_malloc, t_realloc, t_free)) {
        fprintf(stderr, "cannot install the failing allocator\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}

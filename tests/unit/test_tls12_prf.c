/* The TLS 1.2 key schedule (src/hs/prf.c over the door's P_hash) and the
 * TLS 1.2 AEAD record protection (src/record/record.c).
 *
 * Known answers: the TLS 1.2 PRF-SHA256 vector published with the IETF
 * TLS WG's test vectors ("test label", 100 bytes).  Differential checks:
 * P_hash, master secret (with and without RFC 7627), key block, Finished
 * and RFC 5705 exporter against libcrypto's EVP_KDF "TLS1-PRF"; records
 * against a GCM / ChaCha20-Poly1305 computation done here with EVP
 * directly (RFC 5288 / RFC 7905 nonces, RFC 5246 §6.2.3.3 additional
 * data).  Negative cases: tampered, truncated, replayed and oversized
 * records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>

#include "crypto/crypto.h"
#include "hs/tls12.h"
#include "record/record.h"

static clasp_crypto *crypto;

static int group_setup(void **state)
{
    (void)state;
    crypto = clasp_crypto_new(NULL, NULL);
    return crypto != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    clasp_crypto_free(crypto);
    return 0;
}

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

/* libcrypto's TLS 1.2 PRF: the reference the door is compared with. */
static void ref_prf(const char *md, const uint8_t *secret, size_t secret_len, const uint8_t *seed,
                    size_t seed_len, uint8_t *out, size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    OSSL_PARAM params[4];

    assert_non_null(ctx);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
    params[1] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, secret_len);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed, seed_len);
    params[3] = OSSL_PARAM_construct_end();
    assert_int_equal(EVP_KDF_derive(ctx, out, out_len, params), 1);
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
}

static void fill(uint8_t *p, size_t n, uint8_t start)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(start + 7 * i);
    }
}

/* ---- the PRF ------------------------------------------------------------------------- */

static void test_prf_sha256_known_answer(void **state)
{
    uint8_t secret[16];
    uint8_t seed[16];
    uint8_t want[100];
    uint8_t got[100];

    (void)state;
    unhex("9bbe436ba940f017b17652849a71db35", secret, sizeof(secret));
    unhex("a0ba9f936cda311827a6f796ffd5198c", seed, sizeof(seed));
    unhex("e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
          "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab"
          "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
          "87347b66",
          want, sizeof(want));
    assert_true(clasp_prf12(crypto, CLASP_HASH_SHA256, secret, sizeof(secret), "test label", seed,
                            sizeof(seed), NULL, 0, got, sizeof(got)));
    assert_memory_equal(got, want, sizeof(want));
}

/* Every output length around the hash-length boundaries, both hashes, a
 * secret longer than a block, the seed split in two. */
static void test_prf_against_libcrypto(void **state)
{
    static const size_t lens[] = {1, 12, 31, 32, 33, 48, 64, 65, 96, 97, 200};
    static const size_t secret_lens[] = {0, 16, 48, 200};
    uint8_t secret[200];
    uint8_t seed[64 + 10];
    uint8_t got[200];
    uint8_t want[200];

    (void)state;
    fill(secret, sizeof(secret), 3);
    memcpy(seed, "test label", 10);
    fill(seed + 10, 64, 11);
    for (int h = 0; h < 2; h++) {
        const char *md = h == 0 ? "SHA256" : "SHA384";
        for (size_t s = 0; s < sizeof(secret_lens) / sizeof(secret_lens[0]); s++) {
            for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
                assert_true(clasp_prf12(crypto, (clasp_hash_id)h, secret, secret_lens[s],
                                        "test label", seed + 10, 20, seed + 30, 44, got, lens[i]));
                ref_prf(md, secret, secret_lens[s], seed, sizeof(seed), want, lens[i]);
                assert_memory_equal(got, want, lens[i]);
            }
        }
    }
}

static void test_master_secret(void **state)
{
    uint8_t pms[32];
    uint8_t cr[32];
    uint8_t sr[32];
    uint8_t session_hash[48];
    uint8_t seed[64 + 22];
    uint8_t got[48];
    uint8_t want[48];

    (void)state;
    fill(pms, sizeof(pms), 1);
    fill(cr, sizeof(cr), 2);
    fill(sr, sizeof(sr), 3);
    fill(session_hash, sizeof(session_hash), 4);
    /* RFC 5246 §8.1 */
    assert_true(clasp_tls12_master_secret(crypto, CLASP_HASH_SHA256, pms, sizeof(pms), 0, NULL, cr,
                                          sr, got));
    memcpy(seed, "master secret", 13);
    memcpy(seed + 13, cr, 32);
    memcpy(seed + 45, sr, 32);
    ref_prf("SHA256", pms, sizeof(pms), seed, 13 + 64, want, 48);
    assert_memory_equal(got, want, 48);
    /* RFC 7627 §4, with SHA-384 (its session hash is 48 bytes) */
    assert_true(clasp_tls12_master_secret(crypto, CLASP_HASH_SHA384, pms, sizeof(pms), 1,
                                          session_hash, cr, sr, got));
    memcpy(seed, "extended master secret", 22);
    memcpy(seed + 22, session_hash, 48);
    ref_prf("SHA384", pms, sizeof(pms), seed, 22 + 48, want, 48);
    assert_memory_equal(got, want, 48);
}

static void test_key_block(void **state)
{
    uint8_t master[48];
    uint8_t cr[32];
    uint8_t sr[32];
    uint8_t seed[13 + 64];
    uint8_t want[88];
    clasp_tls12_keys k;

    (void)state;
    fill(master, sizeof(master), 9);
    fill(cr, sizeof(cr), 2);
    fill(sr, sizeof(sr), 3);
    memcpy(seed, "key expansion", 13);
    memcpy(seed + 13, sr, 32); /* server_random first (RFC 5246 §6.3) */
    memcpy(seed + 45, cr, 32);

    /* AES-128-GCM: 16-byte keys, 4-byte salts */
    assert_true(clasp_tls12_key_block(crypto, CLASP_HASH_SHA256, CLASP_AEAD_AES_128_GCM, master, cr,
                                      sr, &k));
    ref_prf("SHA256", master, 48, seed, sizeof(seed), want, 40);
    assert_int_equal(k.key_len, 16);
    assert_int_equal(k.iv_len, 4);
    assert_memory_equal(k.client_key, want, 16);
    assert_memory_equal(k.server_key, want + 16, 16);
    assert_memory_equal(k.client_iv, want + 32, 4);
    assert_memory_equal(k.server_iv, want + 36, 4);

    /* AES-256-GCM with the SHA-384 PRF */
    assert_true(clasp_tls12_key_block(crypto, CLASP_HASH_SHA384, CLASP_AEAD_AES_256_GCM, master, cr,
                                      sr, &k));
    ref_prf("SHA384", master, 48, seed, sizeof(seed), want, 72);
    assert_memory_equal(k.client_key, want, 32);
    assert_memory_equal(k.server_key, want + 32, 32);
    assert_memory_equal(k.client_iv, want + 64, 4);
    assert_memory_equal(k.server_iv, want + 68, 4);

    /* ChaCha20-Poly1305: 32-byte keys, 12-byte IVs */
    assert_true(clasp_tls12_key_block(crypto, CLASP_HASH_SHA256, CLASP_AEAD_CHACHA20_POLY1305,
                                      master, cr, sr, &k));
    ref_prf("SHA256", master, 48, seed, sizeof(seed), want, 88);
    assert_int_equal(k.iv_len, 12);
    assert_memory_equal(k.client_key, want, 32);
    assert_memory_equal(k.server_key, want + 32, 32);
    assert_memory_equal(k.client_iv, want + 64, 12);
    assert_memory_equal(k.server_iv, want + 76, 12);
}

static void test_verify_data(void **state)
{
    uint8_t master[48];
    uint8_t hash[32];
    uint8_t seed[15 + 32];
    uint8_t got[12];
    uint8_t want[12];

    (void)state;
    fill(master, sizeof(master), 5);
    fill(hash, sizeof(hash), 6);
    for (int server = 0; server < 2; server++) {
        memcpy(seed, server ? "server finished" : "client finished", 15);
        memcpy(seed + 15, hash, 32);
        assert_true(clasp_tls12_verify_data(crypto, CLASP_HASH_SHA256, master, server, hash, got));
        ref_prf("SHA256", master, 48, seed, sizeof(seed), want, 12);
        assert_memory_equal(got, want, 12);
    }
}

/* One master-secret key serves a connection's key block and both
 * Finished values (clasp_tls12_master_mac): each use must leave the key as
 * it was, so every answer still matches libcrypto's PRF, in any order. */
static void test_master_mac_reused(void **state)
{
    uint8_t master[48];
    uint8_t cr[32];
    uint8_t sr[32];
    uint8_t hash[48];
    uint8_t kb_seed[13 + 64];
    uint8_t fin_seed[15 + 48];
    uint8_t want[72];
    uint8_t got[12];
    clasp_tls12_keys k;
    clasp_hmac_key *mk;

    (void)state;
    fill(master, sizeof(master), 11);
    fill(cr, sizeof(cr), 12);
    fill(sr, sizeof(sr), 13);
    fill(hash, sizeof(hash), 14);
    memcpy(kb_seed, "key expansion", 13);
    memcpy(kb_seed + 13, sr, 32);
    memcpy(kb_seed + 45, cr, 32);
    mk = clasp_tls12_master_mac(crypto, CLASP_HASH_SHA384, master);
    assert_non_null(mk);
    for (int round = 0; round < 2; round++) {
        for (int server = 0; server < 2; server++) {
            memcpy(fin_seed, server ? "server finished" : "client finished", 15);
            memcpy(fin_seed + 15, hash, 48);
            assert_true(clasp_tls12_verify_data_keyed(mk, server, hash, 48, got));
            ref_prf("SHA384", master, 48, fin_seed, sizeof(fin_seed), want, 12);
            assert_memory_equal(got, want, 12);
        }
        assert_true(clasp_tls12_key_block_keyed(mk, CLASP_AEAD_AES_256_GCM, cr, sr, &k));
        ref_prf("SHA384", master, 48, kb_seed, sizeof(kb_seed), want, 72);
        assert_memory_equal(k.client_key, want, 32);
        assert_memory_equal(k.server_iv, want + 68, 4);
    }
    clasp_hmac_key_free(mk);
    clasp_hmac_key_free(NULL); /* a no-op, as every free */
}

static void test_exporter(void **state)
{
    uint8_t master[48];
    uint8_t cr[32];
    uint8_t sr[32];
    uint8_t ctx[5] = {1, 2, 3, 4, 5};
    uint8_t seed[9 + 64 + 2 + 5];
    uint8_t got[40];
    uint8_t want[40];

    (void)state;
    fill(master, sizeof(master), 5);
    fill(cr, sizeof(cr), 2);
    fill(sr, sizeof(sr), 3);
    memcpy(seed, "EXPORTER1", 9);
    memcpy(seed + 9, cr, 32);
    memcpy(seed + 41, sr, 32);
    /* RFC 5705 §4: no context */
    assert_true(clasp_tls12_export(crypto, CLASP_HASH_SHA256, master, cr, sr, "EXPORTER1", 9, NULL,
                                   0, 0, got, sizeof(got)));
    ref_prf("SHA256", master, 48, seed, 9 + 64, want, sizeof(want));
    assert_memory_equal(got, want, sizeof(want));
    /* an empty context is not the same as none */
    assert_true(clasp_tls12_export(crypto, CLASP_HASH_SHA256, master, cr, sr, "EXPORTER1", 9, NULL,
                                   0, 1, got, sizeof(got)));
    seed[73] = 0;
    seed[74] = 0;
    ref_prf("SHA256", master, 48, seed, 9 + 64 + 2, want, sizeof(want));
    assert_memory_equal(got, want, sizeof(want));
    assert_true(clasp_tls12_export(crypto, CLASP_HASH_SHA256, master, cr, sr, "EXPORTER1", 9, ctx,
                                   sizeof(ctx), 1, got, sizeof(got)));
    seed[74] = 5;
    memcpy(seed + 75, ctx, 5);
    ref_prf("SHA256", master, 48, seed, sizeof(seed), want, sizeof(want));
    assert_memory_equal(got, want, sizeof(want));
    /* labels of the handshake itself are refused */
    assert_false(clasp_tls12_export(crypto, CLASP_HASH_SHA256, master, cr, sr, "key expansion", 13,
                                    NULL, 0, 0, got, sizeof(got)));
    assert_false(clasp_tls12_export(crypto, CLASP_HASH_SHA256, master, cr, sr, "master secretX", 14,
                                    NULL, 0, 0, got, sizeof(got)));
}

/* ---- TLS 1.2 records ------------------------------------------------------------------ */

typedef struct {
    clasp_aead_id aead;
    const char *cipher;
    size_t key_len;
    size_t iv_len;
    size_t explicit_len;
} rec_suite;

static const rec_suite rec_suites[] = {
    {CLASP_AEAD_AES_128_GCM, "AES-128-GCM", 16, 4, 8},
    {CLASP_AEAD_AES_256_GCM, "AES-256-GCM", 32, 4, 8},
    {CLASP_AEAD_CHACHA20_POLY1305, "ChaCha20-Poly1305", 32, 12, 0},
};

/* The record as RFC 5246 §6.2.3.3 + RFC 5288 / RFC 7905 describe it,
 * computed with EVP directly.  out: header, [explicit], ciphertext, tag. */
static size_t ref_seal(const rec_suite *s, const uint8_t *key, const uint8_t *iv, uint64_t seq,
                       uint8_t type, const uint8_t *pt, size_t len, uint8_t *out)
{
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, s->cipher, NULL);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    uint8_t nonce[12];
    uint8_t seqb[8];
    uint8_t aad[13];
    size_t body = s->explicit_len + len + 16;
    int outl;

    for (int i = 0; i < 8; i++) {
        seqb[i] = (uint8_t)(seq >> (56 - 8 * i));
    }
    if (s->explicit_len > 0) {
        memcpy(nonce, iv, 4);
        memcpy(nonce + 4, seqb, 8); /* the explicit part is the sequence number */
    } else {
        memcpy(nonce, iv, 12);
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] ^= seqb[i];
        }
    }
    memcpy(aad, seqb, 8);
    aad[8] = type;
    aad[9] = 3;
    aad[10] = 3;
    aad[11] = (uint8_t)(len >> 8);
    aad[12] = (uint8_t)len;
    out[0] = type;
    out[1] = 3;
    out[2] = 3;
    out[3] = (uint8_t)(body >> 8);
    out[4] = (uint8_t)body;
    memcpy(out + 5, seqb, s->explicit_len);
    assert_int_equal(EVP_EncryptInit_ex2(ctx, cipher, key, nonce, NULL), 1);
    assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &outl, aad, 13), 1);
    assert_int_equal(EVP_EncryptUpdate(ctx, out + 5 + s->explicit_len, &outl, pt, (int)len), 1);
    assert_int_equal(EVP_EncryptFinal_ex(ctx, out + 5, &outl), 1);
    assert_int_equal(
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out + 5 + s->explicit_len + len), 1);
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
    return 5 + body;
}

/* Puts bytes into the receiver.  Its input buffer starts small and grows
 * when a record header announces more than fits, so a full buffer is
 * read once to let it grow. */
static void feed(clasp_record *r, const uint8_t *data, size_t len)
{
    while (len > 0) {
        uint8_t *in;
        size_t space = clasp_rec_in_space(r, &in);
        size_t n = len < space ? len : space;
        int alert;
        int reason;

        if (n == 0) {
            assert_int_equal(clasp_rec_read(r, &alert, &reason), CLASP_REC_NEED_MORE);
            assert_true(clasp_rec_in_space(r, &in) > 0);
            continue;
        }
        memcpy(in, data, n);
        clasp_rec_in_commit(r, n);
        data += n;
        len -= n;
    }
}

static void set_keys(const rec_suite *s, clasp_record *w, clasp_record *r, uint8_t *key,
                     uint8_t *iv)
{
    fill(key, s->key_len, 0x40);
    fill(iv, s->iv_len, 0x80);
    if (w != NULL) {
        assert_true(clasp_rec_set_key12(&w->wr, crypto, s->aead, key, iv, s->iv_len, 1));
    }
    if (r != NULL) {
        assert_true(clasp_rec_set_key12(&r->rd, crypto, s->aead, key, iv, s->iv_len, 0));
    }
}

/* Our sealed records are byte for byte the reference's, and the reference's
 * open: sequence numbers 0, 1, 2 with several types and lengths. */
static void test_records_match_reference(void **state)
{
    static const size_t lens[] = {0, 1, 100, 16384};
    static uint8_t pt[16384];
    static uint8_t want[16384 + 64];

    (void)state;
    fill(pt, sizeof(pt), 1);
    for (size_t i = 0; i < sizeof(rec_suites) / sizeof(rec_suites[0]); i++) {
        const rec_suite *s = &rec_suites[i];
        clasp_record w;
        clasp_record r;
        uint8_t key[32];
        uint8_t iv[12];

        assert_true(clasp_rec_init(&w));
        assert_true(clasp_rec_init(&r));
        set_keys(s, &w, &r, key, iv);
        for (size_t j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
            uint8_t type = j == 1 ? CLASP_RT_ALERT : CLASP_RT_APPLICATION_DATA;
            const uint8_t *out;
            size_t want_len = ref_seal(s, key, iv, j, type, pt, lens[j], want);
            int alert;
            int reason;

            assert_true(clasp_rec_write(&w, type, pt, lens[j]));
            assert_int_equal(clasp_rec_out_pending(&w, &out), want_len);
            assert_memory_equal(out, want, want_len);
            clasp_rec_out_consume(&w, want_len);
            /* the reference record opens with our reader */
            feed(&r, want, want_len);
            assert_int_equal(clasp_rec_read(&r, &alert, &reason), CLASP_REC_OK);
            assert_int_equal(r.rec_type, type);
            assert_int_equal(r.rec_len, lens[j]);
            assert_memory_equal(r.rec_data, pt, lens[j]);
            clasp_rec_drop(&r);
        }
        clasp_rec_cleanup(&w);
        clasp_rec_cleanup(&r);
    }
}

static void expect_read_error(clasp_record *r, int want_alert)
{
    int alert = 0;
    int reason = 0;

    assert_int_equal(clasp_rec_read(r, &alert, &reason), CLASP_REC_ERROR);
    assert_int_equal(alert, want_alert);
}

/* A record tampered with anywhere (header type, explicit nonce,
 * ciphertext, tag), replayed, or too short fails with bad_record_mac. */
static void test_records_tampered(void **state)
{
    static const uint8_t pt[40] = "a TLS 1.2 record, tamper with me please";

    (void)state;
    for (size_t i = 0; i < sizeof(rec_suites) / sizeof(rec_suites[0]); i++) {
        const rec_suite *s = &rec_suites[i];
        uint8_t good[5 + 8 + 40 + 16];
        size_t len;
        uint8_t key[32];
        uint8_t iv[12];

        fill(key, s->key_len, 0x40);
        fill(iv, s->iv_len, 0x80);
        len = ref_seal(s, key, iv, 0, CLASP_RT_APPLICATION_DATA, pt, sizeof(pt), good);
        for (size_t pos = 0; pos < len; pos++) {
            clasp_record r;
            uint8_t bad[sizeof(good)];

            if (pos >= 1 && pos <= 4) {
                continue; /* version (not checked) and length (framing) */
            }
            memcpy(bad, good, len);
            bad[pos] ^= pos == 0 ? 0x03 : 0x01; /* type 23 → 20 */
            assert_true(clasp_rec_init(&r));
            set_keys(s, NULL, &r, key, iv);
            feed(&r, bad, len);
            expect_read_error(&r, SSL_AD_BAD_RECORD_MAC);
            clasp_rec_cleanup(&r);
        }
        /* replay: the second copy has the wrong sequence number */
        {
            clasp_record r;
            int alert;
            int reason;

            assert_true(clasp_rec_init(&r));
            set_keys(s, NULL, &r, key, iv);
            feed(&r, good, len);
            assert_int_equal(clasp_rec_read(&r, &alert, &reason), CLASP_REC_OK);
            clasp_rec_drop(&r);
            feed(&r, good, len);
            expect_read_error(&r, SSL_AD_BAD_RECORD_MAC);
            clasp_rec_cleanup(&r);
        }
        /* shorter than explicit nonce + tag */
        {
            clasp_record r;
            uint8_t tiny[5 + 23] = {CLASP_RT_APPLICATION_DATA, 3, 3, 0, 0};

            tiny[4] = (uint8_t)(s->explicit_len + 15);
            assert_true(clasp_rec_init(&r));
            set_keys(s, NULL, &r, key, iv);
            feed(&r, tiny, 5 + s->explicit_len + 15);
            expect_read_error(&r, SSL_AD_BAD_RECORD_MAC);
            clasp_rec_cleanup(&r);
        }
    }
}

/* RFC 5246 §6.2.1: more than 2^14 bytes of plaintext is record_overflow,
 * even when the tag would verify. */
static void test_record_overflow(void **state)
{
    static uint8_t pt[16385];
    static uint8_t rec[16385 + 64];
    const rec_suite *s = &rec_suites[0];
    clasp_record r;
    uint8_t key[32];
    uint8_t iv[12];
    size_t len;

    (void)state;
    fill(key, s->key_len, 0x40);
    fill(iv, s->iv_len, 0x80);
    len = ref_seal(s, key, iv, 0, CLASP_RT_APPLICATION_DATA, pt, sizeof(pt), rec);
    assert_true(clasp_rec_init(&r));
    set_keys(s, NULL, &r, key, iv);
    feed(&r, rec, len);
    expect_read_error(&r, SSL_AD_RECORD_OVERFLOW);
    clasp_rec_cleanup(&r);
}

/* Big writes are split at 2^14 with consecutive sequence numbers; a key
 * change restarts them at 0 (RFC 5246 §6.1). */
static void test_records_split_and_rekey(void **state)
{
    static uint8_t pt[40000];
    static uint8_t got[40000];
    const rec_suite *s = &rec_suites[2];
    clasp_record w;
    clasp_record r;
    uint8_t key[32];
    uint8_t iv[12];
    size_t have = 0;
    const uint8_t *out;
    size_t n;

    (void)state;
    fill(pt, sizeof(pt), 9);
    assert_true(clasp_rec_init(&w));
    assert_true(clasp_rec_init(&r));
    set_keys(s, &w, &r, key, iv);
    assert_true(clasp_rec_write(&w, CLASP_RT_APPLICATION_DATA, pt, sizeof(pt)));
    assert_int_equal(w.wr.seq, 3);
    n = clasp_rec_out_pending(&w, &out);
    while (n > 0) {
        uint8_t *space_at;
        size_t space = clasp_rec_in_space(&r, &space_at);
        size_t take = n < space ? n : space;
        int alert;
        int reason;

        feed(&r, out, take);
        clasp_rec_out_consume(&w, take);
        while (clasp_rec_read(&r, &alert, &reason) == CLASP_REC_OK) {
            memcpy(got + have, r.rec_data, r.rec_len);
            have += r.rec_len;
            clasp_rec_drop(&r);
        }
        n = clasp_rec_out_pending(&w, &out);
    }
    assert_int_equal(have, sizeof(pt));
    assert_memory_equal(got, pt, sizeof(pt));
    set_keys(s, &w, NULL, key, iv);
    assert_int_equal(w.wr.seq, 0);
    clasp_rec_cleanup(&w);
    clasp_rec_cleanup(&r);
}

static void test_wrong_iv_length_refused(void **state)
{
    clasp_rec_dir d;
    uint8_t key[32] = {0};
    uint8_t iv[12] = {0};

    (void)state;
    memset(&d, 0, sizeof(d));
    assert_false(clasp_rec_set_key12(&d, crypto, CLASP_AEAD_AES_128_GCM, key, iv, 12, 1));
    assert_false(clasp_rec_set_key12(&d, crypto, CLASP_AEAD_CHACHA20_POLY1305, key, iv, 4, 1));
    assert_null(d.aead);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prf_sha256_known_answer),
        cmocka_unit_test(test_prf_against_libcrypto),
        cmocka_unit_test(test_master_secret),
        cmocka_unit_test(test_key_block),
        cmocka_unit_test(test_verify_data),
        cmocka_unit_test(test_master_mac_reused),
        cmocka_unit_test(test_exporter),
        cmocka_unit_test(test_records_match_reference),
        cmocka_unit_test(test_records_tampered),
        cmocka_unit_test(test_record_overflow),
        cmocka_unit_test(test_records_split_and_rekey),
        cmocka_unit_test(test_wrong_iv_length_refused),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

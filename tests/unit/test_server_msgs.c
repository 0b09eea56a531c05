/* The TLS 1.3 server state machine, fed crafted messages: each ClientHello
 * rule of RFC 9846 §4.2.2 / §4.3 ends in the alert and reason it must, with
 * exactly one alert and nothing else sent; the facade's decision; the
 * HelloRetryRequest rules for the second ClientHello; and the client's
 * Finished (forged, truncated, replaced by a Certificate), encrypted with
 * the handshake key the server logs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "engine.h"
#include "hs/conn.h"
#include "msg/msg.h"

#define X25519 CLASP_GROUP_X25519
#define P256 CLASP_GROUP_SECP256R1
#define P384 CLASP_GROUP_SECP384R1

static const uint16_t server_suites[] = {0x1301, 0x1302, 0x1303};
static const uint16_t server_groups[] = {X25519, P256, P384};
static const uint16_t server_sigalgs[] = {CLASP_SIG_ECDSA_SECP256R1_SHA256, CLASP_SIG_ED25519,
                                          CLASP_SIG_RSA_PSS_RSAE_SHA256};

static clasp_crypto *crypto;
static EVP_PKEY *p256_key;
static X509 *p256_cert;

/* ---- fixture -------------------------------------------------------------------- */

static X509 *self_signed(EVP_PKEY *key)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"server", -1,
                               -1, 0);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, name);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_sign(x, key, EVP_sha256());
    X509_NAME_free(name);
    return x;
}

static int group_setup(void **state)
{
    crypto = clasp_crypto_new(NULL, NULL);
    p256_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    p256_cert = p256_key != NULL ? self_signed(p256_key) : NULL;
    return crypto != NULL && p256_cert != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
    clasp_crypto_free(crypto);
    X509_free(p256_cert);
    EVP_PKEY_free(p256_key);
    return 0;
}

/* What the server's keylog observer saw. */
typedef struct {
    uint8_t client_hs[CLASP_MAX_HASH_LEN];
    size_t client_hs_len;
    int lines;
} keylog_seen;

static void on_keylog(void *arg, const char *label, const uint8_t client_random[32],
                      const uint8_t *secret, size_t secret_len)
{
    keylog_seen *k = arg;

    k->lines++;
    if (strcmp(label, "CLIENT_HANDSHAKE_TRAFFIC_SECRET") == 0) {
        memcpy(k->client_hs, secret, secret_len);
        k->client_hs_len = secret_len;
    }
}

static clasp_config server_config(keylog_seen *k)
{
    clasp_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = crypto;
    cfg.is_server = 1;
    /* TLS 1.3 only: a TLS 1.2 ClientHello must be refused here (with 0x0303
     * allowed it would go to the TLS 1.2 server, tests/unit/test_tls12_engine.c). */
    cfg.min_version = 0x0304;
    cfg.max_version = 0x0304;
    cfg.suites = server_suites;
    cfg.num_suites = 3;
    cfg.groups = server_groups;
    cfg.num_groups = 3;
    cfg.sigalgs = server_sigalgs;
    cfg.num_sigalgs = 3;
    cfg.middlebox_compat = 1;
    cfg.max_cert_list = 100 * 1024;
    cfg.observer.arg = k;
    cfg.observer.keylog = on_keylog;
    return cfg;
}

static clasp_conn *new_server(keylog_seen *k)
{
    clasp_config cfg = server_config(k);
    clasp_conn *s = clasp_conn_new(&cfg);

    assert_non_null(s);
    assert_true(clasp_conn_start(s));
    ERR_clear_error();
    return s;
}

static clasp_wait feed(clasp_conn *s, const uint8_t *data, size_t len)
{
    uint8_t *in;
    size_t room = clasp_conn_in_space(s, &in);

    assert_true(room >= len);
    memcpy(in, data, len);
    clasp_conn_in_commit(s, len);
    return clasp_conn_process(s);
}

/* ---- crafted ClientHellos ---------------------------------------------------------- */

#define MAXN 8
#define OMIT_VERSIONS 1u
#define OMIT_SIGALGS 2u
#define OMIT_GROUPS 4u
#define OMIT_KEY_SHARE 8u

typedef struct {
    uint16_t legacy_version;
    size_t sid_len;
    uint16_t suites[MAXN];
    size_t num_suites;
    uint8_t comp[4];
    size_t comp_len;
    unsigned omit;
    uint16_t versions[MAXN];
    size_t num_versions;
    uint16_t groups[MAXN];
    size_t num_groups;
    uint16_t shares[MAXN]; /* a fresh valid key for each group listed */
    size_t num_shares;
    const uint8_t *raw_key; /* replaces the first share's key_exchange */
    size_t raw_key_len;
    const char *sni;
    const uint8_t *sni_ext; /* raw server_name extension_data */
    size_t sni_ext_len;
    const uint8_t *alpn_ext; /* raw ALPN extension_data */
    size_t alpn_ext_len;
    const uint8_t *extra; /* whole extensions appended at the end */
    size_t extra_len;
    size_t cut; /* bytes dropped from the end of the body */
    uint8_t msg_type;
} ch_opts;

static ch_opts default_ch(void)
{
    ch_opts o;

    memset(&o, 0, sizeof(o));
    o.legacy_version = 0x0303;
    o.sid_len = 32;
    o.suites[0] = 0x1301;
    o.num_suites = 1;
    o.comp_len = 1;
    o.versions[0] = 0x0304;
    o.versions[1] = 0x0303;
    o.num_versions = 2;
    o.groups[0] = X25519;
    o.groups[1] = P256;
    o.num_groups = 2;
    o.shares[0] = X25519;
    o.num_shares = 1;
    o.msg_type = CLASP_HT_CLIENT_HELLO;
    return o;
}

static void put_ext(clasp_writer *w, uint16_t type, const uint8_t *data, size_t len)
{
    clasp_wr_u16(w, type);
    clasp_wr_u16(w, (uint16_t)len);
    clasp_wr_bytes(w, data, len);
}

static void put_u16_list(clasp_writer *w, uint16_t type, const uint16_t *v, size_t n, int u8len)
{
    clasp_wr_mark ext;
    clasp_wr_mark list;

    clasp_wr_u16(w, type);
    clasp_wr_open_u16(w, &ext);
    if (u8len) {
        clasp_wr_open_u8(w, &list);
    } else {
        clasp_wr_open_u16(w, &list);
    }
    for (size_t i = 0; i < n; i++) {
        clasp_wr_u16(w, v[i]);
    }
    clasp_wr_close(w, &list);
    clasp_wr_close(w, &ext);
}

static void put_shares(clasp_writer *w, const ch_opts *o)
{
    clasp_wr_mark ext;
    clasp_wr_mark list;
    clasp_wr_mark key;

    clasp_wr_u16(w, CLASP_EXT_KEY_SHARE);
    clasp_wr_open_u16(w, &ext);
    clasp_wr_open_u16(w, &list);
    for (size_t i = 0; i < o->num_shares; i++) {
        uint8_t pub[CLASP_MAX_KEX_PUB_LEN];
        size_t pub_len = 0;

        clasp_wr_u16(w, o->shares[i]);
        clasp_wr_open_u16(w, &key);
        if (i == 0 && o->raw_key != NULL) {
            clasp_wr_bytes(w, o->raw_key, o->raw_key_len);
        } else {
            clasp_kex *k = clasp_kex_generate(crypto, o->shares[i], pub, &pub_len);
            assert_non_null(k);
            clasp_kex_free(k);
            clasp_wr_bytes(w, pub, pub_len);
        }
        clasp_wr_close(w, &key);
    }
    clasp_wr_close(w, &list);
    clasp_wr_close(w, &ext);
}

static void put_sni(clasp_writer *w, const char *host)
{
    clasp_wr_mark ext;
    clasp_wr_mark list;
    clasp_wr_mark name;

    clasp_wr_u16(w, CLASP_EXT_SERVER_NAME);
    clasp_wr_open_u16(w, &ext);
    clasp_wr_open_u16(w, &list);
    clasp_wr_u8(w, 0);
    clasp_wr_open_u16(w, &name);
    clasp_wr_bytes(w, (const uint8_t *)host, strlen(host));
    clasp_wr_close(w, &name);
    clasp_wr_close(w, &list);
    clasp_wr_close(w, &ext);
}

static void put_extensions(clasp_writer *w, const ch_opts *o)
{
    clasp_wr_mark exts;

    clasp_wr_open_u16(w, &exts);
    if (o->sni != NULL) {
        put_sni(w, o->sni);
    }
    if (o->sni_ext != NULL) {
        put_ext(w, CLASP_EXT_SERVER_NAME, o->sni_ext, o->sni_ext_len);
    }
    if (o->alpn_ext != NULL) {
        put_ext(w, CLASP_EXT_ALPN, o->alpn_ext, o->alpn_ext_len);
    }
    if (!(o->omit & OMIT_VERSIONS)) {
        put_u16_list(w, CLASP_EXT_SUPPORTED_VERSIONS, o->versions, o->num_versions, 1);
    }
    if (!(o->omit & OMIT_SIGALGS)) {
        put_u16_list(w, CLASP_EXT_SIGNATURE_ALGORITHMS, server_sigalgs, 3, 0);
    }
    if (!(o->omit & OMIT_GROUPS)) {
        put_u16_list(w, CLASP_EXT_SUPPORTED_GROUPS, o->groups, o->num_groups, 0);
    }
    if (!(o->omit & OMIT_KEY_SHARE)) {
        put_shares(w, o);
    }
    clasp_wr_bytes(w, o->extra, o->extra_len);
    clasp_wr_close(w, &exts);
}

/* Builds the record carrying the ClientHello; returns its length. */
static size_t build_ch(const ch_opts *o, uint8_t *out, size_t cap)
{
    uint8_t body[4096];
    uint8_t sid[32];
    clasp_writer b;
    clasp_writer r;
    clasp_wr_mark m;
    size_t len;

    memset(sid, 0x5a, sizeof(sid));
    clasp_wr_init_fixed(&b, body, sizeof(body));
    clasp_wr_u16(&b, o->legacy_version);
    clasp_wr_zeros(&b, 32); /* random */
    clasp_wr_u8(&b, (uint8_t)o->sid_len);
    clasp_wr_bytes(&b, sid, o->sid_len);
    clasp_wr_u16(&b, (uint16_t)(2 * o->num_suites));
    for (size_t i = 0; i < o->num_suites; i++) {
        clasp_wr_u16(&b, o->suites[i]);
    }
    clasp_wr_u8(&b, (uint8_t)o->comp_len);
    clasp_wr_bytes(&b, o->comp, o->comp_len);
    put_extensions(&b, o);
    assert_true(clasp_wr_ok(&b));
    len = b.len - o->cut;
    clasp_wr_init_fixed(&r, out, cap);
    clasp_wr_u8(&r, CLASP_RT_HANDSHAKE);
    clasp_wr_u16(&r, 0x0301);
    clasp_wr_open_u16(&r, &m);
    clasp_wr_u8(&r, o->msg_type);
    clasp_wr_u24(&r, (uint32_t)len);
    clasp_wr_bytes(&r, body, len);
    clasp_wr_close(&r, &m);
    assert_true(clasp_wr_ok(&r));
    return r.len;
}

static clasp_wait send_ch(clasp_conn *s, const ch_opts *o)
{
    uint8_t rec[4200];
    size_t n = build_ch(o, rec, sizeof(rec));

    return feed(s, rec, n);
}

/* ---- expectations ---------------------------------------------------------------- */

static void expect_reason(int reason)
{
    unsigned long e = ERR_peek_last_error();

    assert_int_equal(ERR_GET_LIB(e), ERR_LIB_SSL);
    assert_int_equal(ERR_GET_REASON(e), reason);
    ERR_clear_error();
}

/* A fatal error before any key: the only output is one plaintext alert. */
static void expect_plain_alert(clasp_conn *s, clasp_wait w, int alert, int reason)
{
    const uint8_t want[7] = {21, 3, 3, 0, 2, 2, (uint8_t)alert};
    const uint8_t *out;
    size_t n;

    assert_int_equal(w, CLASP_WAIT_ERROR);
    assert_int_equal(clasp_conn_alert_sent(s), (2 << 8) | alert);
    n = clasp_conn_out_pending(s, &out);
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
    expect_reason(reason);
    /* Sticky: later calls report the same failure, and send nothing. */
    assert_int_equal(clasp_conn_process(s), CLASP_WAIT_ERROR);
    assert_int_equal(clasp_conn_out_pending(s, &out), sizeof(want));
}

static void ch_fails(const ch_opts *o, int alert, int reason)
{
    keylog_seen k = {0};
    clasp_conn *s = new_server(&k);

    expect_plain_alert(s, send_ch(s, o), alert, reason);
    clasp_conn_free(s);
}

/* Sends the ClientHello and answers the decision with our P-256 identity. */
static clasp_conn *server_after_decision(keylog_seen *k, const ch_opts *o)
{
    clasp_conn *s = new_server(k);
    clasp_identity id = clasp_identity_make(p256_cert, NULL, p256_key);

    assert_int_equal(send_ch(s, o), CLASP_WAIT_CLIENT_HELLO);
    clasp_conn_client_hello_done(s, &id, 1, NULL, 0, 0, 0);
    return s;
}

/* ---- ClientHello: happy path ------------------------------------------------------- */

static void test_valid_client_hello(void **state)
{
    keylog_seen k = {0};
    ch_opts o = default_ch();
    clasp_conn *s;
    const uint8_t *out;
    size_t n;

    o.sni = "example.test";
    s = new_server(&k);
    assert_int_equal(send_ch(s, &o), CLASP_WAIT_CLIENT_HELLO);
    assert_string_equal(clasp_conn_client_sni(s), "example.test");
    assert_string_equal(clasp_conn_state_name(s), "SSLv3/TLS read client hello");
    assert_int_equal(clasp_conn_state_code(s), TLS_ST_SR_CLNT_HELLO);
    assert_int_equal(clasp_conn_out_pending(s, &out), 0);
    /* Until the facade decides, processing keeps waiting for it. */
    assert_int_equal(clasp_conn_process(s), CLASP_WAIT_CLIENT_HELLO);
    clasp_identity id = clasp_identity_make(p256_cert, NULL, p256_key);
    clasp_conn_client_hello_done(s, &id, 1, NULL, 0, 0, 0);
    assert_int_equal(clasp_conn_process(s), CLASP_WAIT_INPUT);
    assert_string_equal(clasp_conn_state_name(s), "TLSv1.3 early data");
    assert_int_equal(clasp_conn_state_code(s), TLS_ST_EARLY_DATA);
    assert_int_equal(clasp_conn_version(s), 0x0304);
    assert_int_equal(clasp_conn_cipher_suite(s), 0x1301);
    assert_int_equal(clasp_conn_group(s), X25519);
    assert_int_equal(clasp_conn_own_sigalg(s), CLASP_SIG_ECDSA_SECP256R1_SHA256);
    assert_int_equal(k.lines, 2); /* handshake secrets only: no app key yet */
    /* ServerHello record, then the compatibility CCS (RFC 9846 Appendix E.4). */
    n = clasp_conn_out_pending(s, &out);
    assert_true(n > 100);
    assert_int_equal(out[0], CLASP_RT_HANDSHAKE);
    assert_int_equal(out[5], CLASP_HT_SERVER_HELLO);
    size_t sh_len = 5 + ((size_t)out[3] << 8 | out[4]);
    const uint8_t ccs[6] = {20, 3, 3, 0, 1, 1};
    assert_memory_equal(out + sh_len, ccs, sizeof(ccs));
    assert_int_equal(out[sh_len + 6], CLASP_RT_APPLICATION_DATA);
    clasp_conn_free(s);
}

static void test_no_ccs_without_session_id(void **state)
{
    keylog_seen k = {0};
    ch_opts o = default_ch();
    const uint8_t *out;
    clasp_conn *s;

    o.sid_len = 0;
    s = server_after_decision(&k, &o);
    assert_int_equal(clasp_conn_process(s), CLASP_WAIT_INPUT);
    assert_true(clasp_conn_out_pending(s, &out) > 100);
    size_t sh_len = 5 + ((size_t)out[3] << 8 | out[4]);
    /* Straight to the encrypted EncryptedExtensions. */
    assert_int_equal(out[sh_len], CLASP_RT_APPLICATION_DATA);
    clasp_conn_free(s);
}

/* ---- ClientHello: version, compression, suites -------------------------------------- */

static void test_missing_supported_versions(void **state)
{
    ch_opts o = default_ch();

    o.omit = OMIT_VERSIONS;
    ch_fails(&o, SSL_AD_PROTOCOL_VERSION, SSL_R_UNSUPPORTED_PROTOCOL);
}

static void test_tls12_only(void **state)
{
    ch_opts o = default_ch();

    o.versions[0] = 0x0303;
    o.versions[1] = 0x0302;
    ch_fails(&o, SSL_AD_PROTOCOL_VERSION, SSL_R_UNSUPPORTED_PROTOCOL);
}

static void test_tls10_no_extensions(void **state)
{
    ch_opts o = default_ch();

    o.legacy_version = 0x0301;
    o.omit = OMIT_VERSIONS | OMIT_SIGALGS | OMIT_GROUPS | OMIT_KEY_SHARE;
    ch_fails(&o, SSL_AD_PROTOCOL_VERSION, SSL_R_UNSUPPORTED_PROTOCOL);
}

static void test_bad_legacy_version(void **state)
{
    ch_opts o = default_ch();

    o.legacy_version = 0x0301; /* RFC 9846 §4.2.2: must be 0x0303 */
    ch_fails(&o, SSL_AD_PROTOCOL_VERSION, SSL_R_BAD_LEGACY_VERSION);
    o.legacy_version = 0x0200;
    ch_fails(&o, SSL_AD_PROTOCOL_VERSION, SSL_R_BAD_LEGACY_VERSION);
}

static void test_malformed_supported_versions(void **state)
{
    static const uint8_t odd[] = {0x00, 0x2b, 0x00, 0x04, 0x03, 0x03, 0x04, 0x03};
    ch_opts o = default_ch();

    o.omit = OMIT_VERSIONS;
    o.extra = odd;
    o.extra_len = sizeof(odd);
    ch_fails(&o, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
}

static void test_bad_compression(void **state)
{
    ch_opts o = default_ch();

    o.comp[0] = 1;
    ch_fails(&o, SSL_AD_ILLEGAL_PARAMETER, SSL_R_INVALID_COMPRESSION_ALGORITHM);
    o.comp[0] = 0;
    o.comp[1] = 1;
    o.comp_len = 2;
    ch_fails(&o, SSL_AD_ILLEGAL_PARAMETER, SSL_R_INVALID_COMPRESSION_ALGORITHM);
}

static void test_no_common_suite(void **state)
{
    ch_opts o = default_ch();

    o.suites[0] = 0xc02f; /* a TLS 1.2 suite */
    o.suites[1] = 0x00ff; /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV */
    o.suites[2] = 0x1304; /* TLS_AES_128_CCM_SHA256: not ours */
    o.num_suites = 3;
    ch_fails(&o, SSL_AD_HANDSHAKE_FAILURE, SSL_R_NO_SHARED_CIPHER);
}

static void test_suite_order(void **state)
{
    keylog_seen k = {0};
    ch_opts o = default_ch();
    clasp_conn *s;

    /* Unknown and signalling suites are skipped; the client's order wins. */
    o.suites[0] = 0x00ff;
    o.suites[1] = 0x1304;
    o.suites[2] = 0x1303;
    o.suites[3] = 0x1301;
    o.num_suites = 4;
    s = server_after_decision(&k, &o);
    assert_int_equal(clasp_conn_process(s), CLASP_WAIT_INPUT);
    assert_int_equal(clasp_conn_cipher_suite(s), 0x1303);
    clasp_conn_free(s);
}

static void test_server_suite_preference(void **state)
{
    keylog_seen k = {0};
    ch_opts o = default_ch();
    clasp_config cfg = server_config(&k);
    clasp_identity id = clasp_identity_make(p256_cert, NULL, p256_key);
    clasp_conn *s;

    cfg.server_prefer_own_suites = 1;
    s = clasp_conn_new(&cfg);
    assert_true(clasp_conn_start(s));
    o.suites[0] = 0x1303;
    o.suites[1] = 0x1302;
    o.num_suites = 2;
    assert_int_equal(send_ch(s, &o), CLASP_WAIT_CLIENT_HELLO);
    clasp_conn_client_hello_done(s, &id, 1, NULL, 0, 0, 0);
    assert_int_equal(clasp_conn_process(s), CLASP_WAIT_INPUT);
    assert_int_equal(clasp_conn_cipher_suite(s), 0x1302);
    clasp_conn_free(s);
}

/* ---- ClientHello: framing and generic extension rules --------------------------------- */

static void test_truncated(void **state)
{
    ch_opts o = default_ch();

    /* The message length is consistent, the structure inside is cut. */
    for (size_t cut = 1; cut < 150; cut += 7) {
        o.cut = cut;
        ch_fails(&o, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
    }
}

static void test_trailing_bytes(void **state)
{
    keylog_seen k = {0};
    ch_opts o = default_ch();
    uint8_t rec[4200];
    size_t n = build_ch(&o, rec, sizeof(rec));
    clasp_conn *s = new_server(&k);

    /* One byte more in the record and in the message length. */
    rec[n] = 0;
    clasp_put_u16(rec + 3, (uint16_t)(n + 1 - 5));
    clasp_put_u24(rec + 6, (uint32_t)(n + 1 - 9));
    expect_plain_alert(s, feed(s, rec, n + 1), SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
    clasp_conn_free(s);
}

static void test_duplicate_extension(void **state)
{
    static const uint8_t dup[] = {0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03};
    ch_opts o = default_ch();

    o.extra = dup;
    o.extra_len = sizeof(dup);
    ch_fails(&o, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_EXTENSION);
}

static void test_extension_not_for_client_hello(void **state)
{
    /* oid_filters (48) belongs to CertificateRequest only (RFC 9846 §4.3). */
    static const uint8_t oid_filters[] = {0x00, 0x30, 0x00, 0x02, 0x00, 0x00};
    ch_opts o = default_ch();

    o.extra = oid_filters;
    o.extra_len = sizeof(oid_filters);
    ch_fails(&o, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_EXTENSION);
}

static void test_unknown_extension_ignored(void **state)
{
    static const uint8_t grease[] = {0x0a, 0x0a, 0x00, 0x01, 0x00};
    keylog_seen k = {0};
    ch_opts o = default_ch();
    clasp_conn *s;

    o.extra = grease;
    o.extra_len = sizeof(grease);
    s = new_server(&k);
    assert_int_equal(send_ch(s, &o), CLASP_WAIT_CLIENT_HELLO);
    clasp_conn_free(s);
}

static void test_psk_not_last(void **state)
{
    static const uint8_t psk_then_grease[] = {
        0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, /* psk_key_exchange_modes: psk_dhe_ke */
        0x00, 0x29, 0x00, 0x00,             /* pre_shared_key (contents ignored) */
        0x0a, 0x0a, 0x00, 0x00,             /* anything after it */
    };
    ch_opts o = default_ch();

    o.extra = psk_then_grease;
    o.extra_len = sizeof(psk_then_grease);
    ch_fails(&o, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_EXTENSION);
}

static void test_psk_without_modes(void **state)
{
    static const uint8_t psk[] = {0x00, 0x29, 0x00, 0x00};
    ch_opts o = default_ch();

    o.extra = psk;
    o.extra_len = sizeof(psk);
    ch_fails(&o, SSL_AD_MISSING_EXTENSION, SSL_R_MISSING_PSK_KEX_MODES_EXTENSION);
}

static void test_psk_offer_declined(void **state)
{
    static const uint8_t psk[] = {
        0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x2a, 0x00, 0x00, /* modes, early_data */
        0x00, 0x29, 0x00, 0x00,                                     /* pre_shared_key last */
    };
    keylog_seen k = {0};
    ch_opts o = default_ch();
    clasp_conn *s;

    o.extra = psk;
    o.extra_len = sizeof(psk);
    s = server_after_decision(&k, &o);
    assert_int_equal(clasp_conn_process(s), CLASP_WAIT_INPUT);
    clasp_conn_free(s);
}

static void test_wrong_first_message(void **state)
{
    ch_opts o = default_ch();

    o.msg_type = CLASP_HT_FINISHED;
    ch_fails(&o, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_MESSAGE);
}

static void test_ccs_before_client_hello(void **state)
{
    static const uint8_t ccs[6] = {20, 3, 3, 0, 1, 1};
    keylog_seen k = {0};
    clasp_conn *s = new_server(&k);

    expect_plain_alert(s, feed(s, ccs, sizeof(ccs)), SSL_AD_UNEXPECTED_MESSAGE,
                       SSL_R_CCS_RECEIVED_EARLY);
    clasp_conn_free(s);
}

/* ---- ClientHello: signature algorithms, groups, key shares ----------------------------- */

static void test_missing_sigalgs(void **state)
{
    ch_opts o = default_ch();

    o.omit = OMIT_SIGALGS;
    ch_fails(&o, SSL_AD_MISSING_EXTENSION, SSL_R_MISSING_SIGALGS_EXTENSION);
}

static void test_key_share_without_groups(void **state)
{
    ch_opts o = default_ch();

    o.omit = OMIT_GROUPS;
    ch_fails(&o, SSL_AD_MISSING_EXTENSION, SSL_R_MISSING_SUPPORTED_GROUPS_EXTENSION);
}

static void test_groups_without_key_share(void **state)
{
    ch_opts o = default_ch();

    o.omit = OMIT_KEY_SHARE;
    ch_fails(&o, SSL_AD_MISSING_EXTENSION, SSL_R_NO_SUITABLE_KEY_SHARE);
}

static void test_share_not_in_groups(void **state)
{
    ch_opts o = default_ch();

    o.shares[0] = P384;
    ch_fails(&o, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_KEY_SHARE);
}

static void test_duplicate_share(void **state)
{
    ch_opts o = default_ch();

    o.shares[1] = X25519;
    o.num_shares = 2;
    ch_fails(&o, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_KEY_SHARE);
}

static void test_shares_out_of_order(void **state)
{
    ch_opts o = default_ch();

    o.shares[0] = P256;
    o.shares[1] = X25519;
    o.num_shares = 2;
    ch_fails(&o, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_KEY_SHARE);
}

static void test_empty_key_exchange(void **state)
{
    ch_opts o = default_ch();

    o.raw_key = (const uint8_t *)"";
    o.raw_key_len = 0;
    ch_fails(&o, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
}

static void test_no_common_group(void **state)
{
    ch_opts o = default_ch();

    o.groups[0] = 0x001e; /* x448 */
    o.groups[1] = 0x0100; /* ffdhe2048 */
    o.shares[0] = 0x001e;
    o.raw_key = (const uint8_t *)"0123456789012345678901234567890123456789012345678901234";
    o.raw_key_len = 56;
    ch_fails(&o, SSL_AD_HANDSHAKE_FAILURE, SSL_R_NO_SUITABLE_KEY_SHARE);
}

static void test_first_usable_share_wins(void **state)
{
    keylog_seen k = {0};
    ch_opts o = default_ch();
    clasp_conn *s;

    /* x448 first (not ours), then P-256: no HelloRetryRequest for X25519. */
    o.groups[0] = 0x001e;
    o.groups[1] = X25519;
    o.groups[2] = P256;
    o.num_groups = 3;
    o.shares[0] = 0x001e;
    o.shares[1] = P256;
    o.num_shares = 2;
    o.raw_key = (const uint8_t *)"0123456789012345678901234567890123456789012345678901234";
    o.raw_key_len = 56;
    s = server_after_decision(&k, &o);
    assert_int_equal(clasp_conn_process(s), CLASP_WAIT_INPUT);
    assert_int_equal(clasp_conn_group(s), P256);
    assert_false(clasp_conn_did_hrr(s));
    clasp_conn_free(s);
}

static void test_invalid_point(void **state)
{
    static const uint8_t zero[32] = {0};
    uint8_t bad_p256[65];
    keylog_seen k = {0};
    ch_opts o = default_ch();
    clasp_conn *s;

    /* X25519's all-zero point gives the all-zero secret (RFC 9846 §7.4.2). */
    o.raw_key = zero;
    o.raw_key_len = sizeof(zero);
    s = server_after_decision(&k, &o);
    expect_plain_alert(s, clasp_conn_process(s), SSL_AD_ILLEGAL_PARAMETER,
                       SSL_R_BAD_KEY_SHARE);
    clasp_conn_free(s);
    /* A P-256 "point" that is not on the curve. */
    memset(bad_p256, 0x11, sizeof(bad_p256));
    bad_p256[0] = 4;
    o = default_ch();
    o.shares[0] = P256;
    o.raw_key = bad_p256;
    o.raw_key_len = sizeof(bad_p256);
    s = server_after_decision(&k, &o);
    expect_plain_alert(s, clasp_conn_process(s), SSL_AD_ILLEGAL_PARAMETER,
                       SSL_R_BAD_KEY_SHARE);
    clasp_conn_free(s);
}

/* ---- ClientHello: server_name and ALPN ---------------------------------------------- */

static void test_bad_server_name(void **state)
{
    static const uint8_t wrong_type[] = {0x00, 0x04, 0x01, 0x00, 0x01, 'a'};
    static const uint8_t two_names[] = {0x00, 0x08, 0x00, 0x00, 0x01, 'a',
                                        0x00, 0x00, 0x01, 'b'};
    static const uint8_t empty_name[] = {0x00, 0x03, 0x00, 0x00, 0x00};
    static const uint8_t nul_name[] = {0x00, 0x05, 0x00, 0x00, 0x02, 'a', 0x00};
    ch_opts o = default_ch();

    o.sni_ext = wrong_type;
    o.sni_ext_len = sizeof(wrong_type);
    ch_fails(&o, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    o.sni_ext = two_names;
    o.sni_ext_len = sizeof(two_names);
    ch_fails(&o, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    o.sni_ext = empty_name;
    o.sni_ext_len = sizeof(empty_name);
    ch_fails(&o, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    o.sni_ext = nul_name;
    o.sni_ext_len = sizeof(nul_name);
    ch_fails(&o, SSL_AD_ILLEGAL_PARAMETER, SSL_R_SSL3_EXT_INVALID_SERVERNAME);
}

static void test_long_server_name(void **state)
{
    char name[300];
    ch_opts o = default_ch();

    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    o.sni = name;
    ch_fails(&o, SSL_AD_ILLEGAL_PARAMETER, SSL_R_SSL3_EXT_INVALID_SERVERNAME);
}

static void test_bad_alpn(void **state)
{
    static const uint8_t empty_list[] = {0x00, 0x00};
    static const uint8_t empty_name[] = {0x00, 0x03, 0x02, 'h', '2', 0x00};
    static const uint8_t overrun[] = {0x00, 0x03, 0x05, 'h', '2'};
    ch_opts o = default_ch();

    o.alpn_ext = empty_list;
    o.alpn_ext_len = sizeof(empty_list);
    ch_fails(&o, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    o.alpn_ext = empty_name;
    o.alpn_ext_len = sizeof(empty_name);
    ch_fails(&o, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    o.alpn_ext = overrun;
    o.alpn_ext_len = sizeof(overrun);
    ch_fails(&o, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
}

/* The client's list reaches the facade; its choice becomes the
 * connection's protocol (the wire form of EncryptedExtensions is checked by
 * the self-talk tests, where the client parses it). */
static void test_alpn_selection(void **state)
{
    static const uint8_t alpn[] = {0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h', 't',
                                   't', 'p', '/', '1', '.', '1'};
    keylog_seen k = {0};
    ch_opts o = default_ch();
    clasp_identity id = clasp_identity_make(p256_cert, NULL, p256_key);
    const uint8_t *list;
    const uint8_t *sel;
    size_t len;
    clasp_conn *s;

    o.alpn_ext = alpn;
    o.alpn_ext_len = sizeof(alpn);
    s = new_server(&k);
    assert_int_equal(send_ch(s, &o), CLASP_WAIT_CLIENT_HELLO);
    list = clasp_conn_client_alpn(s, &len);
    assert_non_null(list);
    assert_int_equal(len, sizeof(alpn) - 2);
    assert_memory_equal(list, alpn + 2, len);
    clasp_conn_client_hello_done(s, &id, 1, (const uint8_t *)"http/1.1", 8, 0, 0);
    assert_int_equal(clasp_conn_process(s), CLASP_WAIT_INPUT);
    sel = clasp_conn_alpn(s, &len);
    assert_int_equal(len, 8);
    assert_memory_equal(sel, "http/1.1", 8);
    clasp_conn_free(s);

    /* A protocol the client did not offer is the server's own error. */
    s = new_server(&k);
    assert_int_equal(send_ch(s, &o), CLASP_WAIT_CLIENT_HELLO);
    clasp_conn_client_hello_done(s, &id, 1, (const uint8_t *)"spdy/3", 6, 0, 0);
    expect_plain_alert(s, clasp_conn_process(s), SSL_AD_INTERNAL_ERROR,
                       SSL_R_NO_APPLICATION_PROTOCOL);
    clasp_conn_free(s);
}

/* ---- the facade's decision ---------------------------------------------------------- */

static void test_facade_aborts(void **state)
{
    keylog_seen k = {0};
    ch_opts o = default_ch();
    clasp_conn *s = new_server(&k);

    o.sni = "unknown.test";
    assert_int_equal(send_ch(s, &o), CLASP_WAIT_CLIENT_HELLO);
    clasp_conn_client_hello_done(s, NULL, 0, NULL, 0, SSL_AD_UNRECOGNIZED_NAME,
                                 SSL_R_CALLBACK_FAILED);
    expect_plain_alert(s, clasp_conn_process(s), SSL_AD_UNRECOGNIZED_NAME,
                       SSL_R_CALLBACK_FAILED);
    clasp_conn_free(s);
}

static void test_no_identity(void **state)
{
    keylog_seen k = {0};
    ch_opts o = default_ch();
    clasp_conn *s = new_server(&k);

    assert_int_equal(send_ch(s, &o), CLASP_WAIT_CLIENT_HELLO);
    clasp_conn_client_hello_done(s, NULL, 0, NULL, 0, 0, 0);
    expect_plain_alert(s, clasp_conn_process(s), SSL_AD_HANDSHAKE_FAILURE,
                       SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM);
    clasp_conn_free(s);
}

static void test_identity_choice(void **state)
{
    keylog_seen k = {0};
    ch_opts o = default_ch();
    EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    X509 *p384_cert = self_signed(p384);
    clasp_identity ids[2] = {clasp_identity_make(p384_cert, NULL, p384),
                             clasp_identity_make(p256_cert, NULL, p256_key)};
    clasp_conn *s = new_server(&k);

    /* The client's signature_algorithms have no P-384 scheme: the second
     * identity is taken. */
    assert_int_equal(send_ch(s, &o), CLASP_WAIT_CLIENT_HELLO);
    clasp_conn_client_hello_done(s, ids, 2, NULL, 0, 0, 0);
    memset(ids, 0, sizeof(ids)); /* the engine keeps its own copy */
    assert_int_equal(clasp_conn_process(s), CLASP_WAIT_INPUT);
    assert_int_equal(clasp_conn_own_sigalg(s), CLASP_SIG_ECDSA_SECP256R1_SHA256);
    clasp_conn_free(s);
    /* Only the P-384 identity: nothing fits. */
    ids[0] = clasp_identity_make(p384_cert, NULL, p384);
    s = new_server(&k);
    assert_int_equal(send_ch(s, &o), CLASP_WAIT_CLIENT_HELLO);
    clasp_conn_client_hello_done(s, ids, 1, NULL, 0, 0, 0);
    expect_plain_alert(s, clasp_conn_process(s), SSL_AD_HANDSHAKE_FAILURE,
                       SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM);
    clasp_conn_free(s);
    X509_free(p384_cert);
    EVP_PKEY_free(p384);
}

/* ---- HelloRetryRequest and the second ClientHello ------------------------------------ */

/* Sends a ClientHello with only a P-384 share while the server wants
 * X25519 first: a HelloRetryRequest for X25519 comes back. */
static clasp_conn *server_after_hrr(keylog_seen *k, ch_opts *o)
{
    clasp_conn *s;
    const uint8_t *out;
    size_t n;

    *o = default_ch();
    o->groups[0] = P384;
    o->groups[1] = X25519;
    o->shares[0] = 0x001e; /* x448: usable by neither */
    o->groups[2] = 0x001e;
    o->num_groups = 3;
    o->raw_key = (const uint8_t *)"0123456789012345678901234567890123456789012345678901234";
    o->raw_key_len = 56;
    /* supported_groups order: P-384, X25519, x448; the share is x448 */
    s = server_after_decision(k, o);
    assert_int_equal(clasp_conn_process(s), CLASP_WAIT_INPUT);
    assert_true(clasp_conn_did_hrr(s));
    n = clasp_conn_out_pending(s, &out);
    assert_true(n > 50);
    assert_int_equal(out[5], CLASP_HT_SERVER_HELLO);
    assert_memory_equal(out + 11, clasp_hrr_random, 32);
    clasp_conn_out_consume(s, n);
    assert_string_equal(clasp_conn_state_name(s), "SSLv3/TLS write change cipher spec");
    return s;
}

static void test_hrr_then_good_second_hello(void **state)
{
    keylog_seen k = {0};
    ch_opts o;
    clasp_conn *s = server_after_hrr(&k, &o);
    static const uint8_t ccs[6] = {20, 3, 3, 0, 1, 1};

    /* The server prefers X25519 among the client's groups (its own order). */
    o.shares[0] = X25519;
    o.raw_key = NULL;
    o.groups[2] = 0x001e;
    /* A compatibility CCS before the second ClientHello is dropped. */
    assert_int_equal(feed(s, ccs, sizeof(ccs)), CLASP_WAIT_INPUT);
    assert_int_equal(send_ch(s, &o), CLASP_WAIT_INPUT);
    assert_int_equal(clasp_conn_group(s), X25519);
    assert_string_equal(clasp_conn_state_name(s), "TLSv1.3 early data");
    clasp_conn_free(s);
}

static void test_hrr_second_hello_wrong_group(void **state)
{
    keylog_seen k = {0};
    ch_opts o;
    clasp_conn *s = server_after_hrr(&k, &o);

    o.shares[0] = P384; /* not the group asked for */
    o.raw_key = NULL;
    expect_plain_alert(s, send_ch(s, &o), SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_KEY_SHARE);
    clasp_conn_free(s);
}

static void test_hrr_second_hello_two_shares(void **state)
{
    keylog_seen k = {0};
    ch_opts o;
    clasp_conn *s = server_after_hrr(&k, &o);

    o.shares[0] = P384;
    o.shares[1] = X25519;
    o.num_shares = 2;
    o.raw_key = NULL;
    expect_plain_alert(s, send_ch(s, &o), SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_KEY_SHARE);
    clasp_conn_free(s);
}

static void test_hrr_second_hello_still_no_share(void **state)
{
    keylog_seen k = {0};
    ch_opts o;
    clasp_conn *s = server_after_hrr(&k, &o);

    /* Unchanged ClientHello: no second retry is possible. */
    expect_plain_alert(s, send_ch(s, &o), SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_KEY_SHARE);
    clasp_conn_free(s);
}

static void test_hrr_second_hello_other_suite(void **state)
{
    keylog_seen k = {0};
    ch_opts o;
    clasp_conn *s = server_after_hrr(&k, &o);

    o.shares[0] = X25519;
    o.raw_key = NULL;
    o.suites[0] = 0x1302;
    expect_plain_alert(s, send_ch(s, &o), SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_CIPHER);
    clasp_conn_free(s);
}

static void test_hrr_second_hello_other_session_id(void **state)
{
    keylog_seen k = {0};
    ch_opts o;
    clasp_conn *s = server_after_hrr(&k, &o);

    o.shares[0] = X25519;
    o.raw_key = NULL;
    o.sid_len = 16;
    expect_plain_alert(s, send_ch(s, &o), SSL_AD_ILLEGAL_PARAMETER, SSL_R_INVALID_SESSION_ID);
    clasp_conn_free(s);
}

static void test_hrr_second_hello_early_data(void **state)
{
    static const uint8_t early[] = {0x00, 0x2a, 0x00, 0x00};
    keylog_seen k = {0};
    ch_opts o;
    clasp_conn *s = server_after_hrr(&k, &o);

    o.shares[0] = X25519;
    o.raw_key = NULL;
    o.extra = early;
    o.extra_len = sizeof(early);
    expect_plain_alert(s, send_ch(s, &o), SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_EXTENSION);
    clasp_conn_free(s);
}

/* ---- the client's Finished ----------------------------------------------------------- */

/* Sends one handshake message to the server as the client would: one
 * record protected with the client handshake traffic key the server logged
 * (TLS_AES_128_GCM_SHA256, the only suite our crafted hello offers). */
static clasp_wait send_protected(clasp_conn *s, const keylog_seen *k, const uint8_t *msg,
                                 size_t len)
{
    uint8_t key[CLASP_MAX_KEY_LEN];
    uint8_t iv[CLASP_AEAD_NONCE_LEN];
    clasp_record r;
    const uint8_t *out;
    size_t n;
    clasp_wait w;

    assert_int_equal(k->client_hs_len, 32);
    assert_true(clasp_rec_init(&r));
    assert_true(clasp_ks_traffic_key(crypto, CLASP_HASH_SHA256, CLASP_AEAD_AES_128_GCM,
                                     k->client_hs, key, iv));
    assert_true(clasp_rec_set_key(&r.wr, crypto, CLASP_AEAD_AES_128_GCM, key, iv, 1));
    assert_true(clasp_rec_write(&r, CLASP_RT_HANDSHAKE, msg, len));
    n = clasp_rec_out_pending(&r, &out);
    w = feed(s, out, n);
    clasp_rec_cleanup(&r);
    return w;
}

static clasp_conn *server_waiting_for_finished(keylog_seen *k)
{
    ch_opts o = default_ch();
    clasp_conn *s = server_after_decision(k, &o);
    const uint8_t *out;

    assert_int_equal(clasp_conn_process(s), CLASP_WAIT_INPUT);
    clasp_conn_out_consume(s, clasp_conn_out_pending(s, &out));
    return s;
}

static void test_forged_finished(void **state)
{
    uint8_t fin[4 + 32] = {CLASP_HT_FINISHED, 0, 0, 32};
    keylog_seen k = {0};
    clasp_conn *s = server_waiting_for_finished(&k);

    memset(fin + 4, 0xab, 32);
    assert_int_equal(send_protected(s, &k, fin, sizeof(fin)), CLASP_WAIT_ERROR);
    assert_int_equal(clasp_conn_alert_sent(s), (2 << 8) | SSL_AD_DECRYPT_ERROR);
    expect_reason(SSL_R_DIGEST_CHECK_FAILED);
    assert_false(clasp_conn_handshake_done(s));
    assert_int_equal(k.lines, 2); /* no application secret was derived */
    clasp_conn_free(s);
}

static void test_short_finished(void **state)
{
    uint8_t fin[4 + 31] = {CLASP_HT_FINISHED, 0, 0, 31};
    keylog_seen k = {0};
    clasp_conn *s = server_waiting_for_finished(&k);

    assert_int_equal(send_protected(s, &k, fin, sizeof(fin)), CLASP_WAIT_ERROR);
    assert_int_equal(clasp_conn_alert_sent(s), (2 << 8) | SSL_AD_DECODE_ERROR);
    expect_reason(SSL_R_LENGTH_MISMATCH);
    clasp_conn_free(s);
}

static void test_unrequested_client_certificate(void **state)
{
    /* An empty client Certificate: we sent no CertificateRequest. */
    static const uint8_t cert[] = {CLASP_HT_CERTIFICATE, 0, 0, 4, 0, 0, 0, 0};
    keylog_seen k = {0};
    clasp_conn *s = server_waiting_for_finished(&k);

    assert_int_equal(send_protected(s, &k, cert, sizeof(cert)), CLASP_WAIT_ERROR);
    assert_int_equal(clasp_conn_alert_sent(s), (2 << 8) | SSL_AD_UNEXPECTED_MESSAGE);
    expect_reason(SSL_R_UNEXPECTED_MESSAGE);
    clasp_conn_free(s);
}

static void test_second_client_hello_after_flight(void **state)
{
    keylog_seen k = {0};
    ch_opts o = default_ch();
    uint8_t rec[4200];
    size_t n = build_ch(&o, rec, sizeof(rec));
    clasp_conn *s = server_waiting_for_finished(&k);

    /* RFC 9846 §4.2.2: no renegotiation; skip the 5-byte record header. */
    assert_int_equal(send_protected(s, &k, rec + 5, n - 5), CLASP_WAIT_ERROR);
    assert_int_equal(clasp_conn_alert_sent(s), (2 << 8) | SSL_AD_UNEXPECTED_MESSAGE);
    expect_reason(SSL_R_UNEXPECTED_MESSAGE);
    clasp_conn_free(s);
}

/* ---- a whole handshake with the engine's own client ---------------------------------- */

/* The server's state names as its info observer reports them. */
typedef struct {
    clasp_conn *conn;
    const char *names[32];
    size_t num;
} state_trace;

static void on_info(void *arg, int where, int value)
{
    state_trace *t = arg;

    if (where == SSL_CB_ACCEPT_LOOP && t->num < 32) {
        t->names[t->num++] = clasp_conn_state_name(t->conn);
    }
}

static size_t move_bytes(clasp_conn *from, clasp_conn *to)
{
    const uint8_t *out;
    uint8_t *in;
    size_t n = clasp_conn_out_pending(from, &out);
    size_t room = clasp_conn_in_space(to, &in);

    n = n < room ? n : room;
    memcpy(in, out, n);
    clasp_conn_in_commit(to, n);
    clasp_conn_out_consume(from, n);
    return n;
}

static const uint8_t offered_alpn[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

static clasp_wait drive(clasp_conn *conn)
{
    clasp_identity id = clasp_identity_make(p256_cert, NULL, p256_key);
    clasp_wait w = clasp_conn_process(conn);

    if (w == CLASP_WAIT_CLIENT_HELLO) {
        clasp_conn_client_hello_done(conn, &id, 1, (const uint8_t *)"http/1.1", 8, 0, 0);
        w = clasp_conn_process(conn);
    }
    if (w == CLASP_WAIT_VERIFY_PEER) {
        clasp_conn_verify_done(conn, 1, 0);
        w = clasp_conn_process(conn);
    }
    return w;
}

static void self_talk(const uint16_t *client_groups, size_t num_groups, state_trace *t,
                      clasp_conn **out_c, clasp_conn **out_s)
{
    clasp_config sc = server_config(NULL);
    clasp_config cc = server_config(NULL);
    clasp_conn *c;
    clasp_conn *s;
    int rounds = 0;

    sc.observer.keylog = NULL;
    sc.observer.arg = t;
    sc.observer.info = on_info;
    cc.is_server = 0;
    cc.observer.keylog = NULL;
    cc.groups = client_groups;
    cc.num_groups = num_groups;
    cc.sni = "example.test";
    cc.alpn = offered_alpn;
    cc.alpn_len = sizeof(offered_alpn);
    c = clasp_conn_new(&cc);
    s = clasp_conn_new(&sc);
    t->conn = s;
    assert_true(clasp_conn_start(c) && clasp_conn_start(s));
    while (!(clasp_conn_handshake_done(c) && clasp_conn_handshake_done(s))) {
        assert_int_not_equal(drive(c), CLASP_WAIT_ERROR);
        assert_int_not_equal(drive(s), CLASP_WAIT_ERROR);
        move_bytes(c, s);
        move_bytes(s, c);
        assert_true(rounds++ < 20);
    }
    *out_c = c;
    *out_s = s;
}

static void check_agreement(clasp_conn *c, clasp_conn *s)
{
    uint8_t a[48];
    uint8_t b[48];
    const uint8_t *alpn;
    size_t len;

    assert_int_equal(clasp_conn_cipher_suite(c), clasp_conn_cipher_suite(s));
    assert_int_equal(clasp_conn_group(c), clasp_conn_group(s));
    assert_int_equal(clasp_conn_peer_sigalg(c), clasp_conn_own_sigalg(s));
    /* Each side's Finished is the other's received one. */
    assert_int_equal(clasp_conn_finished(s, 0, a, sizeof(a)), clasp_conn_finished(c, 1, b, sizeof(b)));
    assert_memory_equal(a, b, clasp_conn_finished(s, 0, a, sizeof(a)));
    assert_int_equal(clasp_conn_finished(s, 1, a, sizeof(a)), clasp_conn_finished(c, 0, b, sizeof(b)));
    assert_memory_equal(a, b, clasp_conn_finished(s, 1, a, sizeof(a)));
    /* RFC 9846 §7.5: both derive the same exporter values. */
    assert_true(clasp_conn_export(c, "EXPERIMENTAL x", 14, (const uint8_t *)"ctx", 3, 1, a, 32));
    assert_true(clasp_conn_export(s, "EXPERIMENTAL x", 14, (const uint8_t *)"ctx", 3, 1, b, 32));
    assert_memory_equal(a, b, 32);
    /* EncryptedExtensions carried the selection the client then checked. */
    alpn = clasp_conn_alpn(c, &len);
    assert_int_equal(len, 8);
    assert_memory_equal(alpn, "http/1.1", 8);
    assert_string_equal(clasp_conn_client_sni(s), "example.test");
}

static void check_app_data(clasp_conn *from, clasp_conn *to)
{
    static const char msg[] = "application data";
    uint8_t buf[64];

    assert_int_equal(clasp_conn_write_app(from, (const uint8_t *)msg, sizeof(msg)), sizeof(msg));
    move_bytes(from, to);
    assert_int_equal(clasp_conn_process(to), CLASP_WAIT_APP_READ);
    assert_int_equal(clasp_conn_read_app(to, buf, sizeof(buf), 0), sizeof(msg));
    assert_memory_equal(buf, msg, sizeof(msg));
}

static void test_full_handshake(void **state)
{
    static const uint16_t groups[] = {X25519, P256};
    static const char *const want[] = {
        "SSLv3/TLS read client hello", "SSLv3/TLS write server hello",
        "SSLv3/TLS write change cipher spec", "TLSv1.3 write encrypted extensions",
        "SSLv3/TLS write certificate", "TLSv1.3 write server certificate verify",
        "SSLv3/TLS write finished", "TLSv1.3 early data", "SSLv3/TLS read finished",
    };
    state_trace t = {0};
    clasp_conn *c;
    clasp_conn *s;

    self_talk(groups, 2, &t, &c, &s);
    assert_int_equal(t.num, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < t.num; i++) {
        assert_string_equal(t.names[i], want[i]);
    }
    assert_false(clasp_conn_did_hrr(s));
    check_agreement(c, s);
    check_app_data(c, s);
    check_app_data(s, c);
    clasp_conn_free(c);
    clasp_conn_free(s);
}

static void test_full_handshake_first_share(void **state)
{
    /* The client's only share is for P-384, which the server also uses
     * (after X25519 and P-256): taken, no retry. */
    static const uint16_t groups[] = {P384, X25519};
    state_trace t = {0};
    clasp_conn *c;
    clasp_conn *s;

    self_talk(groups, 2, &t, &c, &s);
    assert_false(clasp_conn_did_hrr(s));
    assert_int_equal(clasp_conn_group(s), P384);
    check_agreement(c, s);
    clasp_conn_free(c);
    clasp_conn_free(s);
}

static void test_full_handshake_with_retry(void **state)
{
    /* The client's share is for P-521, not one of the server's groups:
     * a HelloRetryRequest for X25519, the server's first group it offers. */
    static const uint16_t groups[] = {CLASP_GROUP_SECP521R1, X25519};
    static const char *const want[] = {
        "SSLv3/TLS read client hello", "SSLv3/TLS write server hello",
        "SSLv3/TLS write change cipher spec", "SSLv3/TLS read client hello",
        "SSLv3/TLS write server hello", "TLSv1.3 write encrypted extensions",
    };
    state_trace t = {0};
    clasp_conn *c;
    clasp_conn *s;

    self_talk(groups, 2, &t, &c, &s);
    assert_true(clasp_conn_did_hrr(s));
    assert_true(clasp_conn_did_hrr(c));
    assert_int_equal(clasp_conn_group(s), X25519);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_string_equal(t.names[i], want[i]);
    }
    check_agreement(c, s);
    check_app_data(c, s);
    check_app_data(s, c);
    clasp_conn_free(c);
    clasp_conn_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_client_hello),
        cmocka_unit_test(test_no_ccs_without_session_id),
        cmocka_unit_test(test_missing_supported_versions),
        cmocka_unit_test(test_tls12_only),
        cmocka_unit_test(test_tls10_no_extensions),
        cmocka_unit_test(test_bad_legacy_version),
        cmocka_unit_test(test_malformed_supported_versions),
        cmocka_unit_test(test_bad_compression),
        cmocka_unit_test(test_no_common_suite),
        cmocka_unit_test(test_suite_order),
        cmocka_unit_test(test_server_suite_preference),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_duplicate_extension),
        cmocka_unit_test(test_extension_not_for_client_hello),
        cmocka_unit_test(test_unknown_extension_ignored),
        cmocka_unit_test(test_psk_not_last),
        cmocka_unit_test(test_psk_without_modes),
        cmocka_unit_test(test_psk_offer_declined),
        cmocka_unit_test(test_wrong_first_message),
        cmocka_unit_test(test_ccs_before_client_hello),
        cmocka_unit_test(test_missing_sigalgs),
        cmocka_unit_test(test_key_share_without_groups),
        cmocka_unit_test(test_groups_without_key_share),
        cmocka_unit_test(test_share_not_in_groups),
        cmocka_unit_test(test_duplicate_share),
        cmocka_unit_test(test_shares_out_of_order),
        cmocka_unit_test(test_empty_key_exchange),
        cmocka_unit_test(test_no_common_group),
        cmocka_unit_test(test_first_usable_share_wins),
        cmocka_unit_test(test_invalid_point),
        cmocka_unit_test(test_bad_server_name),
        cmocka_unit_test(test_long_server_name),
        cmocka_unit_test(test_bad_alpn),
        cmocka_unit_test(test_alpn_selection),
        cmocka_unit_test(test_facade_aborts),
        cmocka_unit_test(test_no_identity),
        cmocka_unit_test(test_identity_choice),
        cmocka_unit_test(test_hrr_then_good_second_hello),
        cmocka_unit_test(test_hrr_second_hello_wrong_group),
        cmocka_unit_test(test_hrr_second_hello_two_shares),
        cmocka_unit_test(test_hrr_second_hello_still_no_share),
        cmocka_unit_test(test_hrr_second_hello_other_suite),
        cmocka_unit_test(test_hrr_second_hello_other_session_id),
        cmocka_unit_test(test_hrr_second_hello_early_data),
        cmocka_unit_test(test_forged_finished),
        cmocka_unit_test(test_short_finished),
        cmocka_unit_test(test_unrequested_client_certificate),
        cmocka_unit_test(test_second_client_hello_after_flight),
        cmocka_unit_test(test_full_handshake),
        cmocka_unit_test(test_full_handshake_first_share),
        cmocka_unit_test(test_full_handshake_with_retry),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

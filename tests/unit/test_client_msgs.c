/* The TLS 1.3 client against crafted ServerHellos and HelloRetryRequests:
 * each broken answer must end the handshake with exactly the RFC's alert
 * (RFC 9846 §4.2.3, §4.2.4, §4.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "engine.h"
#include "msg/msg.h"
#include "wire/wire.h"

static const uint16_t suites[] = {0x1301, 0x1302};
static const uint16_t groups[] = {CLASP_GROUP_X25519, CLASP_GROUP_SECP256R1};
static const uint16_t sigalgs[] = {CLASP_SIG_ECDSA_SECP256R1_SHA256};

static clasp_crypto *crypto;

typedef struct {
    clasp_conn *client;
    uint8_t session_id[32];
    size_t session_id_len;
} pair;

/* What the crafted ServerHello carries. */
typedef struct {
    int hrr;
    uint16_t suite;
    int echo_session_id;    /* 0: a different session id */
    int supported_versions; /* 0: omit (a TLS 1.2 answer) */
    uint16_t version;       /* selected_version */
    int key_share;          /* 0: omit */
    uint16_t group;
    int share_len;          /* key_exchange length for a ServerHello */
    int cookie;
    uint16_t extra_ext;     /* nonzero: an extension we never offered */
    int truncate;           /* bytes cut from the end of the body */
} sh_spec;

static int setup(void **state)
{
    (void)state;
    crypto = clasp_crypto_new(NULL, NULL);
    return crypto != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    clasp_crypto_free(crypto);
    return 0;
}

static sh_spec good_hrr(void)
{
    sh_spec s = {1, 0x1301, 1, 1, 0x0304, 1, CLASP_GROUP_SECP256R1, 0, 0, 0, 0};
    return s;
}

/* A client that has sent its ClientHello; the session id it used is kept
 * so answers can echo it. */
static void start_client(pair *p)
{
    clasp_config cfg;
    const uint8_t *out;
    size_t n;
    clasp_reader r;
    clasp_reader sid;

    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = crypto;
    cfg.min_version = cfg.max_version = 0x0304;
    cfg.suites = suites;
    cfg.num_suites = 2;
    cfg.groups = groups;
    cfg.num_groups = 2;
    cfg.sigalgs = sigalgs;
    cfg.num_sigalgs = 1;
    cfg.middlebox_compat = 1;
    p->client = clasp_conn_new(&cfg);
    assert_non_null(p->client);
    assert_true(clasp_conn_start(p->client));
    assert_int_equal(clasp_conn_process(p->client), CLASP_WAIT_INPUT);
    n = clasp_conn_out_pending(p->client, &out);
    /* record header 5, handshake header 4, legacy_version 2, random 32 */
    clasp_rd_init(&r, out, n);
    assert_true(clasp_rd_skip(&r, 5 + 4 + 2 + 32));
    assert_true(clasp_rd_u8_prefixed(&r, &sid));
    p->session_id_len = sid.len;
    memcpy(p->session_id, sid.ptr, sid.len);
    clasp_conn_out_consume(p->client, n);
}

/* A real public key for the group when share_len is its natural length,
 * so only the property under test is wrong; else share_len filler bytes. */
static void put_share(clasp_writer *w, const sh_spec *s)
{
    uint8_t pub[CLASP_MAX_KEX_PUB_LEN];
    size_t pub_len = 0;
    clasp_kex *k = clasp_kex_generate(crypto, s->group, pub, &pub_len);

    clasp_kex_free(k);
    if (k != NULL && pub_len == (size_t)s->share_len) {
        clasp_wr_u16(w, (uint16_t)pub_len);
        clasp_wr_bytes(w, pub, pub_len);
        return;
    }
    clasp_wr_u16(w, (uint16_t)s->share_len);
    for (int i = 0; i < s->share_len; i++) {
        clasp_wr_u8(w, (uint8_t)(9 + i));
    }
}

static void put_extensions(clasp_writer *w, const sh_spec *s)
{
    clasp_wr_mark exts;
    clasp_wr_mark m;

    clasp_wr_open_u16(w, &exts);
    if (s->supported_versions) {
        clasp_wr_u16(w, 43);
        clasp_wr_u16(w, 2);
        clasp_wr_u16(w, s->version);
    }
    if (s->key_share && s->hrr) {
        clasp_wr_u16(w, 51);
        clasp_wr_u16(w, 2);
        clasp_wr_u16(w, s->group);
    } else if (s->key_share) {
        clasp_wr_u16(w, 51);
        clasp_wr_open_u16(w, &m);
        clasp_wr_u16(w, s->group);
        put_share(w, s);
        clasp_wr_close(w, &m);
    }
    if (s->cookie) {
        clasp_wr_u16(w, 44);
        clasp_wr_u16(w, 5);
        clasp_wr_u16(w, 3);
        clasp_wr_bytes(w, (const uint8_t *)"abc", 3);
    }
    if (s->extra_ext != 0) {
        clasp_wr_u16(w, s->extra_ext);
        clasp_wr_u16(w, 0);
    }
    clasp_wr_close(w, &exts);
}

/* Feeds a ServerHello (or HRR) as a plaintext record and processes it. */
static clasp_wait feed_server_hello(pair *p, const sh_spec *s)
{
    uint8_t buf[1024];
    uint8_t random[32];
    clasp_writer w;
    clasp_wr_mark rec;
    clasp_wr_mark body;
    uint8_t *in;

    memset(random, 0x5a, sizeof(random));
    clasp_wr_init_fixed(&w, buf, sizeof(buf));
    clasp_wr_u8(&w, 22);
    clasp_wr_u16(&w, 0x0303);
    clasp_wr_open_u16(&w, &rec);
    clasp_wr_u8(&w, 2);
    clasp_wr_open_u24(&w, &body);
    clasp_wr_u16(&w, 0x0303);
    clasp_wr_bytes(&w, s->hrr ? clasp_hrr_random : random, 32);
    clasp_wr_u8(&w, (uint8_t)p->session_id_len);
    clasp_wr_bytes(&w, p->session_id, p->session_id_len);
    if (!s->echo_session_id) {
        buf[w.len - 1] ^= 1;
    }
    clasp_wr_u16(&w, s->suite);
    clasp_wr_u8(&w, 0);
    put_extensions(&w, s);
    w.len -= (size_t)s->truncate;
    clasp_wr_close(&w, &body);
    clasp_wr_close(&w, &rec);
    assert_true(clasp_wr_ok(&w));
    assert_true(clasp_conn_in_space(p->client, &in) >= w.len);
    memcpy(in, buf, w.len);
    clasp_conn_in_commit(p->client, w.len);
    return clasp_conn_process(p->client);
}

/* The last record the client wrote must be exactly one fatal alert. */
static void assert_alert(pair *p, int alert, int reason)
{
    const uint8_t *out;
    size_t n = clasp_conn_out_pending(p->client, &out);
    const uint8_t expected[7] = {21, 3, 3, 0, 2, 2, (uint8_t)alert};

    assert_true(clasp_conn_failed(p->client));
    assert_true(n >= sizeof(expected));
    assert_memory_equal(out + n - sizeof(expected), expected, sizeof(expected));
    assert_int_equal(ERR_GET_LIB(ERR_peek_last_error()), ERR_LIB_SSL);
    assert_int_equal(ERR_GET_REASON(ERR_peek_last_error()), reason);
    ERR_clear_error();
    clasp_conn_free(p->client);
}

static void expect_refused(const sh_spec *s, int alert, int reason)
{
    pair p;

    start_client(&p);
    assert_int_equal(feed_server_hello(&p, s), CLASP_WAIT_ERROR);
    assert_alert(&p, alert, reason);
}

/* After one good HRR, the second answer is s. */
static void expect_refused_after_hrr(const sh_spec *s, int alert, int reason)
{
    pair p;
    sh_spec hrr = good_hrr();
    const uint8_t *out;

    start_client(&p);
    assert_int_equal(feed_server_hello(&p, &hrr), CLASP_WAIT_INPUT);
    /* the client answered with CCS + ClientHello2 */
    clasp_conn_out_consume(p.client, clasp_conn_out_pending(p.client, &out));
    assert_int_equal(feed_server_hello(&p, s), CLASP_WAIT_ERROR);
    assert_alert(&p, alert, reason);
}

static void test_good_hrr_is_answered(void **state)
{
    pair p;
    sh_spec hrr = good_hrr();
    const uint8_t *out;
    size_t n;

    (void)state;
    start_client(&p);
    assert_int_equal(feed_server_hello(&p, &hrr), CLASP_WAIT_INPUT);
    n = clasp_conn_out_pending(p.client, &out);
    /* RFC 9846 Appendix E.4: CCS, then the second ClientHello */
    assert_true(n > 6 + 5);
    assert_int_equal(out[0], 20);
    assert_int_equal(out[6], 22);
    assert_int_equal(clasp_conn_did_hrr(p.client), 1);
    clasp_conn_free(p.client);
}

static void test_second_hrr_is_unexpected_message(void **state)
{
    sh_spec again = good_hrr();

    (void)state;
    again.cookie = 1; /* a different, otherwise valid HRR */
    expect_refused_after_hrr(&again, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_MESSAGE);
}

static void test_hrr_changing_nothing_is_illegal_parameter(void **state)
{
    sh_spec s = good_hrr();

    (void)state;
    s.key_share = 0;
    expect_refused(&s, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_HELLO_REQUEST);
}

static void test_hrr_for_the_group_already_sent_is_illegal_parameter(void **state)
{
    sh_spec s = good_hrr();

    (void)state;
    s.group = CLASP_GROUP_X25519;
    expect_refused(&s, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_KEY_SHARE);
}

static void test_hrr_for_a_group_not_offered_is_illegal_parameter(void **state)
{
    sh_spec s = good_hrr();

    (void)state;
    s.group = CLASP_GROUP_SECP384R1;
    expect_refused(&s, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_KEY_SHARE);
}

static void test_server_hello_changing_the_hrr_suite_is_illegal_parameter(void **state)
{
    sh_spec s = {0, 0x1302, 1, 1, 0x0304, 1, CLASP_GROUP_SECP256R1, 65, 0, 0, 0};

    (void)state;
    expect_refused_after_hrr(&s, SSL_AD_ILLEGAL_PARAMETER, SSL_R_WRONG_CIPHER_RETURNED);
}

static void test_tls12_server_hello_is_protocol_version(void **state)
{
    sh_spec s = {0, 0x1301, 1, 0, 0, 1, CLASP_GROUP_X25519, 32, 0, 0, 0};

    (void)state;
    expect_refused(&s, SSL_AD_PROTOCOL_VERSION, SSL_R_UNSUPPORTED_PROTOCOL);
}

static void test_wrong_selected_version_is_illegal_parameter(void **state)
{
    sh_spec s = {0, 0x1301, 1, 1, 0x0305, 1, CLASP_GROUP_X25519, 32, 0, 0, 0};

    (void)state;
    expect_refused(&s, SSL_AD_ILLEGAL_PARAMETER, SSL_R_WRONG_SSL_VERSION);
}

static void test_session_id_not_echoed_is_illegal_parameter(void **state)
{
    sh_spec s = {0, 0x1301, 0, 1, 0x0304, 1, CLASP_GROUP_X25519, 32, 0, 0, 0};

    (void)state;
    expect_refused(&s, SSL_AD_ILLEGAL_PARAMETER, SSL_R_INVALID_SESSION_ID);
}

static void test_suite_not_offered_is_illegal_parameter(void **state)
{
    sh_spec s = {0, 0x1303, 1, 1, 0x0304, 1, CLASP_GROUP_X25519, 32, 0, 0, 0};

    (void)state;
    expect_refused(&s, SSL_AD_ILLEGAL_PARAMETER, SSL_R_WRONG_CIPHER_RETURNED);
}

static void test_unsolicited_extension_is_unsupported_extension(void **state)
{
    sh_spec s = {0, 0x1301, 1, 1, 0x0304, 1, CLASP_GROUP_X25519, 32, 0, 16 /* ALPN */, 0};

    (void)state;
    expect_refused(&s, SSL_AD_UNSUPPORTED_EXTENSION, SSL_R_UNSOLICITED_EXTENSION);
}

static void test_share_for_another_group_is_illegal_parameter(void **state)
{
    sh_spec s = {0, 0x1301, 1, 1, 0x0304, 1, CLASP_GROUP_SECP256R1, 65, 0, 0, 0};

    (void)state;
    expect_refused(&s, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_KEY_SHARE);
}

static void test_bad_share_is_illegal_parameter(void **state)
{
    /* right group, wrong length for X25519 */
    sh_spec s = {0, 0x1301, 1, 1, 0x0304, 1, CLASP_GROUP_X25519, 31, 0, 0, 0};

    (void)state;
    expect_refused(&s, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_ECPOINT);
}

static void test_truncated_server_hello_is_decode_error(void **state)
{
    sh_spec s = {0, 0x1301, 1, 1, 0x0304, 1, CLASP_GROUP_X25519, 32, 0, 0, 3};

    (void)state;
    expect_refused(&s, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_hrr_is_answered),
        cmocka_unit_test(test_second_hrr_is_unexpected_message),
        cmocka_unit_test(test_hrr_changing_nothing_is_illegal_parameter),
        cmocka_unit_test(test_hrr_for_the_group_already_sent_is_illegal_parameter),
        cmocka_unit_test(test_hrr_for_a_group_not_offered_is_illegal_parameter),
        cmocka_unit_test(test_server_hello_changing_the_hrr_suite_is_illegal_parameter),
        cmocka_unit_test(test_tls12_server_hello_is_protocol_version),
        cmocka_unit_test(test_wrong_selected_version_is_illegal_parameter),
        cmocka_unit_test(test_session_id_not_echoed_is_illegal_parameter),
        cmocka_unit_test(test_suite_not_offered_is_illegal_parameter),
        cmocka_unit_test(test_unsolicited_extension_is_unsupported_extension),
        cmocka_unit_test(test_share_for_another_group_is_illegal_parameter),
        cmocka_unit_test(test_bad_share_is_illegal_parameter),
        cmocka_unit_test(test_truncated_server_hello_is_decode_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

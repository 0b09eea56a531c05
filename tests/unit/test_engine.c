/* The sans-I/O engine on its own: a client and a server clasp_conn talk in
 * memory, with the bytes moved by this test in pieces of every size from
 * one byte up, so every resume point of both state machines is hit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "engine.h"
#include "helpers/engine_test.h"
#include "hs/conn.h"

static const uint16_t suites[] = {0x1301, 0x1302, 0x1303};
static const uint16_t groups[] = {CLASP_GROUP_X25519, CLASP_GROUP_SECP256R1,
                                  CLASP_GROUP_SECP384R1};
static const uint16_t sigalgs[] = {CLASP_SIG_ECDSA_SECP256R1_SHA256, CLASP_SIG_ED25519,
                                   CLASP_SIG_RSA_PSS_RSAE_SHA256,
                                   CLASP_SIG_ECDSA_SECP384R1_SHA384};

typedef struct {
    clasp_crypto *crypto;
    EVP_PKEY *key;
    X509 *cert;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    f->crypto = clasp_crypto_new(NULL, NULL);
    f->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    f->cert = clasp_test_self_signed(f->key, "localhost");
    *state = f;
    return f->crypto != NULL && f->cert != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;

    clasp_crypto_free(f->crypto);
    X509_free(f->cert);
    EVP_PKEY_free(f->key);
    free(f);
    return 0;
}

static clasp_config make_config(const fixture *f, int is_server)
{
    clasp_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = f->crypto;
    cfg.is_server = is_server;
    cfg.min_version = 0x0304;
    cfg.max_version = 0x0304;
    cfg.suites = suites;
    cfg.num_suites = 3;
    cfg.groups = groups;
    cfg.num_groups = 3;
    cfg.sigalgs = sigalgs;
    cfg.num_sigalgs = 4;
    cfg.middlebox_compat = 1;
    cfg.max_cert_list = 100 * 1024;
    return cfg;
}

static clasp_wait step(const fixture *f, clasp_conn *conn)
{
    clasp_wait w = clasp_conn_process(conn);
    clasp_identity id = clasp_identity_make(f->cert, NULL, f->key);

    if (w == CLASP_WAIT_CLIENT_HELLO) {
        clasp_conn_client_hello_done(conn, &id, 1, NULL, 0, 0, 0);
        w = clasp_conn_process(conn);
    }
    if (w == CLASP_WAIT_VERIFY_PEER) {
        clasp_conn_verify_done(conn, 1, 0);
        w = clasp_conn_process(conn);
    }
    return w;
}

/* Runs a handshake moving chunk bytes at a time; returns 1 when both
 * sides finished. */
static int handshake(const fixture *f, clasp_conn *c, clasp_conn *s, size_t chunk)
{
    for (int rounds = 0; rounds < 100000; rounds++) {
        clasp_wait wc = step(f, c);
        clasp_wait ws = step(f, s);
        size_t moved;

        if (wc == CLASP_WAIT_ERROR || ws == CLASP_WAIT_ERROR) {
            return 0;
        }
        moved = clasp_test_move_bytes(c, s, chunk) + clasp_test_move_bytes(s, c, chunk);
        if (clasp_conn_handshake_done(c) && clasp_conn_handshake_done(s) && moved == 0) {
            return 1;
        }
        if (moved == 0 && !clasp_conn_handshake_done(c)) {
            return 0; /* no progress: a stall */
        }
    }
    return 0;
}

static void exchange_data(const fixture *f, clasp_conn *c, clasp_conn *s)
{
    uint8_t buf[64];
    static const char msg[] = "hello over clasp";

    assert_int_equal(clasp_conn_write_app(c, (const uint8_t *)msg, sizeof(msg)), sizeof(msg));
    clasp_test_move_bytes(c, s, 1 << 20);
    assert_int_equal(step(f, s), CLASP_WAIT_APP_READ);
    assert_int_equal(clasp_conn_read_app(s, buf, sizeof(buf), 0), sizeof(msg));
    assert_memory_equal(buf, msg, sizeof(msg));
}

static void run_pair(void **state, size_t chunk, int hrr)
{
    fixture *f = *state;
    clasp_config cc = make_config(f, 0);
    clasp_config sc = make_config(f, 1);
    static const uint16_t p256_only[] = {CLASP_GROUP_SECP256R1};
    clasp_conn *c;
    clasp_conn *s;

    if (hrr) {
        sc.groups = p256_only;
        sc.num_groups = 1;
    }
    c = clasp_conn_new(&cc);
    s = clasp_conn_new(&sc);
    assert_non_null(c);
    assert_non_null(s);
    assert_true(clasp_conn_start(c));
    assert_true(clasp_conn_start(s));
    assert_true(handshake(f, c, s, chunk));
    assert_int_equal(clasp_conn_version(c), 0x0304);
    assert_int_equal(clasp_conn_cipher_suite(c), clasp_conn_cipher_suite(s));
    assert_int_equal(clasp_conn_group(c), hrr ? CLASP_GROUP_SECP256R1 : CLASP_GROUP_X25519);
    assert_int_equal(clasp_conn_did_hrr(c), hrr);
    exchange_data(f, c, s);
    clasp_conn_free(c);
    clasp_conn_free(s);
}

static void test_handshake_whole(void **state)
{
    run_pair(state, 1 << 20, 0);
}

static void test_handshake_every_chunk_size(void **state)
{
    static const size_t sizes[] = {1, 2, 3, 5, 7, 17, 100, 1000, 4096};

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        run_pair(state, sizes[i], 0);
    }
}

static void test_hello_retry_request(void **state)
{
    run_pair(state, 1 << 20, 1);
    run_pair(state, 1, 1);
}

/* The server's EncryptedExtensions, as its msg observer saw it. */
static uint8_t seen_ee[256];
static size_t seen_ee_len;

static void record_ee(void *arg, int write_p, int version, int content_type, const uint8_t *buf,
                      size_t len)
{
    (void)arg;
    (void)version;
    if (write_p && content_type == 22 && len > 0 && buf[0] == 8 && len <= sizeof(seen_ee)) {
        memcpy(seen_ee, buf, len);
        seen_ee_len = len;
    }
}

/* RFC 6066 §3 / OpenSSL: server_name is acknowledged only when the facade
 * says so (a servername callback returned OK). */
static void run_sni(void **state, int ack)
{
    fixture *f = *state;
    clasp_config cc = make_config(f, 0);
    clasp_config sc = make_config(f, 1);
    clasp_identity id = clasp_identity_make(f->cert, NULL, f->key);
    clasp_conn *c;
    clasp_conn *s;
    static const uint8_t ee_empty[] = {8, 0, 0, 2, 0, 0};
    static const uint8_t ee_sni[] = {8, 0, 0, 6, 0, 4, 0, 0, 0, 0};

    cc.sni = "localhost";
    sc.observer.msg = record_ee;
    c = clasp_conn_new(&cc);
    s = clasp_conn_new(&sc);
    assert_true(clasp_conn_start(c) && clasp_conn_start(s));
    assert_int_equal(step(f, c), CLASP_WAIT_INPUT);
    clasp_test_move_bytes(c, s, 1 << 20);
    assert_int_equal(clasp_conn_process(s), CLASP_WAIT_CLIENT_HELLO);
    assert_string_equal(clasp_conn_client_sni(s), "localhost");
    if (ack) {
        clasp_conn_ack_sni(s);
    }
    clasp_conn_client_hello_done(s, &id, 1, NULL, 0, 0, 0);
    assert_true(handshake(f, c, s, 1 << 20));
    if (ack) {
        assert_int_equal(seen_ee_len, sizeof(ee_sni));
        assert_memory_equal(seen_ee, ee_sni, sizeof(ee_sni));
    } else {
        assert_int_equal(seen_ee_len, sizeof(ee_empty));
        assert_memory_equal(seen_ee, ee_empty, sizeof(ee_empty));
    }
    clasp_conn_free(c);
    clasp_conn_free(s);
}

static void test_sni_acknowledged(void **state)
{
    run_sni(state, 1);
}

static void test_sni_not_acknowledged(void **state)
{
    run_sni(state, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_whole),
        cmocka_unit_test(test_handshake_every_chunk_size),
        cmocka_unit_test(test_hello_retry_request),
        cmocka_unit_test(test_sni_acknowledged),
        cmocka_unit_test(test_sni_not_acknowledged),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Certificate-based client authentication in the engine alone (RFC 9846
 * §4.4.2, §4.5.1-§4.5.3): a client and a server clasp_conn talk in memory,
 * the bytes moved by this test (whole flights, and one byte at a time so
 * every resume point is hit).  The facade's decisions (identity, chain
 * verdict) are made here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "engine.h"
#include "helpers/engine_test.h"
#include "hs/conn.h"

static const uint16_t suites[] = {0x1301, 0x1302, 0x1303};
static const uint16_t groups[] = {CLASP_GROUP_X25519, CLASP_GROUP_SECP256R1};
static const uint16_t sigalgs[] = {CLASP_SIG_ECDSA_SECP256R1_SHA256, CLASP_SIG_ED25519,
                                   CLASP_SIG_RSA_PSS_RSAE_SHA256};
static const uint16_t ecdsa_only[] = {CLASP_SIG_ECDSA_SECP256R1_SHA256};

typedef struct {
    clasp_crypto *crypto;
    EVP_PKEY *server_key;
    X509 *server_cert;
    EVP_PKEY *client_key; /* Ed25519: a different key type than the server's */
    X509 *client_cert;
    EVP_PKEY *other_key;  /* Ed25519 too, not the certificate's */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    f->crypto = clasp_crypto_new(NULL, NULL);
    f->server_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    f->server_cert = clasp_test_self_signed(f->server_key, "server");
    f->client_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    f->client_cert = clasp_test_self_signed(f->client_key, "client");
    f->other_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    *state = f;
    return f->crypto != NULL && f->server_cert != NULL && f->client_cert != NULL &&
                   f->other_key != NULL
               ? 0
               : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;

    clasp_crypto_free(f->crypto);
    X509_free(f->server_cert);
    X509_free(f->client_cert);
    EVP_PKEY_free(f->server_key);
    EVP_PKEY_free(f->client_key);
    EVP_PKEY_free(f->other_key);
    free(f);
    return 0;
}

/* One side of the conversation and the decisions the test makes for it. */
typedef struct {
    clasp_conn *conn;
    clasp_identity id; /* server: its identity; client: offered on request */
    int verdict_ok;    /* answer at CLASP_WAIT_VERIFY_PEER */
    int verdict_alert;
    int verify_waits;  /* how often CLASP_WAIT_VERIFY_PEER came */
    X509 *seen_leaf;   /* the peer's leaf at that point (borrowed) */
    int keylog_lines;  /* secrets the side has logged */
} side;

static void on_keylog(void *arg, const char *label, const uint8_t client_random[32],
                      const uint8_t *secret, size_t secret_len)
{
    (void)label;
    (void)client_random;
    (void)secret;
    (void)secret_len;
    ((side *)arg)->keylog_lines++;
}

/* What a test case varies. */
typedef struct {
    int request;            /* server: request_client_cert */
    int require;            /* server: require_client_cert */
    int client_has_cert;    /* the client offers an identity */
    int wrong_key;          /* ... whose key is not its certificate's */
    int server_ecdsa_only;  /* server lists only ECDSA P-256 (our client key does not fit) */
    int server_rejects;     /* the server's chain verdict is unknown_ca */
} opts;

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
    cfg.num_groups = 2;
    cfg.sigalgs = sigalgs;
    cfg.num_sigalgs = 3;
    cfg.middlebox_compat = 1;
    cfg.max_cert_list = 100 * 1024;
    return cfg;
}

/* Creates both sides as o says.  The client's identity lives in c->id, so
 * the borrowed pointer in its configuration stays valid. */
static void make_pair(const fixture *f, const opts *o, side *c, side *s)
{
    clasp_config cc = make_config(f, 0);
    clasp_config sc = make_config(f, 1);

    memset(c, 0, sizeof(*c));
    memset(s, 0, sizeof(*s));
    c->id = clasp_identity_make(f->client_cert, NULL, o->wrong_key ? f->other_key : f->client_key);
    s->id = clasp_identity_make(f->server_cert, NULL, f->server_key);
    c->verdict_ok = 1;
    s->verdict_ok = !o->server_rejects;
    s->verdict_alert = o->server_rejects ? SSL_AD_UNKNOWN_CA : 0;
    if (o->client_has_cert) {
        cc.client_ids = &c->id;
        cc.num_client_ids = 1;
    }
    sc.observer.arg = s;
    sc.observer.keylog = on_keylog;
    sc.request_client_cert = o->request;
    sc.require_client_cert = o->require;
    if (o->server_ecdsa_only) {
        /* The server's list also decides the scheme of its own signature:
         * ECDSA P-256 fits its key. */
        sc.sigalgs = ecdsa_only;
        sc.num_sigalgs = 1;
    }
    c->conn = clasp_conn_new(&cc);
    s->conn = clasp_conn_new(&sc);
    assert_non_null(c->conn);
    assert_non_null(s->conn);
    assert_true(clasp_conn_start(c->conn));
    assert_true(clasp_conn_start(s->conn));
}

static void free_pair(side *c, side *s)
{
    clasp_conn_free(c->conn);
    clasp_conn_free(s->conn);
}

static clasp_wait step(side *x)
{
    clasp_wait w = clasp_conn_process(x->conn);

    if (w == CLASP_WAIT_CLIENT_HELLO) {
        clasp_conn_client_hello_done(x->conn, &x->id, 1, NULL, 0, 0, 0);
        w = clasp_conn_process(x->conn);
    }
    if (w == CLASP_WAIT_VERIFY_PEER) {
        STACK_OF(X509) *chain = clasp_conn_peer_chain(x->conn);

        x->verify_waits++;
        x->seen_leaf = sk_X509_value(chain, 0);
        clasp_conn_verify_done(x->conn, x->verdict_ok, x->verdict_alert);
        w = clasp_conn_process(x->conn);
    }
    return w;
}

/* Runs the handshake moving chunk bytes at a time until both sides are
 * done (returns 1), one side failed or nothing moves any more (0).  After
 * a failure the failed side's alert is still delivered to the other. */
static int handshake(side *c, side *s, size_t chunk)
{
    for (int rounds = 0; rounds < 200000; rounds++) {
        clasp_wait wc = step(c);
        clasp_wait ws = step(s);
        size_t moved = clasp_test_move_bytes(c->conn, s->conn, chunk) + clasp_test_move_bytes(s->conn, c->conn, chunk);

        if (clasp_conn_handshake_done(c->conn) && clasp_conn_handshake_done(s->conn) &&
            moved == 0) {
            return 1;
        }
        if (moved == 0 && (wc == CLASP_WAIT_ERROR || ws == CLASP_WAIT_ERROR ||
                           !clasp_conn_handshake_done(c->conn))) {
            /* Let the receiver of a last alert process it. */
            step(c);
            step(s);
            return 0;
        }
    }
    return 0;
}

/* Application data both ways: both sides really use the same keys. */
static void exchange_data(side *c, side *s)
{
    static const char msg[] = "authenticated hello";
    uint8_t buf[64];

    assert_int_equal(clasp_conn_write_app(c->conn, (const uint8_t *)msg, sizeof(msg)),
                     sizeof(msg));
    clasp_test_move_bytes(c->conn, s->conn, 1 << 20);
    assert_int_equal(step(s), CLASP_WAIT_APP_READ);
    assert_int_equal(clasp_conn_read_app(s->conn, buf, sizeof(buf), 0), sizeof(msg));
    assert_memory_equal(buf, msg, sizeof(msg));
    assert_int_equal(clasp_conn_write_app(s->conn, (const uint8_t *)msg, sizeof(msg)),
                     sizeof(msg));
    clasp_test_move_bytes(s->conn, c->conn, 1 << 20);
    assert_int_equal(step(c), CLASP_WAIT_APP_READ);
    assert_int_equal(clasp_conn_read_app(c->conn, buf, sizeof(buf), 0), sizeof(msg));
    assert_memory_equal(buf, msg, sizeof(msg));
}

/* The reason of the first error on the queue (and clears it). */
static int first_reason(void)
{
    unsigned long e = ERR_peek_error();

    ERR_clear_error();
    return ERR_GET_REASON(e);
}

static const size_t chunks[] = {1 << 20, 1, 2, 7, 100};
#define NUM_CHUNKS (sizeof(chunks) / sizeof(chunks[0]))

/* ---- success ------------------------------------------------------------------------ */

static void test_required_with_cert(void **state)
{
    const fixture *f = *state;
    opts o = {.request = 1, .require = 1, .client_has_cert = 1};

    for (size_t i = 0; i < NUM_CHUNKS; i++) {
        side c;
        side s;

        make_pair(f, &o, &c, &s);
        assert_true(handshake(&c, &s, chunks[i]));
        /* The server saw the client's leaf, once, and the client the server's. */
        assert_int_equal(s.verify_waits, 1);
        assert_int_equal(c.verify_waits, 1);
        assert_ptr_not_equal(s.seen_leaf, NULL);
        assert_int_equal(X509_cmp(s.seen_leaf, f->client_cert), 0);
        assert_int_equal(sk_X509_num(clasp_conn_peer_chain(s.conn)), 1);
        /* RFC 9846 §4.5.2: Ed25519 is the one scheme of ours the key fits. */
        assert_int_equal(clasp_conn_peer_sigalg(s.conn), CLASP_SIG_ED25519);
        assert_int_equal(clasp_conn_own_sigalg(c.conn), CLASP_SIG_ED25519);
        assert_int_equal(s.keylog_lines, 5);
        exchange_data(&c, &s);
        free_pair(&c, &s);
    }
}

static void test_requested_with_cert(void **state)
{
    const fixture *f = *state;
    opts o = {.request = 1, .client_has_cert = 1};
    side c;
    side s;

    make_pair(f, &o, &c, &s);
    assert_true(handshake(&c, &s, 1));
    assert_int_equal(s.verify_waits, 1);
    exchange_data(&c, &s);
    free_pair(&c, &s);
}

/* §4.5.1.3: an empty Certificate, no CertificateVerify; the server goes
 * on when it does not insist. */
static void test_requested_without_cert(void **state)
{
    const fixture *f = *state;
    opts o = {.request = 1};

    for (size_t i = 0; i < NUM_CHUNKS; i++) {
        side c;
        side s;

        make_pair(f, &o, &c, &s);
        assert_true(handshake(&c, &s, chunks[i]));
        assert_int_equal(s.verify_waits, 0);
        assert_int_equal(sk_X509_num(clasp_conn_peer_chain(s.conn)), 0);
        assert_int_equal(clasp_conn_peer_sigalg(s.conn), 0);
        exchange_data(&c, &s);
        free_pair(&c, &s);
    }
}

/* A client identity whose key fits none of the server's schemes is not
 * offered: the client answers with an empty Certificate. */
static void test_unusable_cert_sends_empty(void **state)
{
    const fixture *f = *state;
    opts o = {.request = 1, .client_has_cert = 1, .server_ecdsa_only = 1};
    side c;
    side s;

    make_pair(f, &o, &c, &s);
    assert_true(handshake(&c, &s, 1 << 20));
    assert_int_equal(s.verify_waits, 0);
    assert_int_equal(sk_X509_num(clasp_conn_peer_chain(s.conn)), 0);
    exchange_data(&c, &s);
    free_pair(&c, &s);
}

/* Without a CertificateRequest the client sends no certificate at all. */
static void test_not_requested(void **state)
{
    const fixture *f = *state;
    opts o = {.client_has_cert = 1};
    side c;
    side s;

    make_pair(f, &o, &c, &s);
    assert_true(handshake(&c, &s, 1));
    assert_int_equal(s.verify_waits, 0);
    assert_null(clasp_conn_peer_chain(s.conn));
    exchange_data(&c, &s);
    free_pair(&c, &s);
}

/* ---- failures ------------------------------------------------------------------------ */

/* Checks that the server failed with alert/reason, the client completed its
 * side of the handshake (TLS 1.3: its flight was sent) and then received
 * the alert, readable under the server's application key. */
static void expect_server_refusal(side *c, side *s, int alert, int reason)
{
    assert_true(clasp_conn_failed(s->conn));
    assert_false(clasp_conn_handshake_done(s->conn));
    assert_int_equal(clasp_conn_alert_sent(s->conn), (2 << 8) | alert);
    assert_int_equal(first_reason(), reason);
    assert_true(clasp_conn_handshake_done(c->conn));
    assert_int_equal(clasp_conn_alert_received(c->conn), (2 << 8) | alert);
    /* Principle 8: the handshake secrets only, no application secret logged
     * or key installed for the client's direction. */
    assert_int_equal(s->keylog_lines, 2);
}

static void test_required_without_cert(void **state)
{
    const fixture *f = *state;
    opts o = {.request = 1, .require = 1};

    for (size_t i = 0; i < NUM_CHUNKS; i++) {
        side c;
        side s;

        ERR_clear_error();
        make_pair(f, &o, &c, &s);
        assert_false(handshake(&c, &s, chunks[i]));
        expect_server_refusal(&c, &s, SSL_AD_CERTIFICATE_REQUIRED,
                              SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE);
        assert_int_equal(s.verify_waits, 0);
        free_pair(&c, &s);
        ERR_clear_error();
    }
}

/* A CertificateVerify made with a key that is not the certificate's: the
 * signature does not verify, decrypt_error (RFC 9846 §4.5.2), and no
 * application key is installed for the client's direction. */
static void test_forged_certificate_verify(void **state)
{
    const fixture *f = *state;
    opts o = {.request = 1, .client_has_cert = 1, .wrong_key = 1};

    for (size_t i = 0; i < NUM_CHUNKS; i++) {
        side c;
        side s;

        ERR_clear_error();
        make_pair(f, &o, &c, &s);
        assert_false(handshake(&c, &s, chunks[i]));
        expect_server_refusal(&c, &s, SSL_AD_DECRYPT_ERROR, SSL_R_BAD_SIGNATURE);
        assert_int_equal(s.verify_waits, 1);
        free_pair(&c, &s);
        ERR_clear_error();
    }
}

/* The facade refuses the client's chain: its alert, the verify reason. */
static void test_chain_rejected(void **state)
{
    const fixture *f = *state;
    opts o = {.request = 1, .client_has_cert = 1, .server_rejects = 1};
    side c;
    side s;

    ERR_clear_error();
    make_pair(f, &o, &c, &s);
    assert_false(handshake(&c, &s, 1));
    expect_server_refusal(&c, &s, SSL_AD_UNKNOWN_CA, SSL_R_CERTIFICATE_VERIFY_FAILED);
    free_pair(&c, &s);
    ERR_clear_error();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_required_with_cert),
        cmocka_unit_test(test_requested_with_cert),
        cmocka_unit_test(test_requested_without_cert),
        cmocka_unit_test(test_unusable_cert_sends_empty),
        cmocka_unit_test(test_not_requested),
        cmocka_unit_test(test_required_without_cert),
        cmocka_unit_test(test_forged_certificate_verify),
        cmocka_unit_test(test_chain_rejected),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

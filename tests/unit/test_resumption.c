/* TLS 1.3 tickets and resumption at the engine level (RFC 9846 §4.7.1,
 * §4.3.11): a server issues tickets, the client takes them, a second
 * connection offers one and resumes with PSK + (EC)DHE — whole, byte at a
 * time, after a HelloRetryRequest — and every ticket the server cannot use
 * falls back to a full handshake, while a bad binder is decrypt_error. */
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

#define NOW_MS 1000000000ull
#define MAX_TICKETS 4

static const uint16_t suites[] = {0x1301, 0x1302, 0x1303};
static const uint16_t suite_sha384[] = {0x1302};
static const uint16_t suite_sha256[] = {0x1301};
static const uint16_t groups[] = {CLASP_GROUP_X25519, CLASP_GROUP_SECP256R1};
static const uint16_t p256_only[] = {CLASP_GROUP_SECP256R1};
static const uint16_t sigalgs[] = {CLASP_SIG_ECDSA_SECP256R1_SHA256, CLASP_SIG_ED25519};

typedef struct {
    clasp_crypto *crypto;
    EVP_PKEY *key;
    X509 *cert;
    clasp_ticket_key tk;
    clasp_ticket tickets[MAX_TICKETS];
    size_t num_tickets;
    /* handshake message types the server sent on the last connection */
    uint8_t sent_types[64];
    size_t num_sent;
} fixture;

static void drop_tickets(fixture *f)
{
    for (size_t i = 0; i < f->num_tickets; i++) {
        clasp_ticket_cleanup(&f->tickets[i]);
    }
    f->num_tickets = 0;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    f->crypto = clasp_crypto_new(NULL, NULL);
    f->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    f->cert = clasp_test_self_signed(f->key, "localhost");
    memset(f->tk.name, 0x11, sizeof(f->tk.name));
    memset(f->tk.key, 0x22, sizeof(f->tk.key));
    *state = f;
    return f->crypto != NULL && f->cert != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;

    drop_tickets(f);
    clasp_crypto_free(f->crypto);
    X509_free(f->cert);
    EVP_PKEY_free(f->key);
    free(f);
    return 0;
}

static void record_sent(void *arg, int write_p, int version, int content_type,
                        const uint8_t *buf, size_t len)
{
    fixture *f = arg;

    (void)version;
    if (write_p && content_type == 22 && len > 0 && f->num_sent < sizeof(f->sent_types)) {
        f->sent_types[f->num_sent++] = buf[0];
    }
}

static int server_sent(const fixture *f, uint8_t type)
{
    return memchr(f->sent_types, type, f->num_sent) != NULL;
}

static clasp_config make_config(fixture *f, int is_server)
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
    cfg.num_sigalgs = 2;
    cfg.max_cert_list = 100 * 1024;
    cfg.now_ms = NOW_MS;
    if (is_server) {
        cfg.ticket_key = &f->tk;
        cfg.num_tickets = 2;
        cfg.ticket_lifetime = 7200;
        cfg.observer.arg = f;
        cfg.observer.msg = record_sent;
    } else {
        cfg.want_tickets = 1;
    }
    return cfg;
}

static clasp_wait step(fixture *f, clasp_conn *conn)
{
    clasp_identity id = clasp_identity_make(f->cert, NULL, f->key);

    for (;;) {
        clasp_wait w = clasp_conn_process(conn);

        switch (w) {
        case CLASP_WAIT_CLIENT_HELLO:
            clasp_conn_client_hello_done(conn, &id, 1, NULL, 0, 0, 0);
            break;
        case CLASP_WAIT_VERIFY_PEER:
            clasp_conn_verify_done(conn, 1, 0);
            break;
        case CLASP_WAIT_TICKET:
            assert_true(f->num_tickets < MAX_TICKETS);
            assert_true(clasp_conn_take_ticket(conn, &f->tickets[f->num_tickets]));
            f->tickets[f->num_tickets++].received_ms = NOW_MS;
            break;
        case CLASP_WAIT_HANDSHAKE_DONE:
            break;
        default:
            return w;
        }
    }
}

/* Runs both sides until nothing moves; returns 1 when both finished. */
static int pump(fixture *f, clasp_conn *c, clasp_conn *s, size_t chunk)
{
    for (int rounds = 0; rounds < 200000; rounds++) {
        clasp_wait wc = step(f, c);
        clasp_wait ws = step(f, s);
        size_t moved;

        if (wc == CLASP_WAIT_ERROR || ws == CLASP_WAIT_ERROR) {
            return 0;
        }
        moved = clasp_test_move_bytes(c, s, chunk) + clasp_test_move_bytes(s, c, chunk);
        if (moved == 0) {
            return clasp_conn_handshake_done(c) && clasp_conn_handshake_done(s);
        }
    }
    return 0;
}

typedef struct {
    clasp_config cc;
    clasp_config sc;
    clasp_conn *c;
    clasp_conn *s;
} pair;

static void pair_start(fixture *f, pair *p)
{
    f->num_sent = 0;
    p->c = clasp_conn_new(&p->cc);
    p->s = clasp_conn_new(&p->sc);
    assert_non_null(p->c);
    assert_non_null(p->s);
    assert_true(clasp_conn_start(p->c) && clasp_conn_start(p->s));
}

static void pair_free(pair *p)
{
    clasp_conn_free(p->c);
    clasp_conn_free(p->s);
}

static void exchange_data(fixture *f, pair *p)
{
    uint8_t buf[64];
    static const char msg[] = "resumed";

    assert_int_equal(clasp_conn_write_app(p->c, (const uint8_t *)msg, sizeof(msg)), sizeof(msg));
    clasp_test_move_bytes(p->c, p->s, 1 << 20);
    assert_int_equal(step(f, p->s), CLASP_WAIT_APP_READ);
    assert_int_equal(clasp_conn_read_app(p->s, buf, sizeof(buf), 0), sizeof(msg));
    assert_memory_equal(buf, msg, sizeof(msg));
}

/* A full handshake that leaves the server's tickets in f->tickets. */
static void get_tickets(fixture *f, const uint16_t *s, size_t num_s)
{
    pair p;

    drop_tickets(f);
    p.cc = make_config(f, 0);
    p.sc = make_config(f, 1);
    p.cc.suites = s;
    p.cc.num_suites = num_s;
    pair_start(f, &p);
    assert_true(pump(f, p.c, p.s, 1 << 20));
    assert_false(clasp_conn_resumed(p.c));
    assert_int_equal(f->num_tickets, 2);
    pair_free(&p);
}

static void test_tickets_issued(void **state)
{
    fixture *f = *state;

    get_tickets(f, suites, 3);
    assert_true(server_sent(f, CLASP_HT_NEW_SESSION_TICKET));
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(f->tickets[i].suite, 0x1301);
        assert_int_equal(f->tickets[i].psk_len, 32);
        assert_int_equal(f->tickets[i].lifetime, 7200);
        assert_int_equal(f->tickets[i].max_early_data, 0);
        assert_true(f->tickets[i].ticket_len > 0);
    }
    /* §4.7.1: distinct nonces give distinct PSKs. */
    assert_memory_not_equal(f->tickets[0].psk, f->tickets[1].psk, 32);
}

static void test_no_tickets_when_zero(void **state)
{
    fixture *f = *state;
    pair p;

    drop_tickets(f);
    p.cc = make_config(f, 0);
    p.sc = make_config(f, 1);
    p.sc.num_tickets = 0;
    pair_start(f, &p);
    assert_true(pump(f, p.c, p.s, 1 << 20));
    assert_int_equal(f->num_tickets, 0);
    assert_false(server_sent(f, CLASP_HT_NEW_SESSION_TICKET));
    pair_free(&p);
}

/* Resumes with ticket 0; returns 1 when both sides report a resumption. */
static int resume(fixture *f, int hrr, size_t chunk, int *server_failed)
{
    pair p;
    clasp_ticket t;
    int ok;

    assert_true(clasp_ticket_copy(&t, &f->tickets[0]));
    p.cc = make_config(f, 0);
    p.sc = make_config(f, 1);
    p.cc.resume = &t;
    if (hrr) {
        p.sc.groups = p256_only;
        p.sc.num_groups = 1;
    }
    pair_start(f, &p);
    ok = pump(f, p.c, p.s, chunk);
    *server_failed = clasp_conn_failed(p.s);
    if (ok) {
        assert_int_equal(clasp_conn_resumed(p.c), clasp_conn_resumed(p.s));
        assert_int_equal(clasp_conn_did_hrr(p.c), hrr);
        exchange_data(f, &p);
        ok = clasp_conn_resumed(p.c);
        if (ok) {
            /* No authentication messages: the PSK stands for them. */
            assert_false(server_sent(f, CLASP_HT_CERTIFICATE));
            assert_false(server_sent(f, CLASP_HT_CERTIFICATE_VERIFY));
            assert_null(clasp_conn_peer_chain(p.c));
        }
    }
    pair_free(&p);
    clasp_ticket_cleanup(&t);
    return ok;
}

static void test_resume(void **state)
{
    fixture *f = *state;
    int failed;

    get_tickets(f, suites, 3);
    assert_true(resume(f, 0, 1 << 20, &failed));
    /* The resumed connection issues one new ticket (as OpenSSL). */
    assert_int_equal(f->num_tickets, 3);
}

static void test_resume_byte_at_a_time(void **state)
{
    fixture *f = *state;
    int failed;

    get_tickets(f, suites, 3);
    assert_true(resume(f, 0, 1, &failed));
}

static void test_resume_after_hrr(void **state)
{
    fixture *f = *state;
    int failed;

    get_tickets(f, suites, 3);
    assert_true(resume(f, 1, 1 << 20, &failed));
    get_tickets(f, suites, 3);
    assert_true(resume(f, 1, 1, &failed));
}

static void test_tampered_ticket_full_handshake(void **state)
{
    fixture *f = *state;
    int failed;

    get_tickets(f, suites, 3);
    f->tickets[0].ticket[f->tickets[0].ticket_len / 2] ^= 1;
    assert_false(resume(f, 0, 1 << 20, &failed));
    assert_false(failed);
    assert_true(server_sent(f, CLASP_HT_CERTIFICATE));
}

static void test_other_key_full_handshake(void **state)
{
    fixture *f = *state;
    int failed;

    get_tickets(f, suites, 3);
    f->tk.key[0] ^= 1;
    assert_false(resume(f, 0, 1 << 20, &failed));
    f->tk.key[0] ^= 1;
    assert_false(failed);
}

static void test_bad_binder_decrypt_error(void **state)
{
    fixture *f = *state;
    pair p;
    clasp_ticket t;

    get_tickets(f, suites, 3);
    assert_true(clasp_ticket_copy(&t, &f->tickets[0]));
    t.psk[0] ^= 1; /* the client binds with the wrong key */
    p.cc = make_config(f, 0);
    p.sc = make_config(f, 1);
    p.cc.resume = &t;
    pair_start(f, &p);
    assert_false(pump(f, p.c, p.s, 1 << 20));
    assert_true(clasp_conn_failed(p.s));
    assert_int_equal(clasp_conn_alert_sent(p.s), (2 << 8) | SSL_AD_DECRYPT_ERROR);
    assert_int_equal(ERR_GET_REASON(ERR_peek_last_error()), SSL_R_BINDER_DOES_NOT_VERIFY);
    ERR_clear_error();
    pair_free(&p);
    clasp_ticket_cleanup(&t);
}

/* A SHA-384 ticket offered where the server picks a SHA-256 suite: the
 * PSK is ignored (§4.3.11), a full handshake follows. */
static void test_wrong_hash_full_handshake(void **state)
{
    fixture *f = *state;
    pair p;
    clasp_ticket t;

    get_tickets(f, suite_sha384, 1);
    assert_int_equal(f->tickets[0].suite, 0x1302);
    assert_true(clasp_ticket_copy(&t, &f->tickets[0]));
    p.cc = make_config(f, 0);
    p.sc = make_config(f, 1);
    p.cc.resume = &t;
    p.sc.suites = suite_sha256;
    p.sc.num_suites = 1;
    pair_start(f, &p);
    assert_true(pump(f, p.c, p.s, 1 << 20));
    assert_false(clasp_conn_resumed(p.c));
    assert_false(clasp_conn_resumed(p.s));
    assert_int_equal(clasp_conn_cipher_suite(p.c), 0x1301);
    pair_free(&p);
    clasp_ticket_cleanup(&t);
}

/* The server's clock is past the ticket's lifetime: full handshake. */
static void test_expired_full_handshake(void **state)
{
    fixture *f = *state;
    pair p;
    clasp_ticket t;

    get_tickets(f, suites, 3);
    assert_true(clasp_ticket_copy(&t, &f->tickets[0]));
    p.cc = make_config(f, 0);
    p.sc = make_config(f, 1);
    p.cc.resume = &t;
    p.sc.now_ms = NOW_MS + 7200 * 1000 + 1;
    pair_start(f, &p);
    assert_true(pump(f, p.c, p.s, 1 << 20));
    assert_false(clasp_conn_resumed(p.s));
    assert_true(server_sent(f, CLASP_HT_CERTIFICATE));
    pair_free(&p);
    clasp_ticket_cleanup(&t);
}

/* The client does not offer a ticket older than its lifetime (§4.3.11.1). */
static void test_client_skips_expired(void **state)
{
    fixture *f = *state;
    pair p;
    clasp_ticket t;

    get_tickets(f, suites, 3);
    assert_true(clasp_ticket_copy(&t, &f->tickets[0]));
    p.cc = make_config(f, 0);
    p.sc = make_config(f, 1);
    p.cc.resume = &t;
    p.cc.now_ms = NOW_MS + 7201 * 1000;
    pair_start(f, &p);
    assert_true(pump(f, p.c, p.s, 1 << 20));
    assert_false(clasp_conn_resumed(p.c));
    pair_free(&p);
    clasp_ticket_cleanup(&t);
}

/* A server without a ticket key neither issues nor accepts tickets. */
static void test_server_without_key(void **state)
{
    fixture *f = *state;
    pair p;
    clasp_ticket t;

    get_tickets(f, suites, 3);
    assert_true(clasp_ticket_copy(&t, &f->tickets[0]));
    drop_tickets(f);
    p.cc = make_config(f, 0);
    p.sc = make_config(f, 1);
    p.cc.resume = &t;
    p.sc.ticket_key = NULL;
    pair_start(f, &p);
    assert_true(pump(f, p.c, p.s, 1 << 20));
    assert_false(clasp_conn_resumed(p.c));
    assert_int_equal(f->num_tickets, 0);
    pair_free(&p);
    clasp_ticket_cleanup(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tickets_issued),
        cmocka_unit_test(test_no_tickets_when_zero),
        cmocka_unit_test(test_resume),
        cmocka_unit_test(test_resume_byte_at_a_time),
        cmocka_unit_test(test_resume_after_hrr),
        cmocka_unit_test(test_tampered_ticket_full_handshake),
        cmocka_unit_test(test_other_key_full_handshake),
        cmocka_unit_test(test_bad_binder_decrypt_error),
        cmocka_unit_test(test_wrong_hash_full_handshake),
        cmocka_unit_test(test_expired_full_handshake),
        cmocka_unit_test(test_client_skips_expired),
        cmocka_unit_test(test_server_without_key),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

/* TLS 1.2 session tickets at the engine level (RFC 5077) and the
 * abbreviated handshake (RFC 5246 §7.3): the server answers an empty
 * session_ticket and sends a NewSessionTicket before its CCS, the client
 * keeps it with the master secret, a second connection offers it and
 * resumes (whole and byte at a time); tickets the server cannot use fall
 * back to a full handshake; RFC 7627 §5.3 (EMS sessions resume only with
 * EMS) on both sides; the sealing itself refuses tampering and other keys. */
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
#include "helpers/engine_test.h"
#include "hs/conn.h"

#define NOW_MS 1000000000ull

static const uint16_t suites12[] = {0xc02b, 0xc02c}; /* ECDHE-ECDSA-AES{128,256}-GCM */
static const uint16_t groups[] = {CLASP_GROUP_X25519, CLASP_GROUP_SECP256R1};
static const uint16_t sigalgs[] = {CLASP_SIG_ECDSA_SECP256R1_SHA256};

typedef struct {
    clasp_crypto *crypto;
    EVP_PKEY *key;
    X509 *cert;
    clasp_ticket_key tk;
    clasp_ticket ticket; /* the client's, after a full handshake */
    int have_ticket;
    uint8_t sent[64];    /* handshake types the server sent, last connection */
    size_t num_sent;
} fixture;

static void drop_ticket(fixture *f)
{
    clasp_ticket_cleanup(&f->ticket);
    f->have_ticket = 0;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    f->crypto = clasp_crypto_new(NULL, NULL);
    f->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    f->cert = clasp_test_self_signed(f->key, "localhost");
    memset(f->tk.name, 0x33, sizeof(f->tk.name));
    memset(f->tk.key, 0x44, sizeof(f->tk.key));
    *state = f;
    return f->crypto != NULL && f->cert != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;

    drop_ticket(f);
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
    if (write_p && content_type == 22 && len > 0 && f->num_sent < sizeof(f->sent)) {
        f->sent[f->num_sent++] = buf[0];
    }
}

static int server_sent(const fixture *f, uint8_t type)
{
    return memchr(f->sent, type, f->num_sent) != NULL;
}

static clasp_config make_config(fixture *f, int is_server)
{
    clasp_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = f->crypto;
    cfg.is_server = is_server;
    cfg.min_version = 0x0303;
    cfg.max_version = 0x0303;
    cfg.suites12 = suites12;
    cfg.num_suites12 = 2;
    cfg.groups = groups;
    cfg.num_groups = 2;
    cfg.sigalgs = sigalgs;
    cfg.num_sigalgs = 1;
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
            fail_msg("a TLS 1.2 ticket is taken after the handshake, not at CLASP_WAIT_TICKET");
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

        if (wc == CLASP_WAIT_ERROR || ws == CLASP_WAIT_ERROR) {
            return 0;
        }
        if (clasp_test_move_bytes(c, s, chunk) + clasp_test_move_bytes(s, c, chunk) == 0) {
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

static void pair_init(fixture *f, pair *p)
{
    p->cc = make_config(f, 0);
    p->sc = make_config(f, 1);
}

/* Runs the handshake; the client's ticket (if one came) replaces f's. */
static int pair_run(fixture *f, pair *p, size_t chunk)
{
    int ok;

    f->num_sent = 0;
    p->c = clasp_conn_new(&p->cc);
    p->s = clasp_conn_new(&p->sc);
    assert_non_null(p->c);
    assert_non_null(p->s);
    assert_true(clasp_conn_start(p->c) && clasp_conn_start(p->s));
    ok = pump(f, p->c, p->s, chunk);
    if (ok && clasp_conn_has_ticket(p->c)) {
        drop_ticket(f);
        assert_true(clasp_conn_take_ticket(p->c, &f->ticket));
        f->have_ticket = 1;
    }
    if (ok) {
        assert_int_equal(clasp_conn_version(p->c), 0x0303);
        assert_int_equal(clasp_conn_resumed(p->c), clasp_conn_resumed(p->s));
    }
    return ok;
}

static void pair_free(pair *p)
{
    clasp_conn_free(p->c);
    clasp_conn_free(p->s);
}

/* A full handshake that leaves the client's ticket in f->ticket. */
static void get_ticket(fixture *f)
{
    pair p;

    drop_ticket(f);
    pair_init(f, &p);
    assert_true(pair_run(f, &p, 1 << 20));
    assert_false(clasp_conn_resumed(p.c));
    assert_true(f->have_ticket);
    pair_free(&p);
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

/* Offers t; returns clasp_conn_resumed() after a good handshake, -1 when
 * the handshake failed. */
static int resume_with(fixture *f, const clasp_ticket *t, size_t chunk, pair *p)
{
    pair_init(f, p);
    p->cc.resume = t;
    if (!pair_run(f, p, chunk)) {
        return -1;
    }
    exchange_data(f, p);
    return clasp_conn_resumed(p->c);
}

static void test_ticket_issued(void **state)
{
    fixture *f = *state;

    get_ticket(f);
    /* RFC 5077 §3.3: one NewSessionTicket, in the handshake, before the CCS. */
    assert_true(server_sent(f, CLASP_HT_NEW_SESSION_TICKET));
    assert_int_equal(f->ticket.suite, 0xc02b);
    assert_int_equal(f->ticket.tls12, 1);
    assert_int_equal(f->ticket.ems, 1);
    assert_int_equal(f->ticket.psk_len, CLASP_TLS12_MASTER_LEN);
    assert_int_equal(f->ticket.lifetime, 7200);
    assert_true(f->ticket.ticket_len > 0);
}

static void resume_case(fixture *f, size_t chunk)
{
    clasp_ticket t;
    pair p;
    uint8_t m1[CLASP_TLS12_MASTER_LEN];
    uint8_t m2[CLASP_TLS12_MASTER_LEN];

    get_ticket(f);
    assert_true(clasp_ticket_copy(&t, &f->ticket));
    assert_int_equal(resume_with(f, &t, chunk, &p), 1);
    /* RFC 5246 §7.3: ServerHello, (no ticket: not renewed), CCS, Finished. */
    assert_false(server_sent(f, CLASP_HT_CERTIFICATE));
    assert_false(server_sent(f, CLASP_HT_SERVER_KEY_EXCHANGE));
    assert_false(server_sent(f, CLASP_HT_NEW_SESSION_TICKET));
    assert_true(server_sent(f, CLASP_HT_FINISHED));
    assert_null(clasp_conn_peer_chain(p.c));
    assert_true(clasp_conn_ems(p.c));
    assert_int_equal(clasp_conn_master_secret(p.c, m1, sizeof(m1)), sizeof(m1));
    assert_int_equal(clasp_conn_master_secret(p.s, m2, sizeof(m2)), sizeof(m2));
    assert_memory_equal(m1, t.psk, sizeof(m1));
    assert_memory_equal(m2, t.psk, sizeof(m2));
    pair_free(&p);
    clasp_ticket_cleanup(&t);
}

static void test_resume(void **state)
{
    resume_case(*state, 1 << 20);
}

static void test_resume_byte_at_a_time(void **state)
{
    resume_case(*state, 1);
}

static void test_num_tickets_zero(void **state)
{
    fixture *f = *state;
    pair p;

    drop_ticket(f);
    pair_init(f, &p);
    p.sc.num_tickets = 0;
    assert_true(pair_run(f, &p, 1 << 20));
    assert_false(f->have_ticket);
    assert_false(server_sent(f, CLASP_HT_NEW_SESSION_TICKET));
    pair_free(&p);
}

/* SSL_OP_NO_TICKET (OpenSSL 3.0, TLS 1.2): on the server no ticket is
 * issued and none accepted; on the client none is asked for. */
static void test_no_tickets12(void **state)
{
    fixture *f = *state;
    clasp_ticket t;
    pair p;

    get_ticket(f);
    assert_true(clasp_ticket_copy(&t, &f->ticket));
    pair_init(f, &p);
    p.sc.no_tickets12 = 1;
    p.cc.resume = &t;
    assert_true(pair_run(f, &p, 1 << 20));
    assert_false(clasp_conn_resumed(p.c));
    assert_false(server_sent(f, CLASP_HT_NEW_SESSION_TICKET));
    pair_free(&p);

    drop_ticket(f);
    pair_init(f, &p);
    p.cc.no_tickets12 = 1;
    assert_true(pair_run(f, &p, 1 << 20));
    assert_false(f->have_ticket);
    assert_false(server_sent(f, CLASP_HT_NEW_SESSION_TICKET));
    pair_free(&p);
    clasp_ticket_cleanup(&t);
}

/* RFC 5077 §3.4: a ticket the server cannot use (tampered, another key,
 * expired) means a full handshake with a new ticket, not an error. */
static void full_handshake_case(fixture *f, void (*spoil)(fixture *f, clasp_ticket *t))
{
    clasp_ticket t;
    pair p;

    get_ticket(f);
    assert_true(clasp_ticket_copy(&t, &f->ticket));
    spoil(f, &t);
    assert_int_equal(resume_with(f, &t, 1 << 20, &p), 0);
    assert_true(server_sent(f, CLASP_HT_CERTIFICATE));
    assert_true(server_sent(f, CLASP_HT_NEW_SESSION_TICKET));
    pair_free(&p);
    clasp_ticket_cleanup(&t);
    f->tk.key[0] = 0x44;
}

static void spoil_tamper(fixture *f, clasp_ticket *t)
{
    (void)f;
    t->ticket[t->ticket_len / 2] ^= 1;
}

static void spoil_key(fixture *f, clasp_ticket *t)
{
    (void)t;
    f->tk.key[0] ^= 1;
}

static void spoil_truncate(fixture *f, clasp_ticket *t)
{
    (void)f;
    t->ticket_len--;
}

static void test_unusable_tickets_full_handshake(void **state)
{
    full_handshake_case(*state, spoil_tamper);
    full_handshake_case(*state, spoil_key);
    full_handshake_case(*state, spoil_truncate);
}

static void test_expired_ticket_full_handshake(void **state)
{
    fixture *f = *state;
    clasp_ticket t;
    pair p;

    get_ticket(f);
    assert_true(clasp_ticket_copy(&t, &f->ticket));
    pair_init(f, &p);
    p.cc.resume = &t;
    p.sc.now_ms = NOW_MS + 7201 * 1000ull;
    assert_true(pair_run(f, &p, 1 << 20));
    assert_false(clasp_conn_resumed(p.c));
    pair_free(&p);
    clasp_ticket_cleanup(&t);
}

/* A ticket sealed by hand: what the server will find inside. */
static void seal(fixture *f, clasp_ticket *t, uint16_t suite, int ems)
{
    clasp_tls12_ticket_state st = {.suite = suite, .issued_ms = NOW_MS, .lifetime = 7200,
                                   .ems = ems};
    uint8_t buf[CLASP_TLS12_TICKET_MAX];

    memcpy(st.master, t->psk, sizeof(st.master));
    t->ticket_len = clasp_tls12_seal_ticket(f->crypto, &f->tk, &st, buf);
    assert_true(t->ticket_len > 0);
    memcpy(t->ticket, buf, t->ticket_len);
}

/* RFC 7627 §5.3: the server does not resume a session without EMS for a
 * ClientHello with it (Clasp's client always offers EMS). */
static void test_server_non_ems_session_full_handshake(void **state)
{
    fixture *f = *state;
    clasp_ticket t;
    pair p;

    get_ticket(f);
    assert_true(clasp_ticket_copy(&t, &f->ticket));
    seal(f, &t, t.suite, 0);
    t.ems = 0;
    assert_int_equal(resume_with(f, &t, 1 << 20, &p), 0);
    pair_free(&p);
    clasp_ticket_cleanup(&t);
}

/* RFC 7627 §5.3: a client whose session had no EMS aborts when the server
 * resumes it with EMS. */
static void test_client_ems_mismatch_aborts(void **state)
{
    fixture *f = *state;
    clasp_ticket t;
    pair p;

    get_ticket(f);
    assert_true(clasp_ticket_copy(&t, &f->ticket));
    t.ems = 0; /* the server's sealed copy still says EMS */
    ERR_clear_error();
    assert_int_equal(resume_with(f, &t, 1 << 20, &p), -1);
    assert_true(clasp_conn_failed(p.c));
    assert_int_equal(clasp_conn_alert_sent(p.c), (2 << 8) | SSL_AD_HANDSHAKE_FAILURE);
    assert_int_equal(ERR_GET_REASON(ERR_peek_last_error()), SSL_R_INCONSISTENT_EXTMS);
    ERR_clear_error();
    pair_free(&p);
    clasp_ticket_cleanup(&t);
}

/* RFC 5246 §7.4.1.3: resuming, the server must use the session's suite. */
static void test_client_other_suite_aborts(void **state)
{
    fixture *f = *state;
    clasp_ticket t;
    pair p;

    get_ticket(f);
    assert_true(clasp_ticket_copy(&t, &f->ticket));
    seal(f, &t, 0xc02c, 1); /* the server resumes with AES-256 */
    ERR_clear_error();
    assert_int_equal(resume_with(f, &t, 1 << 20, &p), -1);
    assert_int_equal(clasp_conn_alert_sent(p.c), (2 << 8) | SSL_AD_ILLEGAL_PARAMETER);
    assert_int_equal(ERR_GET_REASON(ERR_peek_last_error()),
                     SSL_R_OLD_SESSION_CIPHER_NOT_RETURNED);
    ERR_clear_error();
    pair_free(&p);
    clasp_ticket_cleanup(&t);
}

/* The sealing: round trip; another key, a flipped bit, a TLS 1.3 ticket
 * layout and wrong lengths do not open. */
static void test_seal_open(void **state)
{
    fixture *f = *state;
    clasp_tls12_ticket_state st = {.suite = 0xc02b, .issued_ms = 42, .lifetime = 7, .ems = 1};
    clasp_tls12_ticket_state got;
    clasp_ticket_key other = f->tk;
    uint8_t buf[CLASP_TLS12_TICKET_MAX];
    size_t len;

    memset(st.master, 0xab, sizeof(st.master));
    len = clasp_tls12_seal_ticket(f->crypto, &f->tk, &st, buf);
    assert_true(len > 0 && len <= sizeof(buf));
    assert_true(clasp_tls12_open_ticket(f->crypto, &f->tk, buf, len, &got));
    assert_int_equal(got.suite, 0xc02b);
    assert_int_equal(got.issued_ms, 42);
    assert_int_equal(got.lifetime, 7);
    assert_int_equal(got.ems, 1);
    assert_memory_equal(got.master, st.master, sizeof(st.master));
    assert_false(clasp_tls12_open_ticket(f->crypto, &f->tk, buf, len - 1, &got));
    other.key[31] ^= 1;
    assert_false(clasp_tls12_open_ticket(f->crypto, &other, buf, len, &got));
    other = f->tk;
    other.name[0] ^= 1;
    assert_false(clasp_tls12_open_ticket(f->crypto, &other, buf, len, &got));
    for (size_t i = 0; i < len; i++) {
        buf[i] ^= 0x80;
        assert_false(clasp_tls12_open_ticket(f->crypto, &f->tk, buf, len, &got));
        buf[i] ^= 0x80;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ticket_issued),
        cmocka_unit_test(test_resume),
        cmocka_unit_test(test_resume_byte_at_a_time),
        cmocka_unit_test(test_num_tickets_zero),
        cmocka_unit_test(test_no_tickets12),
        cmocka_unit_test(test_unusable_tickets_full_handshake),
        cmocka_unit_test(test_expired_ticket_full_handshake),
        cmocka_unit_test(test_server_non_ems_session_full_handshake),
        cmocka_unit_test(test_client_ems_mismatch_aborts),
        cmocka_unit_test(test_client_other_suite_aborts),
        cmocka_unit_test(test_seal_open),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

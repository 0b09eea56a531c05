/*
 * TLS 1.2 session resumption with RFC 5077 tickets through the OpenSSL API only: the client's
 * session after a full handshake (one new-session callback, a ticket, resumable), the
 * abbreviated handshake when SSL_set_session offers it (RFC 5246 §7.3, SSL_session_reused on
 * both sides, the peer certificate from the session), one-byte transports, SSL_OP_NO_TICKET on
 * either side and a ticket of another server.  The server's session cache is off, so only
 * tickets can resume (Clasp has no session cache).  Written against OpenSSL's behaviour first
 * (-DCLASP_API_IMPL=openssl).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/testutil.h"

static int new_sessions;

static int count_session(SSL *ssl, SSL_SESSION *sess)
{
    (void)ssl;
    (void)sess;
    new_sessions++;
    return 0; /* no reference kept */
}

typedef struct {
    SSL_CTX *sctx;
    SSL_CTX *cctx;
} ctxs;

static void ctxs_new(ctxs *c)
{
    c->sctx = clasp_test_server_ctx(CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_GOOD);
    c->cctx = clasp_test_client_ctx();
    assert_non_null(c->sctx);
    assert_non_null(c->cctx);
    /* The helpers' contexts speak TLS 1.3 only. */
    assert_int_equal(SSL_CTX_set_min_proto_version(c->cctx, TLS1_2_VERSION), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(c->cctx, TLS1_2_VERSION), 1);
    assert_int_equal(SSL_CTX_set_min_proto_version(c->sctx, TLS1_2_VERSION), 1);
    SSL_CTX_set_session_cache_mode(c->sctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_session_cache_mode(c->cctx, SSL_SESS_CACHE_CLIENT);
    SSL_CTX_sess_set_new_cb(c->cctx, count_session);
    new_sessions = 0;
}

static void ctxs_free(ctxs *c)
{
    SSL_CTX_free(c->cctx);
    SSL_CTX_free(c->sctx);
}

/*
 * One TLS 1.2 connection: offers sess (may be NULL), completes the handshake, moves data both
 * ways, shuts down and returns the client's session (owned by the caller).  *reused gets
 * SSL_session_reused of the client; the server must agree.
 */
static SSL_SESSION *connect_once(ctxs *c, SSL_SESSION *sess, size_t max_piece, int *reused)
{
    clasp_test_link link;
    SSL_SESSION *out;

    assert_true(clasp_test_link_trickle(&link, c->cctx, c->sctx, max_piece, 0));
    assert_int_equal(SSL_set1_host(link.client, "localhost"), 1);
    if (sess != NULL) {
        assert_int_equal(SSL_set_session(link.client, sess), 1);
    }
    assert_true(clasp_test_handshake(&link));
    assert_int_equal(SSL_version(link.client), TLS1_2_VERSION);
    assert_true(clasp_test_transfer(&link, 0, 100));
    assert_true(clasp_test_transfer(&link, 1, 100));
    *reused = SSL_session_reused(link.client);
    assert_int_equal(SSL_session_reused(link.server), *reused);
    /* The server's certificate is there on a resumed connection too (from the session). */
    X509 *peer = SSL_get1_peer_certificate(link.client);
    assert_non_null(peer);
    X509_free(peer);
    assert_int_equal(SSL_get_verify_result(link.client), X509_V_OK);
    out = SSL_get1_session(link.client);
    assert_non_null(out);
    clasp_test_op cs = clasp_test_op_new(CLASP_TEST_OP_SHUTDOWN);
    clasp_test_op ss = clasp_test_op_new(CLASP_TEST_OP_SHUTDOWN);
    assert_true(clasp_test_pump(&link, &cs, &ss));
    clasp_test_link_free(&link);
    return out;
}

static void resume_case(size_t max_piece)
{
    ctxs c;
    int reused;
    unsigned char m1[48];
    unsigned char m2[48];

    ctxs_new(&c);
    SSL_SESSION *first = connect_once(&c, NULL, max_piece, &reused);
    assert_false(reused);
    /* RFC 5077 §3.3: one ticket, in the handshake; one new session. */
    assert_int_equal(new_sessions, 1);
    assert_int_equal(SSL_SESSION_is_resumable(first), 1);
    assert_int_equal(SSL_SESSION_has_ticket(first), 1);
    assert_int_equal(SSL_SESSION_get_protocol_version(first), TLS1_2_VERSION);
    assert_non_null(SSL_SESSION_get0_cipher(first));
    assert_non_null(SSL_SESSION_get0_peer(first));
    assert_int_equal(SSL_SESSION_get_master_key(first, m1, sizeof(m1)), 48);

    SSL_SESSION *second = connect_once(&c, first, max_piece, &reused);
    assert_true(reused);
    /* Resumed: the same master secret, and no new ticket (so no new session). */
    assert_int_equal(new_sessions, 1);
    assert_int_equal(SSL_SESSION_get_master_key(second, m2, sizeof(m2)), 48);
    assert_memory_equal(m1, m2, 48);
    assert_int_equal(SSL_SESSION_is_resumable(second), 1);

    /* The session resumes again. */
    SSL_SESSION *third = connect_once(&c, second, max_piece, &reused);
    assert_true(reused);
    SSL_SESSION_free(third);
    SSL_SESSION_free(second);
    SSL_SESSION_free(first);
    ctxs_free(&c);
}

static void test_resume(void **state)
{
    resume_case(16384);
}

static void test_resume_one_byte(void **state)
{
    resume_case(1);
}

/* OpenSSL 3.0: SSL_OP_NO_TICKET on a TLS 1.2 server: no ticket; without a session cache the
 * session cannot be resumed. */
static void test_no_ticket_server(void **state)
{
    ctxs c;
    int reused;

    ctxs_new(&c);
    SSL_CTX_set_options(c.sctx, SSL_OP_NO_TICKET);
    SSL_SESSION *first = connect_once(&c, NULL, 16384, &reused);
    assert_int_equal(SSL_SESSION_has_ticket(first), 0);
    assert_int_equal(SSL_SESSION_is_resumable(first), 0);
    assert_int_equal(new_sessions, 0);
    SSL_SESSION *second = connect_once(&c, first, 16384, &reused);
    assert_false(reused);
    SSL_SESSION_free(second);
    SSL_SESSION_free(first);
    ctxs_free(&c);
}

/* The same option on the client: it does not ask for a ticket (RFC 5077 §3.2). */
static void test_no_ticket_client(void **state)
{
    ctxs c;
    int reused;

    ctxs_new(&c);
    SSL_CTX_set_options(c.cctx, SSL_OP_NO_TICKET);
    SSL_SESSION *first = connect_once(&c, NULL, 16384, &reused);
    assert_int_equal(SSL_SESSION_has_ticket(first), 0);
    assert_int_equal(SSL_SESSION_is_resumable(first), 0);
    SSL_SESSION *second = connect_once(&c, first, 16384, &reused);
    assert_false(reused);
    SSL_SESSION_free(second);
    SSL_SESSION_free(first);
    ctxs_free(&c);
}

/* A ticket another server sealed: a full handshake, not an error (RFC 5077 §3.4). */
static void test_other_server_full_handshake(void **state)
{
    ctxs c;
    ctxs other;
    int reused;

    ctxs_new(&c);
    ctxs_new(&other);
    SSL_SESSION *first = connect_once(&c, NULL, 16384, &reused);
    SSL_SESSION *second = connect_once(&other, first, 16384, &reused);
    assert_false(reused);
    SSL_SESSION_free(second);
    SSL_SESSION_free(first);
    ctxs_free(&other);
    ctxs_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resume),
        cmocka_unit_test(test_resume_one_byte),
        cmocka_unit_test(test_no_ticket_server),
        cmocka_unit_test(test_no_ticket_client),
        cmocka_unit_test(test_other_server_full_handshake),
    };

    return cmocka_run_group_tests(tests, clasp_test_group_setup, clasp_test_group_teardown);
}

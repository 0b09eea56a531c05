/*
 * TLS 1.3 session resumption through the OpenSSL API only (RFC 9846 §4.7.1, §4.3.11): the
 * client's sessions after the tickets arrived (SSL_get1_session, the new-session callback
 * once per ticket), SSL_set_session on a second connection, SSL_session_reused on both sides,
 * the peer certificate of a resumed connection, HelloRetryRequest and one-byte transports,
 * SSL_set_num_tickets(0) and SSL_OP_NO_TICKET.  Written against OpenSSL's behaviour first
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
 * One connection: offers sess (may be NULL), completes the handshake, lets the client read
 * (so the tickets that precede the data are taken) and returns the client's session (owned by
 * the caller).  *reused gets SSL_session_reused of the client; the server must agree.
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
    assert_true(clasp_test_transfer(&link, 0, 100));
    assert_true(clasp_test_transfer(&link, 1, 100));
    *reused = SSL_session_reused(link.client);
    assert_int_equal(SSL_session_reused(link.server), *reused);
    assert_int_equal(SSL_version(link.client), TLS1_3_VERSION);
    /* The server's certificate is there on a resumed connection too (from the session). */
    X509 *peer = SSL_get1_peer_certificate(link.client);
    assert_non_null(peer);
    X509_free(peer);
    assert_int_equal(SSL_get_verify_result(link.client), X509_V_OK);
    out = SSL_get1_session(link.client);
    assert_non_null(out);
    /* As OpenSSL: a connection freed without a shutdown spoils its session. */
    clasp_test_op cs = clasp_test_op_new(CLASP_TEST_OP_SHUTDOWN);
    clasp_test_op ss = clasp_test_op_new(CLASP_TEST_OP_SHUTDOWN);
    assert_true(clasp_test_pump(&link, &cs, &ss));
    clasp_test_link_free(&link);
    return out;
}

static void resume_case(const char *server_groups, size_t max_piece)
{
    ctxs c;
    int reused;

    ctxs_new(&c);
    if (server_groups != NULL) {
        assert_int_equal(SSL_CTX_set1_groups_list(c.sctx, server_groups), 1);
    }
    SSL_SESSION *first = connect_once(&c, NULL, max_piece, &reused);
    assert_false(reused);
    /* OpenSSL's default: two tickets, one new session (and callback) for each. */
    assert_int_equal(new_sessions, 2);
    assert_int_equal(SSL_SESSION_is_resumable(first), 1);
    assert_int_equal(SSL_SESSION_get_protocol_version(first), TLS1_3_VERSION);
    assert_int_equal(SSL_SESSION_get_ticket_lifetime_hint(first), 7200);
    assert_non_null(SSL_SESSION_get0_cipher(first));
    assert_non_null(SSL_SESSION_get0_peer(first));

    SSL_SESSION *second = connect_once(&c, first, max_piece, &reused);
    assert_true(reused);
    /* At most one ticket after a resumption (SSL_CTX_set_num_tickets(3)). */
    assert_int_equal(new_sessions, 3);
    assert_int_equal(SSL_SESSION_is_resumable(second), 1);
    SSL_SESSION_free(second);
    SSL_SESSION_free(first);
    ctxs_free(&c);
}

static void test_resume(void **state)
{
    resume_case(NULL, 16384);
}

static void test_resume_one_byte(void **state)
{
    resume_case(NULL, 1);
}

static void test_resume_after_hrr(void **state)
{
    /* The client's default key share is X25519: the server asks for P-256 each time. */
    resume_case("P-256", 500);
}

static void test_num_tickets_zero(void **state)
{
    ctxs c;
    int reused;

    ctxs_new(&c);
    assert_int_equal(SSL_CTX_set_num_tickets(c.sctx, 0), 1);
    SSL_SESSION *first = connect_once(&c, NULL, 16384, &reused);
    assert_int_equal(new_sessions, 0);
    assert_int_equal(SSL_SESSION_is_resumable(first), 0);
    SSL_SESSION *second = connect_once(&c, first, 16384, &reused);
    assert_false(reused);
    SSL_SESSION_free(second);
    SSL_SESSION_free(first);
    ctxs_free(&c);
}

/* SSL_OP_NO_TICKET on a TLS 1.3 server: OpenSSL still sends its two
 * tickets (stateful ones, keyed to its session cache) and resumes them;
 * Clasp, without a server cache, sends the same stateless tickets. */
static void test_no_ticket_option(void **state)
{
    ctxs c;
    int reused;

    ctxs_new(&c);
    SSL_CTX_set_options(c.sctx, SSL_OP_NO_TICKET);
    SSL_SESSION *first = connect_once(&c, NULL, 16384, &reused);
    assert_int_equal(new_sessions, 2);
    SSL_SESSION *second = connect_once(&c, first, 16384, &reused);
    assert_true(reused);
    SSL_SESSION_free(second);
    SSL_SESSION_free(first);
    ctxs_free(&c);
}

/* Without SSL_SESS_CACHE_CLIENT the callback is not called; the session still resumes. */
static void test_no_client_cache_mode(void **state)
{
    ctxs c;
    int reused;

    ctxs_new(&c);
    SSL_CTX_set_session_cache_mode(c.cctx, SSL_SESS_CACHE_OFF);
    SSL_SESSION *first = connect_once(&c, NULL, 16384, &reused);
    assert_int_equal(new_sessions, 0);
    SSL_SESSION *second = connect_once(&c, first, 16384, &reused);
    assert_true(reused);
    SSL_SESSION_free(second);
    SSL_SESSION_free(first);
    ctxs_free(&c);
}

/* A session of another server's key: a full handshake, not an error. */
/* OpenSSL (ssl_clear_bad_session): freeing a connection that did not send
 * close_notify makes its session non-resumable. */
static void test_no_shutdown_spoils_session(void **state)
{
    ctxs c;
    clasp_test_link link;

    ctxs_new(&c);
    assert_true(clasp_test_link_trickle(&link, c.cctx, c.sctx, 16384, 0));
    assert_true(clasp_test_handshake(&link));
    assert_true(clasp_test_transfer(&link, 0, 100));
    SSL_SESSION *sess = SSL_get1_session(link.client);
    assert_int_equal(SSL_SESSION_is_resumable(sess), 1);
    clasp_test_link_free(&link);
    assert_int_equal(SSL_SESSION_is_resumable(sess), 0);
    SSL_SESSION_free(sess);
    ctxs_free(&c);
}

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
        cmocka_unit_test(test_resume_after_hrr),
        cmocka_unit_test(test_num_tickets_zero),
        cmocka_unit_test(test_no_client_cache_mode),
        cmocka_unit_test(test_no_ticket_option),
        cmocka_unit_test(test_no_shutdown_spoils_session),
        cmocka_unit_test(test_other_server_full_handshake),
    };

    return cmocka_run_group_tests(tests, clasp_test_group_setup, clasp_test_group_teardown);
}

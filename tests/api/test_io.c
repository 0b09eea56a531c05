/*
 * I/O semantics of the OpenSSL API over TLS 1.3: state getters, SSL_get_error for every
 * outcome (WANT_READ, WANT_WRITE, ZERO_RETURN, SYSCALL, SSL), handshakes started by SSL_read /
 * SSL_write / SSL_connect / SSL_accept, SSL_set_fd, pending data and SSL_peek, key updates,
 * unexpected EOF and the shutdown sequence.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers/testutil.h"

/* ---- fixture: P-256 server, verifying client -------------------------------------------- */

typedef struct {
    SSL_CTX *cctx, *sctx;
    clasp_test_link link;
} fixture;

static void fixture_init(fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->sctx = clasp_test_server_ctx(CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_GOOD);
    f->cctx = clasp_test_client_ctx();
    assert_non_null(f->sctx);
    assert_non_null(f->cctx);
}

/* A linked, handshaken pair over a 16 KiB BIO pair. */
static void fixture_ready(fixture *f)
{
    fixture_init(f);
    assert_true(clasp_test_link_pair(&f->link, f->cctx, f->sctx, 16384));
    assert_true(clasp_test_handshake(&f->link));
}

/* The same over the trickle transport (whole pieces), capturing the bytes. */
static void fixture_ready_trickle(fixture *f)
{
    fixture_init(f);
    assert_true(clasp_test_link_trickle(&f->link, f->cctx, f->sctx, 65536, 0));
    f->link.capture = 1;
    assert_true(clasp_test_handshake(&f->link));
}

static void fixture_free(fixture *f)
{
    clasp_test_link_free(&f->link);
    SSL_CTX_free(f->cctx);
    SSL_CTX_free(f->sctx);
}

/*
 * Asserts that the last call returned `want_ret` and failed with SSL_ERROR_SSL, leaving one
 * error, ERR_LIB_SSL + `reason`, which it takes off the queue.
 */
static void assert_ssl_failure(SSL *ssl, int ret, int want_ret, int reason)
{
    assert_int_equal(ret, want_ret);
    assert_int_equal(SSL_get_error(ssl, ret), SSL_ERROR_SSL);
    unsigned long e = ERR_get_error();
    assert_int_equal(ERR_GET_LIB(e), ERR_LIB_SSL);
    assert_int_equal(ERR_GET_REASON(e), reason);
    assert_int_equal(ERR_peek_error(), 0); /* exactly one error */
}

/* ---- state getters ---------------------------------------------------------------------- */

static void test_state_before_handshake(void **state)
{
    fixture f;
    fixture_init(&f);
    SSL *client = SSL_new(f.cctx);
    SSL *server = SSL_new(f.sctx);
    assert_non_null(client);
    assert_non_null(server);
    assert_int_equal(SSL_in_before(client), 1);
    assert_int_equal(SSL_in_init(client), 1);
    assert_int_equal(SSL_is_init_finished(client), 0);
    assert_string_equal(SSL_state_string_long(client), "before SSL initialization");
    /* The role comes from the method until a state is set explicitly. */
    assert_int_equal(SSL_is_server(client), 0);
    assert_int_equal(SSL_is_server(server), 1);
    SSL_set_accept_state(client);
    assert_int_equal(SSL_is_server(client), 1);
    SSL_set_connect_state(client);
    assert_int_equal(SSL_is_server(client), 0);
    assert_null(SSL_get_current_cipher(client));
    SSL_free(client);
    SSL_free(server);

    /* TLS_method serves both roles; OpenSSL reports such an SSL as a server. */
    SSL_CTX *generic = SSL_CTX_new(TLS_method());
    assert_non_null(generic);
    SSL *ssl = SSL_new(generic);
    assert_non_null(ssl);
    assert_int_equal(SSL_is_server(ssl), 1);
    SSL_free(ssl);
    SSL_CTX_free(generic);
    fixture_free(&f);
}

static void assert_finished_state(SSL *ssl)
{
    assert_int_equal(SSL_in_before(ssl), 0);
    assert_int_equal(SSL_in_init(ssl), 0);
    assert_int_equal(SSL_is_init_finished(ssl), 1);
    assert_string_equal(SSL_state_string_long(ssl), "SSL negotiation finished successfully");
}

static void test_state_during_and_after(void **state)
{
    fixture f;
    fixture_init(&f);
    assert_true(clasp_test_link_pair(&f.link, f.cctx, f.sctx, 16384));
    ERR_clear_error();
    int r = SSL_do_handshake(f.link.client);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(f.link.client, r), SSL_ERROR_WANT_READ);
    assert_int_equal(SSL_in_before(f.link.client), 0);
    assert_int_equal(SSL_in_init(f.link.client), 1);
    assert_int_equal(SSL_is_init_finished(f.link.client), 0);
    assert_true(strlen(SSL_state_string_long(f.link.client)) > 0);
    assert_true(clasp_test_handshake(&f.link));
    assert_finished_state(f.link.client);
    assert_finished_state(f.link.server);
    assert_int_equal(SSL_is_server(f.link.client), 0);
    assert_int_equal(SSL_is_server(f.link.server), 1);
    fixture_free(&f);
}

static void test_handshake_again_returns_1(void **state)
{
    fixture f;
    fixture_ready(&f);
    uint64_t before = BIO_number_written(SSL_get_wbio(f.link.client));
    ERR_clear_error();
    assert_int_equal(SSL_do_handshake(f.link.client), 1);
    assert_int_equal(SSL_do_handshake(f.link.server), 1);
    assert_int_equal(SSL_connect(f.link.client), 1);
    assert_int_equal(SSL_accept(f.link.server), 1);
    assert_int_equal(BIO_number_written(SSL_get_wbio(f.link.client)), before);
    assert_int_equal(ERR_peek_error(), 0);
    assert_true(clasp_test_transfer(&f.link, 1, 10));
    fixture_free(&f);
}

/* ---- no connect / accept state ---------------------------------------------------------- */

static void test_no_role_set(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    assert_non_null(ctx);
    SSL *ssl = SSL_new(ctx);
    assert_non_null(ssl);
    unsigned char buf[8] = {0};
    ERR_clear_error();
    assert_ssl_failure(ssl, SSL_do_handshake(ssl), -1, SSL_R_CONNECTION_TYPE_NOT_SET);
    assert_ssl_failure(ssl, SSL_read(ssl, buf, sizeof(buf)), -1, SSL_R_UNINITIALIZED);
    assert_ssl_failure(ssl, SSL_write(ssl, buf, sizeof(buf)), -1, SSL_R_UNINITIALIZED);
    assert_ssl_failure(ssl, SSL_peek(ssl, buf, sizeof(buf)), -1, SSL_R_UNINITIALIZED);
    assert_ssl_failure(ssl, SSL_shutdown(ssl), -1, SSL_R_UNINITIALIZED);
    size_t n;
    assert_ssl_failure(ssl, SSL_read_ex(ssl, buf, sizeof(buf), &n), 0, SSL_R_UNINITIALIZED);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}

static void test_connect_accept_set_role(void **state)
{
    fixture f;
    fixture_init(&f);
    SSL *client = SSL_new(f.cctx);
    SSL *server = SSL_new(f.sctx);
    assert_true(clasp_test_link_pair_ssl(&f.link, client, server, 16384));
    clasp_test_op c = clasp_test_op_new(CLASP_TEST_OP_CONNECT);
    clasp_test_op s = clasp_test_op_new(CLASP_TEST_OP_ACCEPT);
    assert_true(clasp_test_pump(&f.link, &c, &s));
    assert_int_equal(c.first_ret, -1); /* the first call had to wait for the server */
    assert_int_equal(SSL_is_server(client), 0);
    assert_int_equal(SSL_is_server(server), 1);
    assert_true(clasp_test_transfer(&f.link, 0, 1000));
    fixture_free(&f);
}

/* ---- implicit handshakes ---------------------------------------------------------------- */

/* The first application I/O call on each side performs the handshake. */
static void implicit_case(int client_writes)
{
    fixture f;
    fixture_init(&f);
    assert_true(clasp_test_link_trickle(&f.link, f.cctx, f.sctx, 1, 0));
    assert_int_equal(SSL_set1_host(f.link.client, "localhost"), 1);
    unsigned char out[3000], in[3000];
    clasp_test_fill(out, sizeof(out), 3);
    clasp_test_op w = clasp_test_op_write(out, sizeof(out));
    clasp_test_op r = clasp_test_op_read(in, sizeof(in));
    int ok = client_writes ? clasp_test_pump(&f.link, &w, &r) : clasp_test_pump(&f.link, &r, &w);
    assert_true(ok);
    assert_memory_equal(in, out, sizeof(out));
    assert_int_equal(SSL_is_init_finished(f.link.client), 1);
    assert_int_equal(SSL_is_init_finished(f.link.server), 1);
    assert_int_equal(SSL_get_verify_result(f.link.client), X509_V_OK);
    fixture_free(&f);
}

static void test_implicit_handshake_client_writes(void **state)
{
    implicit_case(1);
}

static void test_implicit_handshake_server_writes(void **state)
{
    implicit_case(0);
}

static void test_implicit_handshake_by_peek(void **state)
{
    fixture f;
    fixture_init(&f);
    assert_true(clasp_test_link_pair(&f.link, f.cctx, f.sctx, 16384));
    /* The client only peeks (and so handshakes); the server handshakes, then writes. */
    unsigned char byte = 0;
    size_t n = 0;
    int server_done = 0, peeked = 0;
    for (int round = 0; round < 50 && !peeked; round++) {
        ERR_clear_error();
        if (SSL_peek_ex(f.link.client, &byte, 1, &n) == 1) {
            peeked = 1;
            break;
        }
        assert_int_equal(SSL_get_error(f.link.client, 0), SSL_ERROR_WANT_READ);
        if (!server_done && SSL_do_handshake(f.link.server) == 1) {
            server_done = 1;
            assert_int_equal(SSL_write(f.link.server, "x", 1), 1);
        }
    }
    assert_true(peeked);
    assert_int_equal(n, 1);
    assert_int_equal(byte, 'x');
    assert_int_equal(SSL_is_init_finished(f.link.client), 1);
    /* Peeked, not consumed. */
    assert_int_equal(SSL_read(f.link.client, &byte, 1), 1);
    assert_int_equal(byte, 'x');
    fixture_free(&f);
}

/* ---- SSL_get_error ---------------------------------------------------------------------- */

static void test_error_none(void **state)
{
    fixture f;
    fixture_ready(&f);
    ERR_clear_error();
    int r = SSL_write(f.link.client, "abc", 3);
    assert_int_equal(r, 3);
    assert_int_equal(SSL_get_error(f.link.client, r), SSL_ERROR_NONE);
    assert_int_equal(SSL_want(f.link.client), SSL_NOTHING);
    assert_true(SSL_want_nothing(f.link.client));
    fixture_free(&f);
}

static void test_error_want_read(void **state)
{
    fixture f;
    fixture_init(&f);
    assert_true(clasp_test_link_pair(&f.link, f.cctx, f.sctx, 16384));
    ERR_clear_error();
    int r = SSL_do_handshake(f.link.client);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(f.link.client, r), SSL_ERROR_WANT_READ);
    assert_true(SSL_want_read(f.link.client));
    assert_false(SSL_want_write(f.link.client));
    assert_int_equal(SSL_want(f.link.client), SSL_READING);
    assert_int_equal(ERR_peek_error(), 0);
    /* A server with nothing to read yet: the same. */
    clasp_test_link_free(&f.link);
    assert_true(clasp_test_link_pair(&f.link, f.cctx, f.sctx, 16384));
    r = SSL_do_handshake(f.link.server);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(f.link.server, r), SSL_ERROR_WANT_READ);
    /* After the handshake, a read with no data. */
    assert_true(clasp_test_handshake(&f.link));
    unsigned char buf[16];
    size_t n;
    ERR_clear_error();
    assert_int_equal(SSL_read_ex(f.link.server, buf, sizeof(buf), &n), 0);
    assert_int_equal(SSL_get_error(f.link.server, 0), SSL_ERROR_WANT_READ);
    assert_int_equal(ERR_peek_error(), 0);
    fixture_free(&f);
}

static void test_error_want_write(void **state)
{
    fixture f;
    fixture_init(&f);
    /* A one-byte pair: the ClientHello cannot be written in one go. */
    assert_true(clasp_test_link_pair(&f.link, f.cctx, f.sctx, 1));
    ERR_clear_error();
    int r = SSL_do_handshake(f.link.client);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(f.link.client, r), SSL_ERROR_WANT_WRITE);
    assert_true(SSL_want_write(f.link.client));
    assert_int_equal(SSL_want(f.link.client), SSL_WRITING);
    assert_int_equal(ERR_peek_error(), 0);
    clasp_test_link_free(&f.link);

    /* After the handshake, a write larger than the pair can hold. */
    assert_true(clasp_test_link_pair(&f.link, f.cctx, f.sctx, 4096));
    assert_true(clasp_test_handshake(&f.link));
    static unsigned char data[20000];
    size_t n;
    assert_int_equal(SSL_write_ex(f.link.client, data, sizeof(data), &n), 0);
    assert_int_equal(SSL_get_error(f.link.client, 0), SSL_ERROR_WANT_WRITE);
    /* Retrying with the same arguments while the peer reads completes the write. */
    static unsigned char got[20000];
    clasp_test_op w = clasp_test_op_write(data, sizeof(data));
    clasp_test_op rd = clasp_test_op_read(got, sizeof(got));
    assert_true(clasp_test_pump(&f.link, &w, &rd));
    assert_memory_equal(got, data, sizeof(data));
    fixture_free(&f);
}

static void test_error_zero_return(void **state)
{
    fixture f;
    fixture_ready(&f);
    ERR_clear_error();
    assert_int_equal(SSL_shutdown(f.link.client), 0);
    unsigned char buf[16];
    size_t n;
    for (int i = 0; i < 2; i++) {
        int r = SSL_read(f.link.server, buf, sizeof(buf));
        assert_int_equal(r, 0);
        assert_int_equal(SSL_get_error(f.link.server, r), SSL_ERROR_ZERO_RETURN);
        assert_int_equal(SSL_read_ex(f.link.server, buf, sizeof(buf), &n), 0);
        assert_int_equal(SSL_get_error(f.link.server, 0), SSL_ERROR_ZERO_RETURN);
        assert_int_equal(ERR_peek_error(), 0);
    }
    fixture_free(&f);
}

/* SSL_set_fd over a socketpair: the pieces of SSL_ERROR_SYSCALL's tests. */
static int make_socketpair(int fds[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
        return 0;
    }
    return fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0 && fcntl(fds[1], F_SETFL, O_NONBLOCK) == 0;
}

static void test_set_fd_handshake(void **state)
{
    fixture f;
    fixture_init(&f);
    int fds[2];
    assert_true(make_socketpair(fds));
    SSL *client = SSL_new(f.cctx);
    SSL *server = SSL_new(f.sctx);
    assert_int_equal(SSL_set_fd(client, fds[0]), 1);
    assert_int_equal(SSL_set_fd(server, fds[1]), 1);
    SSL_set_connect_state(client);
    SSL_set_accept_state(server);
    assert_true(clasp_test_link_external(&f.link, client, server));
    assert_int_equal(SSL_set1_host(client, "localhost"), 1);
    assert_true(clasp_test_handshake(&f.link));
    assert_int_equal(SSL_get_verify_result(client), X509_V_OK);
    assert_true(clasp_test_transfer(&f.link, 1, 50000));
    assert_true(clasp_test_transfer(&f.link, 0, 50000));
    fixture_free(&f); /* SSL_set_fd's socket BIOs do not close the descriptors */
    close(fds[0]);
    close(fds[1]);
}

static void test_error_syscall(void **state)
{
    fixture f;
    fixture_init(&f);
    int fds[2];
    assert_true(make_socketpair(fds));
    close(fds[1]);
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    SSL *client = SSL_new(f.cctx);
    assert_int_equal(SSL_set_fd(client, fds[0]), 1);
    ERR_clear_error();
    errno = 0;
    int r = SSL_connect(client);
    int saved_errno = errno;
    assert_int_equal(r, -1);
    /* The write of the ClientHello failed at the system level, not in TLS. */
    assert_int_equal(SSL_get_error(client, r), SSL_ERROR_SYSCALL);
    assert_int_equal(saved_errno, EPIPE);
    ERR_clear_error();
    SSL_free(client);
    signal(SIGPIPE, old);
    close(fds[0]);
    fixture_free(&f);
}

static void test_error_ssl_sticky(void **state)
{
    /* After a fatal error, later calls fail again and do not return a retry. */
    fixture f;
    fixture_init(&f);
    SSL_CTX_free(f.sctx);
    f.sctx = clasp_test_server_ctx(CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_EXPIRED);
    assert_true(clasp_test_link_pair(&f.link, f.cctx, f.sctx, 16384));
    clasp_test_op c = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    clasp_test_op s = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    assert_false(clasp_test_pump(&f.link, &c, &s));
    assert_op_failed_with(&c, SSL_R_CERTIFICATE_VERIFY_FAILED);
    /*
     * OpenSSL 3.0 pushes no new error for these later calls, so SSL_get_error says
     * SSL_ERROR_SYSCALL; a library that repeats the original error says SSL_ERROR_SSL. Either
     * is fatal; what must not happen is a retry, success or a clean close.
     */
    unsigned char buf[4];
    for (int i = 0; i < 3; i++) {
        ERR_clear_error();
        int r = i == 0 ? SSL_do_handshake(f.link.client)
                : i == 1 ? SSL_write(f.link.client, "x", 1)
                         : SSL_read(f.link.client, buf, sizeof(buf));
        assert_int_equal(r, -1);
        int err = SSL_get_error(f.link.client, r);
        assert_true(err == SSL_ERROR_SSL || err == SSL_ERROR_SYSCALL);
    }
    ERR_clear_error();
    fixture_free(&f);
}

/* ---- unexpected EOF --------------------------------------------------------------------- */

static void eof_case(int ignore_eof)
{
    fixture f;
    fixture_ready_trickle(&f);
    if (ignore_eof) {
        SSL_set_options(f.link.client, SSL_OP_IGNORE_UNEXPECTED_EOF);
    }
    /* The transport ends without close_notify: an empty read BIO now reports EOF. */
    BIO_set_mem_eof_return(f.link.client_in, 0);
    unsigned char buf[16];
    size_t n;
    ERR_clear_error();
    assert_int_equal(SSL_read_ex(f.link.client, buf, sizeof(buf), &n), 0);
    if (ignore_eof) {
        assert_int_equal(SSL_get_error(f.link.client, 0), SSL_ERROR_ZERO_RETURN);
        assert_int_equal(ERR_peek_error(), 0);
    } else {
        /* OpenSSL 3: a truncation is an SSL error, no longer SSL_ERROR_SYSCALL. */
        assert_ssl_failure(f.link.client, 0, 0, SSL_R_UNEXPECTED_EOF_WHILE_READING);
    }
    fixture_free(&f);
}

static void test_unexpected_eof(void **state)
{
    eof_case(0);
}

static void test_unexpected_eof_ignored(void **state)
{
    eof_case(1);
}

static void test_eof_during_handshake(void **state)
{
    fixture f;
    fixture_init(&f);
    assert_true(clasp_test_link_trickle(&f.link, f.cctx, f.sctx, 65536, 0));
    BIO_set_mem_eof_return(f.link.client_in, 0);
    ERR_clear_error();
    int r = SSL_do_handshake(f.link.client);
    assert_ssl_failure(f.link.client, r, -1, SSL_R_UNEXPECTED_EOF_WHILE_READING);
    fixture_free(&f);
}

/* ---- pending and peek ------------------------------------------------------------------- */

static void test_pending_and_peek(void **state)
{
    fixture f;
    fixture_ready(&f);
    unsigned char data[1000], buf[1000];
    clasp_test_fill(data, sizeof(data), 9);
    assert_int_equal(SSL_write(f.link.server, data, sizeof(data)), (int)sizeof(data));
    /* Nothing has been read from the transport yet. */
    assert_int_equal(SSL_pending(f.link.client), 0);
    assert_int_equal(SSL_has_pending(f.link.client), 0);

    size_t n = 0;
    ERR_clear_error();
    assert_int_equal(SSL_peek_ex(f.link.client, buf, 10, &n), 1);
    assert_int_equal(n, 10);
    assert_memory_equal(buf, data, 10);
    /* Peeking consumes nothing: the whole record is pending. */
    assert_int_equal(SSL_pending(f.link.client), 1000);
    assert_int_equal(SSL_has_pending(f.link.client), 1);
    assert_int_equal(SSL_peek(f.link.client, buf, 20), 20);
    assert_memory_equal(buf, data, 20);

    assert_int_equal(SSL_read_ex(f.link.client, buf, 10, &n), 1);
    assert_int_equal(n, 10);
    assert_memory_equal(buf, data, 10);
    assert_int_equal(SSL_pending(f.link.client), 990);
    assert_int_equal(SSL_has_pending(f.link.client), 1);

    /* A read stops at the end of the record's data. */
    assert_int_equal(SSL_read(f.link.client, buf, sizeof(buf)), 990);
    assert_memory_equal(buf, data + 10, 990);
    assert_int_equal(SSL_pending(f.link.client), 0);
    assert_int_equal(SSL_has_pending(f.link.client), 0);
    assert_int_equal(SSL_read(f.link.client, buf, sizeof(buf)), -1);
    assert_int_equal(SSL_get_error(f.link.client, -1), SSL_ERROR_WANT_READ);
    fixture_free(&f);
}

/* ---- key update ------------------------------------------------------------------------- */

/* Exchanges `len` bytes each way and checks they arrive. */
static void exchange(clasp_test_link *link, size_t len)
{
    assert_true(clasp_test_transfer(link, 1, len));
    assert_true(clasp_test_transfer(link, 0, len));
}

static void key_update_case(int type)
{
    fixture f;
    fixture_ready_trickle(&f);
    exchange(&f.link, 100);
    size_t c2s_mark = f.link.c2s.len, s2c_mark = f.link.s2c.len;
    ERR_clear_error();
    assert_int_equal(SSL_key_update(f.link.client, type), 1);
    /* SSL_do_handshake sends the KeyUpdate at once. */
    assert_int_equal(SSL_do_handshake(f.link.client), 1);
    clasp_test_op idle1 = clasp_test_op_new(CLASP_TEST_OP_IDLE);
    clasp_test_op idle2 = clasp_test_op_new(CLASP_TEST_OP_IDLE);
    assert_true(clasp_test_pump(&f.link, &idle1, &idle2)); /* moves nothing: both idle */
    clasp_test_op w = clasp_test_op_write("ping", 4);
    unsigned char buf[4];
    clasp_test_op r = clasp_test_op_read(buf, 4);
    assert_true(clasp_test_pump(&f.link, &w, &r));
    assert_memory_equal(buf, "ping", 4);
    /* The KeyUpdate and the data: two protected records (RFC 9846 §4.7.3). */
    assert_int_equal(clasp_test_count_records(&f.link.c2s, c2s_mark, 23), 2);

    /* The server answers a requested update with its own before its next data. */
    w = clasp_test_op_write("pong", 4);
    r = clasp_test_op_read(buf, 4);
    assert_true(clasp_test_pump(&f.link, &r, &w));
    assert_memory_equal(buf, "pong", 4);
    assert_int_equal(clasp_test_count_records(&f.link.s2c, s2c_mark, 23),
                     type == SSL_KEY_UPDATE_REQUESTED ? 2 : 1);
    /* New keys on both sides in both directions: data still flows, repeatedly. */
    exchange(&f.link, 20000);
    assert_int_equal(SSL_key_update(f.link.server, type), 1);
    exchange(&f.link, 20000);
    assert_int_equal(SSL_key_update(f.link.client, type), 1);
    assert_int_equal(SSL_key_update(f.link.server, type), 1);
    exchange(&f.link, 100);
    assert_int_equal(ERR_peek_error(), 0);
    fixture_free(&f);
}

static void test_key_update_not_requested(void **state)
{
    key_update_case(SSL_KEY_UPDATE_NOT_REQUESTED);
}

static void test_key_update_requested(void **state)
{
    key_update_case(SSL_KEY_UPDATE_REQUESTED);
}

static void test_key_update_errors(void **state)
{
    fixture f;
    fixture_init(&f);
    assert_true(clasp_test_link_pair(&f.link, f.cctx, f.sctx, 16384));
    ERR_clear_error();
    /* Before the handshake no version has been negotiated. */
    assert_int_equal(SSL_key_update(f.link.client, SSL_KEY_UPDATE_REQUESTED), 0);
    assert_int_equal(ERR_GET_REASON(ERR_get_error()), SSL_R_WRONG_SSL_VERSION);
    assert_true(clasp_test_handshake(&f.link));
    ERR_clear_error();
    assert_int_equal(SSL_key_update(f.link.client, 7), 0);
    assert_int_equal(ERR_GET_REASON(ERR_get_error()), SSL_R_INVALID_KEY_UPDATE_TYPE);
    exchange(&f.link, 100);
    fixture_free(&f);
}

/* ---- shutdown --------------------------------------------------------------------------- */

static void test_shutdown_sequence(void **state)
{
    fixture f;
    fixture_ready(&f);
    SSL *c = f.link.client, *s = f.link.server;
    assert_int_equal(SSL_get_shutdown(c), 0);
    ERR_clear_error();
    /* 0: close_notify sent, the peer's not yet received. */
    assert_int_equal(SSL_shutdown(c), 0);
    assert_int_equal(SSL_get_shutdown(c), SSL_SENT_SHUTDOWN);
    /* Called again before the peer answered: wait for it. */
    int r = SSL_shutdown(c);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(c, r), SSL_ERROR_WANT_READ);

    unsigned char buf[16];
    r = SSL_read(s, buf, sizeof(buf));
    assert_int_equal(r, 0);
    assert_int_equal(SSL_get_error(s, r), SSL_ERROR_ZERO_RETURN);
    assert_int_equal(SSL_get_shutdown(s), SSL_RECEIVED_SHUTDOWN);

    /* RFC 9846 §6.1: closing one direction leaves the other open (half-close). */
    assert_int_equal(SSL_write(s, "late", 4), 4);
    assert_int_equal(SSL_read(c, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "late", 4);

    /* 1: the server had already received close_notify; it now sends its own. */
    assert_int_equal(SSL_shutdown(s), 1);
    assert_int_equal(SSL_get_shutdown(s), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    assert_int_equal(SSL_shutdown(c), 1);
    assert_int_equal(SSL_get_shutdown(c), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    assert_int_equal(SSL_shutdown(c), 1);
    assert_int_equal(ERR_peek_error(), 0);

    /* Writing after close_notify is refused; reading reports the closure again. */
    assert_ssl_failure(c, SSL_write(c, "x", 1), -1, SSL_R_PROTOCOL_IS_SHUTDOWN);
    r = SSL_read(c, buf, sizeof(buf));
    assert_int_equal(r, 0);
    assert_int_equal(SSL_get_error(c, r), SSL_ERROR_ZERO_RETURN);
    fixture_free(&f);
}

static void test_shutdown_pumped(void **state)
{
    /* Both sides call SSL_shutdown at once, through the one-byte trickle. */
    fixture f;
    fixture_init(&f);
    assert_true(clasp_test_link_trickle(&f.link, f.cctx, f.sctx, 1, 0));
    assert_true(clasp_test_handshake(&f.link));
    clasp_test_op c = clasp_test_op_new(CLASP_TEST_OP_SHUTDOWN);
    clasp_test_op s = clasp_test_op_new(CLASP_TEST_OP_SHUTDOWN);
    assert_true(clasp_test_pump(&f.link, &c, &s));
    assert_int_equal(c.first_ret, 0);
    assert_int_equal(s.first_ret, 0);
    assert_int_equal(SSL_get_shutdown(f.link.client), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    assert_int_equal(SSL_get_shutdown(f.link.server), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    fixture_free(&f);
}

static void test_shutdown_reads_to_eof(void **state)
{
    /* The server reads data then close_notify with SSL_ERROR_ZERO_RETURN. */
    fixture f;
    fixture_ready(&f);
    assert_int_equal(SSL_write(f.link.client, "bye", 3), 3);
    assert_int_equal(SSL_shutdown(f.link.client), 0);
    unsigned char buf[16];
    clasp_test_op r = clasp_test_op_new(CLASP_TEST_OP_READ_EOF);
    r.rbuf = buf;
    r.len = sizeof(buf);
    clasp_test_op idle = clasp_test_op_new(CLASP_TEST_OP_IDLE);
    assert_true(clasp_test_pump(&f.link, &idle, &r));
    assert_int_equal(r.done, 3);
    assert_memory_equal(buf, "bye", 3);
    assert_int_equal(r.err, SSL_ERROR_ZERO_RETURN);
    fixture_free(&f);
}

static void test_set_shutdown_quiet(void **state)
{
    fixture f;
    fixture_ready(&f);
    SSL *c = f.link.client;
    uint64_t before = BIO_number_written(SSL_get_wbio(c));
    SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    assert_int_equal(SSL_get_shutdown(c), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    ERR_clear_error();
    /* Nothing left to do: success, and no close_notify is written. */
    assert_int_equal(SSL_shutdown(c), 1);
    assert_int_equal(BIO_number_written(SSL_get_wbio(c)), before);
    assert_int_equal(ERR_peek_error(), 0);
    fixture_free(&f);
}

static void test_shutdown_in_init(void **state)
{
    fixture f;
    fixture_init(&f);
    assert_true(clasp_test_link_pair(&f.link, f.cctx, f.sctx, 16384));
    ERR_clear_error();
    assert_ssl_failure(f.link.client, SSL_shutdown(f.link.client), -1,
                       SSL_R_SHUTDOWN_WHILE_IN_INIT);
    fixture_free(&f);
}

/* ---- BIO getters ------------------------------------------------------------------------ */

static void test_bio_getters(void **state)
{
    fixture f;
    fixture_init(&f);
    assert_true(clasp_test_link_trickle(&f.link, f.cctx, f.sctx, 1, 0));
    assert_ptr_equal(SSL_get_rbio(f.link.client), f.link.client_in);
    assert_ptr_equal(SSL_get_wbio(f.link.client), f.link.client_out);
    assert_true(clasp_test_handshake(&f.link));
    /* Still the application's BIOs after the handshake (no buffering BIO shows through). */
    assert_ptr_equal(SSL_get_rbio(f.link.client), f.link.client_in);
    assert_ptr_equal(SSL_get_wbio(f.link.client), f.link.client_out);
    assert_ptr_equal(SSL_get_wbio(f.link.server), f.link.server_out);
    clasp_test_link_free(&f.link);

    assert_true(clasp_test_link_pair(&f.link, f.cctx, f.sctx, 100));
    assert_ptr_equal(SSL_get_rbio(f.link.client), f.link.client_end);
    assert_ptr_equal(SSL_get_wbio(f.link.client), f.link.client_end);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_before_handshake),
        cmocka_unit_test(test_state_during_and_after),
        cmocka_unit_test(test_handshake_again_returns_1),
        cmocka_unit_test(test_no_role_set),
        cmocka_unit_test(test_connect_accept_set_role),
        cmocka_unit_test(test_implicit_handshake_client_writes),
        cmocka_unit_test(test_implicit_handshake_server_writes),
        cmocka_unit_test(test_implicit_handshake_by_peek),
        cmocka_unit_test(test_error_none),
        cmocka_unit_test(test_error_want_read),
        cmocka_unit_test(test_error_want_write),
        cmocka_unit_test(test_error_zero_return),
        cmocka_unit_test(test_set_fd_handshake),
        cmocka_unit_test(test_error_syscall),
        cmocka_unit_test(test_error_ssl_sticky),
        cmocka_unit_test(test_unexpected_eof),
        cmocka_unit_test(test_unexpected_eof_ignored),
        cmocka_unit_test(test_eof_during_handshake),
        cmocka_unit_test(test_pending_and_peek),
        cmocka_unit_test(test_key_update_not_requested),
        cmocka_unit_test(test_key_update_requested),
        cmocka_unit_test(test_key_update_errors),
        cmocka_unit_test(test_shutdown_sequence),
        cmocka_unit_test(test_shutdown_pumped),
        cmocka_unit_test(test_shutdown_reads_to_eof),
        cmocka_unit_test(test_set_shutdown_quiet),
        cmocka_unit_test(test_shutdown_in_init),
        cmocka_unit_test(test_bio_getters),
    };
    return cmocka_run_group_tests(tests, clasp_test_group_setup, clasp_test_group_teardown);
}

/*
 * Issue #3, writes that cannot complete. A write BIO that takes fewer bytes than offered
 * (helpers/probe_bio.h: at most N bytes per BIO_write, and a byte credit after which it asks
 * for a retry):
 *
 *  - SSL_do_handshake and SSL_write return -1 / SSL_ERROR_WANT_WRITE, write exactly what the
 *    BIO took, and resume with nothing lost (the contract runner over the pumped transports,
 *    with the same transcript as an unlimited run);
 *  - short BIO writes without a retry are the SSL's business: SSL_write still returns once,
 *    with everything written;
 *  - SSL_MODE_ENABLE_PARTIAL_WRITE: SSL_write reports each record once it is out;
 *  - a retried SSL_write must repeat its arguments: another buffer fails with
 *    SSL_R_BAD_WRITE_RETRY unless SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, a shorter length than
 *    what is already in records with SSL_R_BAD_LENGTH (OpenSSL 3.0's checks), and the
 *    connection has then failed for good.
 *
 * Each test runs for TLS 1.3 and TLS 1.2; the TLS 1.2 ones are skipped (issue #4) while the
 * library under test cannot do a TLS 1.2 handshake.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/contract.h"
#include "helpers/memlink.h"
#include "helpers/testutil.h"

static const int tls13 = TLS1_3_VERSION, tls12 = TLS1_2_VERSION;

static int version_of(void **state)
{
    int v = *(const int *)*state;
    if (!clasp_ct_version_supported(v)) {
        print_message("%s: not supported by the library under test (TLS 1.2 is issue #4)\n",
                      clasp_ct_version_name(v));
        skip();
    }
    return v;
}

/* ---- through the contract runner --------------------------------------------------------- */

static const clasp_ct_step hs_data_c[] = {
    CT_HS, CT_EXPECT_DONE, CT_WRITE(40000), CT_READ(40000), CT_SHUTDOWN(0), CT_SHUTDOWN(1), CT_END};
static const clasp_ct_step hs_data_s[] = {
    CT_HS, CT_EXPECT_DONE, CT_READ(40000), CT_WRITE(40000), CT_READ_EOF, CT_SHUTDOWN(1), CT_END};

/* What the current test holds: file scope, so that the teardown frees it after a failure. */
static clasp_ct_run ref, run;
static clasp_ml l;

static int free_live(void **state)
{
    (void)state;
    clasp_ct_run_free(&ref);
    clasp_ct_run_free(&run);
    clasp_ml_free(&l);
    return 0;
}

static int limited_run(clasp_ct_run *run, int version, clasp_ct_transport t, size_t per_call,
                       long credit)
{
    SSL_CTX *sctx = clasp_ct_server_ctx(version, CLASP_TEST_KEY_ED25519, 0);
    SSL_CTX *cctx = clasp_ct_client_ctx(version, 0);
    assert_non_null(sctx);
    assert_non_null(cctx);
    clasp_ct_config cfg = {.transport = t,
                           .version = version,
                           .cctx = cctx,
                           .sctx = sctx,
                           .seed = 99,
                           .write_per_call = per_call,
                           .credit_per_round = credit};
    int ok = clasp_ct_run_steps(run, &cfg, hs_data_c, hs_data_s);
    if (!ok) {
        clasp_ct_run_print(run);
    }
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    return ok;
}

/*
 * Both sides write through BIOs that take `per_call` bytes per call and `credit` per pump
 * round: every flight and record is cut, the SSL says WANT_WRITE, and the transcript is that
 * of the unlimited run.
 */
static void budget_case(int version, clasp_ct_transport t, size_t per_call, long credit)
{
    assert_true(limited_run(&ref, version, CLASP_CT_PAIR_16K, 0, 0));
    assert_true(limited_run(&run, version, t, per_call, credit));
    assert_true(run.client.want_write > 0);
    assert_true(run.server.want_write > 0);
    /* Nothing was lost or reordered: the same messages and records as without limits. */
    assert_true(
        clasp_ct_transcripts_equal("client", &ref.client.transcript, &run.client.transcript));
    assert_true(
        clasp_ct_transcripts_equal("server", &ref.server.transcript, &run.server.transcript));
    assert_true(clasp_ct_wires_equal("client to server", &ref.c2s, &run.c2s, 0));
    assert_true(clasp_ct_wires_equal("server to client", &ref.s2c, &run.s2c, 1));
    clasp_ct_run_free(&ref);
    clasp_ct_run_free(&run);
}

static void test_budget_7_per_call_50_per_round(void **state)
{
    budget_case(version_of(state), CLASP_CT_TRICKLE_RANDOM, 7, 50);
}

static void test_budget_1000_per_call_3000_per_round(void **state)
{
    budget_case(version_of(state), CLASP_CT_PAIR_16K, 1000, 3000);
}

static void test_budget_1_per_round(void **state)
{
    /* One byte of credit per round: every single byte of every flight is a resume point. */
    budget_case(version_of(state), CLASP_CT_TRICKLE_1, 0, 1);
}

/* Short writes the BIO does not ask to retry: the SSL continues them within the same call. */
static void test_short_writes_without_retry(void **state)
{
    int version = version_of(state);
    assert_true(limited_run(&run, version, CLASP_CT_TRICKLE_RANDOM, 1, 0));
    assert_int_equal(run.client.want_write, 0);
    assert_int_equal(run.server.want_write, 0);
    /* One BIO_write per byte: at least the 40000 bytes of data went out one at a time. */
    assert_true(run.client.io.writes >= 40000);
    assert_true(run.server.io.writes >= 40000);
    clasp_ct_run_free(&run);
}

/* ---- by hand ----------------------------------------------------------------------------- */

typedef clasp_ml wlink;

static void wlink_init(wlink *l, int version)
{
    assert_true(clasp_ml_init(l, version, CLASP_TEST_KEY_P256, 0));
}

static void wlink_handshake(wlink *l)
{
    assert_true(clasp_ml_handshake(l));
}

static size_t move(wlink *l)
{
    return clasp_ml_move(l);
}

static void wlink_free(wlink *l)
{
    clasp_ml_free(l);
}

/* Asserts -1 and SSL_ERROR_WANT_WRITE with an empty error queue. */
static void assert_want_write(SSL *ssl, int r)
{
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(ssl, r), SSL_ERROR_WANT_WRITE);
    assert_int_equal(ERR_peek_error(), 0);
}

/* Asserts -1, SSL_ERROR_SSL and exactly one error, ERR_LIB_SSL + reason (taken off). */
static void assert_ssl_error(SSL *ssl, int r, int reason)
{
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(ssl, r), SSL_ERROR_SSL);
    unsigned long e = ERR_get_error();
    assert_int_equal(ERR_GET_LIB(e), ERR_LIB_SSL);
    assert_int_equal(ERR_GET_REASON(e), reason);
    assert_int_equal(ERR_peek_error(), 0);
}

/* Reads `len` bytes at the server and compares them with `want`. */
static void server_reads(wlink *l, const unsigned char *want, size_t len)
{
    unsigned char *got = malloc(len);
    size_t have = 0;
    assert_non_null(got);
    for (int i = 0; i < 1000 && have < len; i++) {
        move(l);
        ERR_clear_error();
        int r = SSL_read(l->s, got + have, (int)(len - have));
        if (r > 0) {
            have += (size_t)r;
        } else {
            assert_int_equal(SSL_get_error(l->s, r), SSL_ERROR_WANT_READ);
        }
    }
    assert_int_equal(have, len);
    assert_memory_equal(got, want, len);
    free(got);
}

static unsigned char *pattern_buf(size_t len, uint32_t seed)
{
    unsigned char *p = malloc(len);
    assert_non_null(p);
    clasp_test_fill(p, len, seed);
    return p;
}

/* The client's very first call: it writes what the BIO takes, then asks to be called again. */
static void test_handshake_want_write(void **state)
{
    wlink_init(&l, version_of(state));
    l.cio.write_credit = 10;
    ERR_clear_error();
    assert_want_write(l.c, SSL_do_handshake(l.c));
    assert_int_equal(l.cio.bytes_written, 10);
    assert_true(SSL_want_write(l.c));
    /* Again without room: nothing more is written, the same answer. */
    unsigned long writes = l.cio.writes;
    assert_want_write(l.c, SSL_do_handshake(l.c));
    assert_int_equal(l.cio.bytes_written, 10);
    assert_true(l.cio.writes <= writes + 1);
    assert_int_equal(l.cio.reads, 0); /* nothing read before the ClientHello is out */
    /* Room again: the rest of the ClientHello goes out, then the client waits to read. */
    l.cio.write_credit = -1;
    int r = SSL_do_handshake(l.c);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(l.c, r), SSL_ERROR_WANT_READ);
    assert_true(l.cio.bytes_written > 10);
    wlink_handshake(&l);
    wlink_free(&l);
}

/* SSL_write through a BIO with 5000 bytes of credit per call of the test: -1 / WANT_WRITE
 * until everything is out, then the whole length once. */
static void write_with_credit(wlink *l, const unsigned char *data, size_t len, size_t *calls)
{
    int r;
    *calls = 0;
    l->cio.write_credit = 0;
    for (;;) {
        ERR_clear_error();
        r = SSL_write(l->c, data, (int)len);
        (*calls)++;
        if (r > 0) {
            break;
        }
        assert_want_write(l->c, r);
        assert_true(*calls < 100);
        l->cio.write_credit = 5000;
    }
    assert_int_equal(r, (int)len);
}

static void test_write_want_write_and_resume(void **state)
{
    wlink_init(&l, version_of(state));
    wlink_handshake(&l);
    unsigned char *data = pattern_buf(40000, 7);
    size_t calls;
    write_with_credit(&l, data, 40000, &calls);
    /* 40000 bytes in three records plus framing need at least nine 5000-byte grants. */
    assert_true(calls >= 9);
    l.cio.write_credit = -1;
    server_reads(&l, data, 40000);
    free(data);
    wlink_free(&l);
}

/* SSL_MODE_ENABLE_PARTIAL_WRITE: a call returns once records are out, not the whole buffer. */
static void test_partial_write_mode_with_retry(void **state)
{
    wlink_init(&l, version_of(state));
    wlink_handshake(&l);
    SSL_set_mode(l.c, SSL_MODE_ENABLE_PARTIAL_WRITE);
    unsigned char *data = pattern_buf(40000, 8);
    l.cio.write_credit = 0;
    ERR_clear_error();
    assert_want_write(l.c, SSL_write(l.c, data, 40000));
    l.cio.write_credit = 10000; /* less than one full record */
    assert_want_write(l.c, SSL_write(l.c, data, 40000));
    l.cio.write_credit = -1;
    /*
     * OpenSSL 3.0: the retry finishes the record that was stuck, then seals and sends one more
     * before partial mode returns: two records, 2 x 16384 (RFC 9846 §5.1: 2^14 bytes is a
     * record's maximum). Then one record per call.
     */
    assert_int_equal(SSL_write(l.c, data, 40000), 32768);
    assert_int_equal(SSL_write(l.c, data + 32768, 40000 - 32768), 40000 - 32768);
    /* Without a retry pending, one record per call. */
    assert_int_equal(SSL_write(l.c, data, 40000), 16384);
    assert_int_equal(SSL_write(l.c, data + 16384, 40000 - 16384), 16384);
    assert_int_equal(SSL_write(l.c, data + 32768, 40000 - 32768), 40000 - 32768);
    assert_int_equal(ERR_peek_error(), 0);
    server_reads(&l, data, 40000);
    server_reads(&l, data, 40000);
    free(data);
    wlink_free(&l);
}

/* Starts a write that cannot complete: 20000 bytes, 100 bytes of credit. */
static void start_stuck_write(wlink *l, const unsigned char *data)
{
    l->cio.write_credit = 100;
    ERR_clear_error();
    assert_want_write(l->c, SSL_write(l->c, data, 20000));
}

/* The same bytes from another address, without the mode: OpenSSL's bad write retry. */
static void test_moving_buffer_refused(void **state)
{
    wlink_init(&l, version_of(state));
    wlink_handshake(&l);
    unsigned char *data = pattern_buf(20000, 9);
    unsigned char *copy = malloc(20000);
    assert_non_null(copy);
    memcpy(copy, data, 20000);
    start_stuck_write(&l, data);
    l.cio.write_credit = -1;
    assert_ssl_error(l.c, SSL_write(l.c, copy, 20000), SSL_R_BAD_WRITE_RETRY);
    /* The connection has failed: the original arguments do not revive it, and the transport
     * is not touched again. */
    unsigned long io = clasp_probe_io_calls(&l.cio);
    ERR_clear_error();
    int r = SSL_write(l.c, data, 20000);
    assert_int_equal(r, -1);
    int err = SSL_get_error(l.c, r);
    assert_true(err == SSL_ERROR_SSL || err == SSL_ERROR_SYSCALL);
    assert_int_equal(clasp_probe_io_calls(&l.cio), io);
    ERR_clear_error();
    free(copy);
    free(data);
    wlink_free(&l);
}

/* With SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER the retry may come from a copy. */
static void test_moving_buffer_accepted(void **state)
{
    wlink_init(&l, version_of(state));
    wlink_handshake(&l);
    SSL_set_mode(l.c, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    unsigned char *data = pattern_buf(20000, 10);
    start_stuck_write(&l, data);
    unsigned char *copy = malloc(20000);
    assert_non_null(copy);
    memcpy(copy, data, 20000);
    memset(data, 0xEE, 20000); /* the application reused its buffer */
    l.cio.write_credit = -1;
    ERR_clear_error();
    assert_int_equal(SSL_write(l.c, copy, 20000), 20000);
    memcpy(data, copy, 20000);
    server_reads(&l, data, 20000);
    free(copy);
    free(data);
    wlink_free(&l);
}

/* A retry shorter than what already went into records: OpenSSL's bad length. */
static void test_retry_shorter_than_sealed(void **state)
{
    wlink_init(&l, version_of(state));
    wlink_handshake(&l);
    unsigned char *data = pattern_buf(20000, 11);
    start_stuck_write(&l, data);
    l.cio.write_credit = -1;
    assert_ssl_error(l.c, SSL_write(l.c, data, 100), SSL_R_BAD_LENGTH);
    free(data);
    wlink_free(&l);
}

/* A retry that still covers the record in flight is accepted (OpenSSL 3.0), and completes. */
static void test_retry_covering_sealed_record(void **state)
{
    wlink_init(&l, version_of(state));
    wlink_handshake(&l);
    unsigned char *data = pattern_buf(20000, 12);
    start_stuck_write(&l, data);
    l.cio.write_credit = -1;
    ERR_clear_error();
    assert_int_equal(SSL_write(l.c, data, 19000), 19000);
    server_reads(&l, data, 19000);
    free(data);
    wlink_free(&l);
}

/* Each test twice, named by version; the teardown frees what a failed test left. */
/* clang-format off */
#define VERSIONED(fn)                                                                              \
    {"tls13 " #fn, fn, NULL, free_live, (void *)&tls13},                                           \
    {"tls12 " #fn, fn, NULL, free_live, (void *)&tls12}
/* clang-format on */

int main(void)
{
    /* CLASP_CT_FILTER / CLASP_CT_SKIP: run only / skip the tests whose name matches. */
    if (getenv("CLASP_CT_FILTER") != NULL) {
        cmocka_set_test_filter(getenv("CLASP_CT_FILTER"));
    }
    if (getenv("CLASP_CT_SKIP") != NULL) {
        cmocka_set_skip_filter(getenv("CLASP_CT_SKIP"));
    }
    const struct CMUnitTest tests[] = {
        VERSIONED(test_budget_7_per_call_50_per_round),
        VERSIONED(test_budget_1000_per_call_3000_per_round),
        VERSIONED(test_budget_1_per_round),
        VERSIONED(test_short_writes_without_retry),
        VERSIONED(test_handshake_want_write),
        VERSIONED(test_write_want_write_and_resume),
        VERSIONED(test_partial_write_mode_with_retry),
        VERSIONED(test_moving_buffer_refused),
        VERSIONED(test_moving_buffer_accepted),
        VERSIONED(test_retry_shorter_than_sealed),
        VERSIONED(test_retry_covering_sealed_record),
    };
    return cmocka_run_group_tests(tests, clasp_test_group_setup, clasp_test_group_teardown);
}

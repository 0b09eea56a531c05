/*
 * Issue #3, return values and errors: every documented outcome of SSL_do_handshake (and of
 * SSL_read / SSL_write / SSL_shutdown on the way), matched with OpenSSL 3.0:
 *
 *   the peer ends the transport mid-handshake (EOF)   -1, SSL_ERROR_SSL,
 *                                                     SSL_R_UNEXPECTED_EOF_WHILE_READING
 *   ... after the handshake, at SSL_read              the same, from SSL_read
 *   the transport fails (reset)                      -1, SSL_ERROR_SYSCALL, empty queue; not
 *                                                     fatal: the same call resumes later
 *   the server sends close_notify mid-handshake      -1, SSL_ERROR_ZERO_RETURN, then SSL_read 0
 *   the client sends close_notify before its hello   -1, SSL_ERROR_SSL, unexpected message
 *   protocol failures                                -1, SSL_ERROR_SSL, exactly one error:
 *     a record changed in flight                       bad_record_mac
 *     a Finished forged (TLS 1.3, re-encrypted)        digest check failed / decrypt_error
 *     a message out of order                           unexpected message
 *     a malformed ClientHello                          length mismatch, decode_error
 *
 * over every transport that can carry the scenario (helpers/contract.h: tampering needs the
 * pumped transports), plus, by hand: a failed connection stays failed without touching the
 * transport (probe BIO counts), roles (who speaks first, a second SSL_do_handshake does no
 * I/O, no role is a clean error) and SSL_shutdown stopping for WANT_WRITE / WANT_READ.
 *
 * TLS 1.3 and TLS 1.2; the TLS 1.2 cases are skipped while a probe handshake says the library
 * under test has no TLS 1.2 (issue #4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/contract.h"
#include "helpers/forge.h"
#include "helpers/memlink.h"
#include "helpers/testutil.h"

static const int tls13 = TLS1_3_VERSION, tls12 = TLS1_2_VERSION;

static void require_version(int version)
{
    if (!clasp_ct_version_supported(version)) {
        print_message("%s: not supported by the library under test (TLS 1.2 is issue #4)\n",
                      clasp_ct_version_name(version));
        skip();
    }
}

/* ---- injected records -------------------------------------------------------------------- */

/* RFC 9846 §6.1: a plaintext close_notify alert (level warning). */
static const unsigned char close_notify_rec[] = {21, 3, 3, 0, 2, 1, 0};
/* A Certificate message (empty context, empty list) where a ServerHello must come. */
static const unsigned char certificate_rec[] = {22, 3, 3, 0, 8, 11, 0, 0, 4, 0, 0, 0, 0};
/* A ServerHello sent to a server. */
static const unsigned char server_hello_rec[] = {22, 3, 3, 0, 8, 2, 0, 0, 4, 3, 3, 0, 0};
/* A ClientHello whose body ends after legacy_version and two random bytes. */
static const unsigned char short_hello_rec[] = {22, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0};

/* ---- scenarios ----------------------------------------------------------------------------- */

#define EOF_REASON SSL_R_UNEXPECTED_EOF_WHILE_READING

/* The server closes before answering: the client's read meets EOF. */
static const clasp_ct_step eof_early_c[] = {CT_HS_FAILS(SSL_ERROR_SSL, EOF_REASON), CT_END};
static const clasp_ct_step eof_early_s[] = {CT_CLOSE, CT_END};

/* The client sends its hello and closes: the server meets EOF after its own flight. It starts
 * only once the client has closed, so that the client cannot get further than its hello. */
static const clasp_ct_step eof_mid_c[] = {CT_HS_STEP(1), CT_CLOSE, CT_END};
static const clasp_ct_step eof_mid_s[] = {CT_WAIT_PEER_CLOSE,
                                          CT_HS_FAILS(SSL_ERROR_SSL, EOF_REASON), CT_END};

/* After the handshake: SSL_read meets EOF without close_notify; OpenSSL 3.0 returns 0. */
static const clasp_ct_step eof_late_c[] = {CT_HS, CT_READ_FAILS(0, SSL_ERROR_SSL, EOF_REASON),
                                           CT_END};
static const clasp_ct_step eof_late_s[] = {CT_HS, CT_CLOSE, CT_END};

/* A transport error: SSL_ERROR_SYSCALL, nothing queued. */
static const clasp_ct_step reset_c[] = {CT_HS_FAILS(SSL_ERROR_SYSCALL, 0), CT_END};
static const clasp_ct_step reset_s[] = {CT_RESET, CT_END};

/* close_notify instead of a ServerHello: a controlled end (SSL_get_error ZERO_RETURN). */
static const clasp_ct_step cn_client_c[] = {CT_HS_FAILS(SSL_ERROR_ZERO_RETURN, 0),
                                            CT_EXPECT_SHUTDOWN(SSL_RECEIVED_SHUTDOWN), CT_READ_EOF,
                                            CT_END};
static const clasp_ct_step cn_client_s[] = {CT_RAW(close_notify_rec), CT_END};

/* close_notify instead of a ClientHello: OpenSSL's server calls that unexpected. */
static const clasp_ct_step cn_server_c[] = {CT_RAW(close_notify_rec), CT_END};
static const clasp_ct_step cn_server_s[] = {CT_HS_FAILS(SSL_ERROR_SSL, SSL_R_UNEXPECTED_MESSAGE),
                                            CT_END};

static const clasp_ct_step unexp_client_c[] = {CT_HS_FAILS(SSL_ERROR_SSL, SSL_R_UNEXPECTED_MESSAGE),
                                               CT_END};
static const clasp_ct_step unexp_client_s[] = {CT_RAW(certificate_rec), CT_END};

static const clasp_ct_step unexp_server_c[] = {CT_RAW(server_hello_rec), CT_END};
static const clasp_ct_step unexp_server_s[] = {CT_HS_FAILS(SSL_ERROR_SSL, SSL_R_UNEXPECTED_MESSAGE),
                                               CT_END};

static const clasp_ct_step decode_c[] = {CT_RAW(short_hello_rec), CT_END};
static const clasp_ct_step decode_s[] = {CT_HS_FAILS(SSL_ERROR_SSL, SSL_R_LENGTH_MISMATCH), CT_END};

/*
 * Protocol failures detected by one side. The failing side sends one alert and closes the
 * transport, as an application would; the peer fails with that alert, or, where the alert
 * did not fit into the transport at that moment (1- and 17-byte pairs), with EOF. SSL_read
 * returns 0 for a received fatal alert or EOF, -1 for a failure it detects (OpenSSL 3.0).
 */
#define MAC_REASON SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC
#define GOT_MAC SSL_R_SSLV3_ALERT_BAD_RECORD_MAC
#define DIGEST SSL_R_DIGEST_CHECK_FAILED
#define GOT_DECRYPT_ERROR SSL_R_TLSV1_ALERT_DECRYPT_ERROR

/* The server's first protected record changed in flight. */
static const clasp_ct_step mac_s2c_c[] = {CT_HS_FAILS(SSL_ERROR_SSL, MAC_REASON), CT_CLOSE, CT_END};
static const clasp_ct_step mac_s2c_s13[] = {CT_HS_FAILS_ALT(SSL_ERROR_SSL, GOT_MAC, EOF_REASON),
                                            CT_END};
/* TLS 1.2: the server's Finished is its last message; it learns at its next read. */
static const clasp_ct_step mac_s2c_s12[] = {
    CT_HS, CT_READ_FAILS_ALT(0, SSL_ERROR_SSL, GOT_MAC, EOF_REASON), CT_END};

/* The client's Finished changed in flight. */
static const clasp_ct_step mac_c2s_s[] = {CT_HS_FAILS(SSL_ERROR_SSL, MAC_REASON), CT_CLOSE, CT_END};
/* TLS 1.3: the client is done after sending Finished; the alert meets its next read. */
static const clasp_ct_step mac_c2s_c13[] = {
    CT_HS, CT_READ_FAILS_ALT(0, SSL_ERROR_SSL, GOT_MAC, EOF_REASON), CT_END};
static const clasp_ct_step mac_c2s_c12[] = {CT_HS_FAILS_ALT(SSL_ERROR_SSL, GOT_MAC, EOF_REASON),
                                            CT_END};

/* Application data changed in flight: the reader fails, the writer hears of it. */
static const clasp_ct_step mac_app_c[] = {
    CT_HS, CT_WRITE(100), CT_READ_FAILS_ALT(0, SSL_ERROR_SSL, GOT_MAC, EOF_REASON), CT_END};
static const clasp_ct_step mac_app_s[] = {CT_HS, CT_READ_FAILS(-1, SSL_ERROR_SSL, MAC_REASON),
                                          CT_CLOSE, CT_END};

/* TLS 1.3: a Finished whose verify_data is wrong but whose record is intact (§4.5.3). */
static const clasp_ct_step fin_s2c_c[] = {CT_HS_FAILS(SSL_ERROR_SSL, DIGEST), CT_CLOSE, CT_END};
static const clasp_ct_step fin_s2c_s[] = {
    CT_HS_FAILS_ALT(SSL_ERROR_SSL, GOT_DECRYPT_ERROR, EOF_REASON), CT_END};
static const clasp_ct_step fin_c2s_c[] = {
    CT_HS, CT_READ_FAILS_ALT(0, SSL_ERROR_SSL, GOT_DECRYPT_ERROR, EOF_REASON), CT_END};
static const clasp_ct_step fin_c2s_s[] = {CT_HS_FAILS(SSL_ERROR_SSL, DIGEST), CT_CLOSE, CT_END};

typedef enum { ANY_TRANSPORT, PUMPED_ONLY } reach;

typedef struct {
    const char *name;
    const clasp_ct_step *client, *server;     /* TLS 1.3 (and TLS 1.2 unless below) */
    const clasp_ct_step *client12, *server12; /* TLS 1.2 where it differs */
    reach where;
    int tls13_only;
    clasp_ct_tamper_fn tamper;
    int tamper_c2s;
    int forge;           /* the tamper needs the server's handshake secrets */
    int alert_by_client; /* the alert the failing side sends (0: not checked) */
    int alert_by_server;
    int peer_reason; /* where the alert fits (16 KiB pair, trickles): the peer's reason */
    int peer_is_client;
} scenario;

static const scenario scenarios[] = {
    {.name = "eof-before-server-hello", .client = eof_early_c, .server = eof_early_s},
    {.name = "eof-mid-handshake", .client = eof_mid_c, .server = eof_mid_s},
    {.name = "eof-after-handshake", .client = eof_late_c, .server = eof_late_s},
    {.name = "transport-reset", .client = reset_c, .server = reset_s},
    {.name = "close-notify-to-client", .client = cn_client_c, .server = cn_client_s},
    {.name = "close-notify-to-server",
     .client = cn_server_c,
     .server = cn_server_s,
     .alert_by_server = SSL_AD_UNEXPECTED_MESSAGE},
    {.name = "unexpected-message-to-client",
     .client = unexp_client_c,
     .server = unexp_client_s,
     .alert_by_client = SSL_AD_UNEXPECTED_MESSAGE},
    {.name = "unexpected-message-to-server",
     .client = unexp_server_c,
     .server = unexp_server_s,
     .alert_by_server = SSL_AD_UNEXPECTED_MESSAGE},
    {.name = "decode-error",
     .client = decode_c,
     .server = decode_s,
     .alert_by_server = SSL_AD_DECODE_ERROR},
    {.name = "bad-record-mac-from-server",
     .client = mac_s2c_c,
     .server = mac_s2c_s13,
     .server12 = mac_s2c_s12,
     .where = PUMPED_ONLY,
     .tamper = clasp_forge_flip_after_ccs,
     .alert_by_client = SSL_AD_BAD_RECORD_MAC,
     .peer_reason = GOT_MAC},
    {.name = "bad-record-mac-from-client",
     .client = mac_c2s_c13,
     .server = mac_c2s_s,
     .client12 = mac_c2s_c12,
     .where = PUMPED_ONLY,
     .tamper = clasp_forge_flip_after_ccs,
     .tamper_c2s = 1,
     .alert_by_server = SSL_AD_BAD_RECORD_MAC,
     .peer_reason = GOT_MAC,
     .peer_is_client = 1},
    {.name = "bad-record-mac-in-data",
     .client = mac_app_c,
     .server = mac_app_s,
     .where = PUMPED_ONLY,
     .tamper = clasp_forge_flip_app_data,
     .tamper_c2s = 1,
     .alert_by_server = SSL_AD_BAD_RECORD_MAC,
     .peer_reason = GOT_MAC,
     .peer_is_client = 1},
    {.name = "bad-finished-from-server",
     .client = fin_s2c_c,
     .server = fin_s2c_s,
     .where = PUMPED_ONLY,
     .tls13_only = 1,
     .tamper = clasp_forge_finished,
     .forge = 1,
     .alert_by_client = SSL_AD_DECRYPT_ERROR,
     .peer_reason = GOT_DECRYPT_ERROR},
    {.name = "bad-finished-from-client",
     .client = fin_c2s_c,
     .server = fin_c2s_s,
     .where = PUMPED_ONLY,
     .tls13_only = 1,
     .tamper = clasp_forge_finished,
     .tamper_c2s = 1,
     .forge = 1,
     .alert_by_server = SSL_AD_DECRYPT_ERROR,
     .peer_reason = GOT_DECRYPT_ERROR,
     .peer_is_client = 1},
};
#define NUM_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

typedef struct {
    const scenario *sc;
    int version;
    clasp_ct_transport transport;
    char name[96];
} err_case;

#define MAX_CASES (2 * NUM_SCENARIOS * CLASP_CT_NUM_TRANSPORTS)
static err_case cases[MAX_CASES];

/* What the current test holds: file scope, so that the teardown frees it after a failure. */
static clasp_ct_run run;
static clasp_ml l;

static int free_live(void **state)
{
    (void)state;
    clasp_ct_run_free(&run);
    clasp_ml_free(&l);
    return 0;
}

static void watch(clasp_ct_run *run, SSL *client, SSL *server, void *arg)
{
    (void)run;
    (void)client;
    clasp_forge_watch_server(arg, server);
}

static void test_error_case(void **state)
{
    const err_case *tc = *state;
    const scenario *sc = tc->sc;
    int v12 = tc->version == TLS1_2_VERSION;
    require_version(tc->version);
    SSL_CTX *sctx = clasp_ct_server_ctx(tc->version, CLASP_TEST_KEY_ED25519, 0);
    SSL_CTX *cctx = clasp_ct_client_ctx(tc->version, 0);
    assert_non_null(sctx);
    assert_non_null(cctx);
    static clasp_forge forge;
    clasp_forge_init(&forge, sc->tamper_c2s);
    /* TLS 1.3 protects the client's Finished as application_data too (§5.2): skip it. */
    forge.after = tc->version == TLS1_3_VERSION && sc->tamper == clasp_forge_flip_app_data;
    if (sc->forge) {
        /* The forger decrypts AES-128-GCM / SHA-256 records. */
        assert_int_equal(SSL_CTX_set_ciphersuites(sctx, "TLS_AES_128_GCM_SHA256"), 1);
    }
    clasp_ct_config cfg = {.transport = tc->transport,
                           .version = tc->version,
                           .cctx = cctx,
                           .sctx = sctx,
                           .seed = 77,
                           .tamper = sc->tamper,
                           .tamper_arg = &forge,
                           .prepare = sc->forge ? watch : NULL,
                           .prepare_arg = &forge};
    const clasp_ct_step *c = v12 && sc->client12 ? sc->client12 : sc->client;
    const clasp_ct_step *s = v12 && sc->server12 ? sc->server12 : sc->server;
    int ok = clasp_ct_run_steps(&run, &cfg, c, s);
    SSL_CTX_free(cctx); /* the SSLs keep their references */
    SSL_CTX_free(sctx);
    if (!ok) {
        clasp_ct_run_print(&run);
    }
    assert_true(ok);
    if (sc->tamper != NULL) {
        assert_true(forge.done);
    }
    if (sc->forge) {
        assert_true(forge.forged);
    }
    /* Where the transport had room, the alert arrived: the peer failed with it. */
    int roomy = tc->transport != CLASP_CT_PAIR_1 && tc->transport != CLASP_CT_PAIR_17;
    if (sc->peer_reason != 0 && roomy) {
        unsigned long e = sc->peer_is_client ? run.client.last_error : run.server.last_error;
        assert_int_equal(ERR_GET_REASON(e), sc->peer_reason);
    }
    /* The failing side sent its one alert (RFC 9846 §6.2), where it fitted. */
    if (sc->alert_by_client != 0 && roomy) {
        assert_int_equal(
            clasp_ct_count(&run.client.transcript, 1, SSL3_RT_ALERT, sc->alert_by_client), 1);
    }
    if (sc->alert_by_server != 0 && roomy) {
        assert_int_equal(
            clasp_ct_count(&run.server.transcript, 1, SSL3_RT_ALERT, sc->alert_by_server), 1);
    }
    clasp_ct_run_free(&run);
}

/* ---- by hand: failed stays failed ------------------------------------------------------- */

/*
 * Takes the queue off and asserts it is this failure's: one ERR_LIB_SSL error with `reason`,
 * last, after nothing but lower-layer causes (see contract.h, clasp_ct_step).
 */
static void assert_failure_reason(int reason)
{
    unsigned long e, last = 0;
    int ssl_errors = 0;
    while ((e = ERR_get_error()) != 0) {
        ssl_errors += ERR_GET_LIB(e) == ERR_LIB_SSL;
        last = e;
    }
    assert_int_equal(ERR_GET_LIB(last), ERR_LIB_SSL);
    assert_int_equal(ERR_GET_REASON(last), reason);
    assert_int_equal(ssl_errors, 1);
}

/* Asserts ret/err of a call on a failed connection: fatal, and if anything is queued it is
 * the original reason (OpenSSL 3.0 queues nothing: SSL_ERROR_SYSCALL; Clasp repeats it). */
static void assert_still_failed(SSL *ssl, int r, int want_ret, int reason)
{
    assert_int_equal(r, want_ret);
    int err = SSL_get_error(ssl, r);
    assert_true(err == SSL_ERROR_SSL || err == SSL_ERROR_SYSCALL);
    unsigned long e = ERR_get_error();
    if (e != 0) {
        assert_int_equal(ERR_GET_REASON(e), reason);
    }
    assert_int_equal(ERR_peek_error(), 0);
}

/* Every I/O call again: none succeeds, none asks for a retry, none touches the transport. */
static void assert_failed_for_good(SSL *ssl, clasp_probe_stats *io, int reason)
{
    unsigned long calls = clasp_probe_io_calls(io);
    unsigned char buf[16] = {0};
    size_t n;
    for (int round = 0; round < 2; round++) {
        ERR_clear_error();
        assert_still_failed(ssl, SSL_do_handshake(ssl), -1, reason);
        assert_still_failed(ssl, SSL_read(ssl, buf, sizeof(buf)), -1, reason);
        assert_still_failed(ssl, SSL_peek(ssl, buf, sizeof(buf)), -1, reason);
        assert_still_failed(ssl, SSL_write(ssl, buf, sizeof(buf)), -1, reason);
        assert_still_failed(ssl, SSL_read_ex(ssl, buf, sizeof(buf), &n), 0, reason);
        assert_still_failed(ssl, SSL_write_ex(ssl, buf, sizeof(buf), &n), 0, reason);
        /* SSL_shutdown(3): a connection that failed is still "in init". */
        int r = SSL_shutdown(ssl);
        assert_int_equal(r, -1);
        assert_int_equal(SSL_get_error(ssl, r), SSL_ERROR_SSL);
        assert_int_equal(ERR_GET_REASON(ERR_get_error()), SSL_R_SHUTDOWN_WHILE_IN_INIT);
        assert_int_equal(ERR_peek_error(), 0);
        assert_int_equal(SSL_is_init_finished(ssl), 0);
    }
    assert_int_equal(clasp_probe_io_calls(io), calls);
}

static int version_of(void **state)
{
    int v = *(const int *)*state;
    require_version(v);
    return v;
}

static void test_failed_in_handshake_stays_failed(void **state)
{
    assert_true(clasp_ml_init(&l, version_of(state), CLASP_TEST_KEY_P256, 0));
    ERR_clear_error();
    assert_int_equal(SSL_do_handshake(l.c), -1);
    assert_int_equal(SSL_get_error(l.c, -1), SSL_ERROR_WANT_READ);
    assert_int_equal(BIO_write(l.c_in, certificate_rec, sizeof(certificate_rec)),
                     (int)sizeof(certificate_rec));
    uint64_t written = l.cio.bytes_written;
    int r = SSL_do_handshake(l.c);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(l.c, r), SSL_ERROR_SSL);
    assert_failure_reason(SSL_R_UNEXPECTED_MESSAGE); /* exactly this failure's reason */
    /* The alert went out: one 7-byte plaintext record, unexpected_message. */
    assert_int_equal(l.cio.bytes_written - written, 7);
    assert_failed_for_good(l.c, &l.cio, SSL_R_UNEXPECTED_MESSAGE);
    clasp_ml_free(&l);
}

/* Takes one record the client wrote, flips a bit in its body, gives it to the server. */
static void corrupt_client_record(clasp_ml *l)
{
    unsigned char buf[4096];
    int n = BIO_read(l->c_out, buf, sizeof(buf));
    assert_true(n > 5);
    buf[n - 1] ^= 0x01;
    assert_int_equal(BIO_write(l->s_in, buf, n), n);
}

static void test_failed_after_handshake_stays_failed(void **state)
{
    assert_true(clasp_ml_init(&l, version_of(state), CLASP_TEST_KEY_P256, 0));
    assert_true(clasp_ml_handshake(&l));
    assert_int_equal(SSL_write(l.c, "hello", 5), 5);
    corrupt_client_record(&l);
    unsigned char buf[16];
    ERR_clear_error();
    int r = SSL_read(l.s, buf, sizeof(buf));
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(l.s, r), SSL_ERROR_SSL);
    assert_failure_reason(SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
    assert_failed_for_good(l.s, &l.sio, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
    /* The client hears of it at its next read: the bad_record_mac alert. SSL_read returns 0
     * for a received fatal alert (OpenSSL 3.0). */
    clasp_ml_move(&l);
    ERR_clear_error();
    r = SSL_read(l.c, buf, sizeof(buf));
    assert_int_equal(r, 0);
    assert_int_equal(SSL_get_error(l.c, r), SSL_ERROR_SSL);
    assert_failure_reason(SSL_R_SSLV3_ALERT_BAD_RECORD_MAC);
    clasp_ml_free(&l);
}

/* A transport error is not a protocol failure: once the transport works, the call resumes. */
static void test_transport_error_is_not_fatal(void **state)
{
    assert_true(clasp_ml_init(&l, version_of(state), CLASP_TEST_KEY_P256, 0));
    ERR_clear_error();
    assert_int_equal(SSL_do_handshake(l.c), -1); /* ClientHello out */
    clasp_ml_move(&l);
    assert_int_equal(SSL_do_handshake(l.s), -1); /* the server's flight */
    clasp_ml_move(&l);
    l.cio.read_fault = CLASP_PROBE_FAULT_ERROR;
    int r = SSL_do_handshake(l.c);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(l.c, r), SSL_ERROR_SYSCALL);
    assert_int_equal(ERR_peek_error(), 0);
    l.cio.read_fault = CLASP_PROBE_FAULT_NONE;
    assert_true(clasp_ml_handshake(&l));
    assert_int_equal(SSL_write(l.c, "ok", 2), 2);
    clasp_ml_free(&l);
}

/* close_notify instead of the server's flight: the controlled end of SSL_do_handshake(3). */
static void test_close_notify_in_handshake_by_hand(void **state)
{
    assert_true(clasp_ml_init(&l, version_of(state), CLASP_TEST_KEY_P256, 0));
    ERR_clear_error();
    assert_int_equal(SSL_do_handshake(l.c), -1);
    assert_int_equal(BIO_write(l.c_in, close_notify_rec, sizeof(close_notify_rec)),
                     (int)sizeof(close_notify_rec));
    uint64_t written = l.cio.bytes_written;
    int r = SSL_do_handshake(l.c);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(l.c, r), SSL_ERROR_ZERO_RETURN);
    assert_int_equal(ERR_peek_error(), 0);
    assert_int_equal(SSL_get_shutdown(l.c), SSL_RECEIVED_SHUTDOWN);
    /*
     * Called again: nothing is written and no data can come. OpenSSL 3.0 says WANT_READ here
     * (a poll loop would wait for the peer's EOF); Clasp says ZERO_RETURN again
     * (docs/handshake.md, "Differences").
     */
    r = SSL_do_handshake(l.c);
    assert_int_equal(r, -1);
    int err = SSL_get_error(l.c, r);
    assert_true(err == SSL_ERROR_ZERO_RETURN || err == SSL_ERROR_WANT_READ);
    assert_int_equal(l.cio.bytes_written, written);
    unsigned char buf[8];
    r = SSL_read(l.c, buf, sizeof(buf));
    assert_int_equal(r, 0);
    assert_int_equal(SSL_get_error(l.c, r), SSL_ERROR_ZERO_RETURN);
    clasp_ml_free(&l);
}

/* ---- by hand: roles ---------------------------------------------------------------------- */

/* The client speaks first; the server only reads until the ClientHello is there. */
static void test_who_speaks_first(void **state)
{
    assert_true(clasp_ml_init(&l, version_of(state), CLASP_TEST_KEY_P256, 0));
    ERR_clear_error();
    int r = SSL_do_handshake(l.s);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(l.s, r), SSL_ERROR_WANT_READ);
    assert_int_equal(l.sio.bytes_written, 0);
    assert_true(l.sio.reads >= 1);
    r = SSL_do_handshake(l.c);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(l.c, r), SSL_ERROR_WANT_READ);
    assert_true(l.cio.bytes_written > 0);
    assert_int_equal(l.cio.bytes_read, 0);
    /* The server's answer needs the whole ClientHello. */
    assert_int_equal(SSL_do_handshake(l.s), -1);
    assert_int_equal(l.sio.bytes_written, 0);
    assert_true(clasp_ml_handshake(&l));
    /* Finished: another SSL_do_handshake returns 1 and does not touch the transport. */
    unsigned long c_calls = clasp_probe_io_calls(&l.cio), s_calls = clasp_probe_io_calls(&l.sio);
    assert_int_equal(SSL_do_handshake(l.c), 1);
    assert_int_equal(SSL_do_handshake(l.s), 1);
    assert_int_equal(SSL_connect(l.c), 1);
    assert_int_equal(SSL_accept(l.s), 1);
    assert_int_equal(clasp_probe_io_calls(&l.cio), c_calls);
    assert_int_equal(clasp_probe_io_calls(&l.sio), s_calls);
    assert_int_equal(ERR_peek_error(), 0);
    clasp_ml_free(&l);
}

/* No role: a clean error without I/O, and nothing sticky — a role set later works. */
static void test_no_role_then_role(void **state)
{
    assert_true(clasp_ml_init(&l, version_of(state), CLASP_TEST_KEY_P256, 1));
    ERR_clear_error();
    int r = SSL_do_handshake(l.c);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(l.c, r), SSL_ERROR_SSL);
    assert_int_equal(ERR_GET_REASON(ERR_get_error()), SSL_R_CONNECTION_TYPE_NOT_SET);
    assert_int_equal(ERR_peek_error(), 0);
    assert_int_equal(clasp_probe_io_calls(&l.cio), 0);
    SSL_set_connect_state(l.c);
    SSL_set_accept_state(l.s);
    assert_true(clasp_ml_handshake(&l));
    assert_int_equal(SSL_is_server(l.c), 0);
    assert_int_equal(SSL_is_server(l.s), 1);
    clasp_ml_free(&l);
}

/* ---- by hand: SSL_shutdown stops and resumes ------------------------------------------------ */

static void test_shutdown_want_write_then_want_read(void **state)
{
    assert_true(clasp_ml_init(&l, version_of(state), CLASP_TEST_KEY_P256, 0));
    assert_true(clasp_ml_handshake(&l));
    l.cio.write_credit = 0;
    ERR_clear_error();
    int r = SSL_shutdown(l.c);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(l.c, r), SSL_ERROR_WANT_WRITE);
    assert_int_equal(SSL_get_shutdown(l.c), SSL_SENT_SHUTDOWN);
    r = SSL_shutdown(l.c);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(l.c, r), SSL_ERROR_WANT_WRITE);
    l.cio.write_credit = 3; /* part of the alert record */
    r = SSL_shutdown(l.c);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(l.c, r), SSL_ERROR_WANT_WRITE);
    l.cio.write_credit = -1;
    assert_int_equal(SSL_shutdown(l.c), 0); /* sent */
    r = SSL_shutdown(l.c);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(l.c, r), SSL_ERROR_WANT_READ);
    clasp_ml_move(&l);
    unsigned char buf[8];
    r = SSL_read(l.s, buf, sizeof(buf));
    assert_int_equal(r, 0);
    assert_int_equal(SSL_get_error(l.s, r), SSL_ERROR_ZERO_RETURN);
    assert_int_equal(SSL_get_shutdown(l.s), SSL_RECEIVED_SHUTDOWN);
    assert_int_equal(SSL_shutdown(l.s), 1);
    clasp_ml_move(&l);
    assert_int_equal(SSL_shutdown(l.c), 1);
    assert_int_equal(SSL_get_shutdown(l.c), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    assert_int_equal(SSL_get_shutdown(l.s), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    assert_int_equal(ERR_peek_error(), 0);
    clasp_ml_free(&l);
}

/* Data instead of close_notify while SSL_shutdown waits: OpenSSL fails the connection. */
static void test_shutdown_meets_data(void **state)
{
    assert_true(clasp_ml_init(&l, version_of(state), CLASP_TEST_KEY_P256, 0));
    assert_true(clasp_ml_handshake(&l));
    ERR_clear_error();
    assert_int_equal(SSL_shutdown(l.c), 0);
    assert_int_equal(SSL_write(l.s, "late", 4), 4); /* before the server read close_notify */
    clasp_ml_move(&l);
    int r = SSL_shutdown(l.c);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(l.c, r), SSL_ERROR_SSL);
    assert_failure_reason(SSL_R_APPLICATION_DATA_AFTER_CLOSE_NOTIFY);
}

/* ---- main -------------------------------------------------------------------------------- */

static int build_cases(struct CMUnitTest *tests)
{
    static const int versions[2] = {TLS1_3_VERSION, TLS1_2_VERSION};
    int n = 0;
    for (int v = 0; v < 2; v++) {
        for (size_t s = 0; s < NUM_SCENARIOS; s++) {
            const scenario *sc = &scenarios[s];
            if (sc->tls13_only && versions[v] != TLS1_3_VERSION) {
                continue;
            }
            for (int t = 0; t < CLASP_CT_NUM_TRANSPORTS; t++) {
                if (sc->where == PUMPED_ONLY && clasp_ct_transport_is_socket(t)) {
                    continue;
                }
                err_case *c = &cases[n];
                c->sc = sc;
                c->version = versions[v];
                c->transport = (clasp_ct_transport)t;
                snprintf(c->name, sizeof(c->name), "%s %s %s", clasp_ct_version_name(c->version),
                         sc->name, clasp_ct_transport_name(c->transport));
                tests[n] = (struct CMUnitTest){c->name, test_error_case, NULL, free_live, c};
                n++;
            }
        }
    }
    return n;
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
    static const struct CMUnitTest by_hand[] = {
        VERSIONED(test_failed_in_handshake_stays_failed),
        VERSIONED(test_failed_after_handshake_stays_failed),
        VERSIONED(test_transport_error_is_not_fatal),
        VERSIONED(test_close_notify_in_handshake_by_hand),
        VERSIONED(test_who_speaks_first),
        VERSIONED(test_no_role_then_role),
        VERSIONED(test_shutdown_want_write_then_want_read),
        VERSIONED(test_shutdown_meets_data),
    };
    static struct CMUnitTest tests[MAX_CASES + sizeof(by_hand) / sizeof(by_hand[0])];
    int n = build_cases(tests);
    for (size_t i = 0; i < sizeof(by_hand) / sizeof(by_hand[0]); i++) {
        tests[n++] = by_hand[i];
    }
    return _cmocka_run_group_tests("contract errors", tests, (size_t)n, clasp_test_group_setup,
                                   clasp_test_group_teardown);
}

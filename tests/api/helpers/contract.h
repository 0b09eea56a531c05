/*
 * The SSL_do_handshake contract runner (issue #3): one scenario, written once as a list of
 * steps per role, runs over every kind of transport an OpenSSL application uses:
 *
 *   block-tcp, block-unix   blocking sockets (TCP on 127.0.0.1 / a socketpair), SSL_set_fd,
 *                           one thread per side. No call may ever return WANT_READ/WANT_WRITE.
 *   poll-tcp, poll-unix     non-blocking sockets with small kernel buffers, SSL_set_fd, one
 *                           thread per side; a side calls again only after SSL_get_error said
 *                           WANT_READ / WANT_WRITE and poll() said the fd is ready for exactly
 *                           that direction.
 *   pair1, pair17, pair16k  a BIO pair per side (the SSL holds one half, the test the other)
 *                           with 1-, 17- or 16384-byte buffers, and a hand pump in one thread
 *                           moving bytes between the network halves through a wire queue.
 *   trickle1, trickle-rand  memory BIOs per direction; the pump delivers the peer's bytes one
 *                           at a time or in seeded-random pieces (1..700 bytes).
 *
 * On every transport each intermediate return is checked: -1 (0 for SSL_shutdown's "sent"),
 * SSL_get_error WANT_READ or WANT_WRITE, and an empty error queue. On the pumped transports,
 * after each WANT the same call is repeated at once with nothing changed and must make no
 * progress (no byte read or written, the same answer); a side is called again only when its
 * input grew or its output drained, and that call must then move bytes — never a busy loop.
 * On the polled sockets a call made after poll() reported readiness must move bytes.
 *
 * Every side records its transcript (the msg callback's handshake, alert and CCS messages:
 * direction, type, length); the pumped transports also record every record on the wire
 * (content type, length) per direction. The tests compare these between transports.
 *
 * Failures are collected as text in the result (threads cannot use cmocka's assertions); the
 * tests assert on them in the main thread.
 */
#ifndef CLASP_TEST_CONTRACT_H
#define CLASP_TEST_CONTRACT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "pki.h"
#include "probe_bio.h"

/* ---- versions ---------------------------------------------------------------------------- */

/* "tls13" / "tls12". */
const char *clasp_ct_version_name(int version);

/*
 * 1 if the library under test completes a handshake with min = max = `version` (a probe over
 * an in-memory BIO pair, done once per version and process). Never decided by #ifdef.
 */
int clasp_ct_version_supported(int version);

/*
 * Contexts pinned to one version. The server: `key`'s good leaf with the intermediate; the
 * client trusts the test root and verifies the peer (SSL_VERIFY_PEER, host "localhost" is set
 * on each SSL by the runner). With `generic`, both come from TLS_method() so that only
 * SSL_connect / SSL_accept / SSL_set_*_state give the role. NULL on failure.
 */
SSL_CTX *clasp_ct_server_ctx(int version, clasp_test_key key, int generic);
SSL_CTX *clasp_ct_client_ctx(int version, int generic);

/* ---- transports -------------------------------------------------------------------------- */

typedef enum {
    CLASP_CT_BLOCK_TCP,
    CLASP_CT_BLOCK_UNIX,
    CLASP_CT_POLL_TCP,
    CLASP_CT_POLL_UNIX,
    CLASP_CT_PAIR_1,
    CLASP_CT_PAIR_17,
    CLASP_CT_PAIR_16K,
    CLASP_CT_TRICKLE_1,
    CLASP_CT_TRICKLE_RANDOM,
    CLASP_CT_NUM_TRANSPORTS
} clasp_ct_transport;

const char *clasp_ct_transport_name(clasp_ct_transport t);
int clasp_ct_transport_is_socket(clasp_ct_transport t);
int clasp_ct_transport_is_blocking(clasp_ct_transport t);

/* ---- steps ------------------------------------------------------------------------------- */

typedef enum {
    CLASP_CT_END = 0,
    CLASP_CT_HANDSHAKE,       /* SSL_do_handshake until 1 */
    CLASP_CT_CONNECT,         /* SSL_connect until 1 */
    CLASP_CT_ACCEPT,          /* SSL_accept until 1 */
    CLASP_CT_HANDSHAKE_STEP,  /* SSL_do_handshake until WANT_READ after >= `len` bytes written */
    CLASP_CT_WRITE,           /* SSL_write `len` bytes of the direction's pattern */
    CLASP_CT_READ,            /* SSL_read until `len` bytes, checked against the pattern */
    CLASP_CT_READ_EOF,        /* SSL_read until 0 with SSL_ERROR_ZERO_RETURN */
    CLASP_CT_SHUTDOWN,        /* SSL_shutdown until it returns `arg` (0: sent; 1: complete) */
    CLASP_CT_KEY_UPDATE,      /* SSL_key_update(arg) must return 1 */
    CLASP_CT_EXPECT_SHUTDOWN, /* SSL_get_shutdown() must be `arg` */
    CLASP_CT_EXPECT_DONE,     /* handshake finished: version, verify result OK, not in init */
    CLASP_CT_RAW,             /* write `len` bytes from `raw` to the transport, not via SSL */
    CLASP_CT_CLOSE,           /* close the sending direction of the transport (peer sees EOF) */
    CLASP_CT_RESET,           /* once input is waiting, abort the transport (peer: error) */
    CLASP_CT_WAIT_PEER_CLOSE, /* sockets: wait until the peer shut its sending direction */
} clasp_ct_kind;

/*
 * One step. By default it must succeed. With expect_err != 0 its SSL call must instead end
 * with that SSL_get_error value and return `arg`, after only WANT_* before; with
 * expect_reason != 0 the error queue must hold exactly one ERR_LIB_SSL error, last:
 * expect_reason (or alt_reason, if not 0), preceded by nothing but lower-layer causes (OpenSSL
 * 3.0 queues the provider's "cipher operation failed" before a TLS 1.2 bad_record_mac); with
 * expect_reason == 0 the queue must be empty. The step then counts as done and the script
 * goes on.
 *
 * alt_reason is for a peer's alert that a full transport may swallow: a side that fails
 * sends its alert once, and on a BIO that cannot take it at that moment it is lost (OpenSSL
 * and Clasp alike); the failing side then closes, and the peer sees EOF instead.
 */
typedef struct {
    clasp_ct_kind kind;
    size_t len;
    int arg;
    int expect_err;
    int expect_reason;
    const unsigned char *raw;
    int alt_reason;
} clasp_ct_step;

/* Step constructors for the scripts' static tables. */
/* clang-format off */
#define CT_HS {CLASP_CT_HANDSHAKE, 0, 0, 0, 0, NULL, 0}
#define CT_CONNECT {CLASP_CT_CONNECT, 0, 0, 0, 0, NULL, 0}
#define CT_ACCEPT {CLASP_CT_ACCEPT, 0, 0, 0, 0, NULL, 0}
#define CT_HS_STEP(min_written) {CLASP_CT_HANDSHAKE_STEP, (min_written), 0, 0, 0, NULL, 0}
#define CT_HS_FAILS(err, reason) {CLASP_CT_HANDSHAKE, 0, -1, (err), (reason), NULL, 0}
#define CT_HS_FAILS_ALT(err, reason, alt) {CLASP_CT_HANDSHAKE, 0, -1, (err), (reason), NULL, (alt)}
#define CT_WRITE(n) {CLASP_CT_WRITE, (n), 0, 0, 0, NULL, 0}
#define CT_READ(n) {CLASP_CT_READ, (n), 0, 0, 0, NULL, 0}
#define CT_READ_FAILS(ret, err, reason) {CLASP_CT_READ, 1, (ret), (err), (reason), NULL, 0}
#define CT_READ_FAILS_ALT(ret, err, reason, alt) \
    {CLASP_CT_READ, 1, (ret), (err), (reason), NULL, (alt)}
#define CT_READ_EOF {CLASP_CT_READ_EOF, 0, 0, 0, 0, NULL, 0}
#define CT_SHUTDOWN(ret) {CLASP_CT_SHUTDOWN, 0, (ret), 0, 0, NULL, 0}
#define CT_KEY_UPDATE(type) {CLASP_CT_KEY_UPDATE, 0, (type), 0, 0, NULL, 0}
#define CT_EXPECT_SHUTDOWN(flags) {CLASP_CT_EXPECT_SHUTDOWN, 0, (flags), 0, 0, NULL, 0}
#define CT_EXPECT_DONE {CLASP_CT_EXPECT_DONE, 0, 0, 0, 0, NULL, 0}
#define CT_RAW(bytes) {CLASP_CT_RAW, sizeof(bytes), 0, 0, 0, (bytes), 0}
#define CT_CLOSE {CLASP_CT_CLOSE, 0, 0, 0, 0, NULL, 0}
#define CT_RESET {CLASP_CT_RESET, 0, 0, 0, 0, NULL, 0}
/* The pump needs no such wait: in one thread, a side's earlier steps ran before the peer's. */
#define CT_WAIT_PEER_CLOSE {CLASP_CT_WAIT_PEER_CLOSE, 0, 0, 0, 0, NULL, 0}
#define CT_END {CLASP_CT_END, 0, 0, 0, 0, NULL, 0}
/* clang-format on */

/* ---- transcripts ------------------------------------------------------------------------- */

#define CLASP_CT_MAX_MSGS 96
#define CLASP_CT_MAX_RECORDS 512

typedef struct {
    uint8_t write_p, content_type, msg_type; /* msg_type: handshake type or alert description */
    uint32_t len;
} clasp_ct_msg;

typedef struct {
    clasp_ct_msg msgs[CLASP_CT_MAX_MSGS];
    int num;
    int overflow;
} clasp_ct_transcript;

typedef struct {
    uint8_t type;
    uint16_t len;
} clasp_ct_record;

/* The records of one direction as the pump carried them. */
typedef struct {
    clasp_ct_record recs[CLASP_CT_MAX_RECORDS];
    int num;
    int overflow;
} clasp_ct_wire;

/* ---- tampering (pumped transports) ------------------------------------------------------- */

/*
 * Called with each complete record the pump carries, before the peer sees it; may change its
 * bytes in place (not its length). `c2s`: client to server. `index`: the record's number in
 * its direction, from 0.
 */
typedef void (*clasp_ct_tamper_fn)(void *arg, int c2s, int index, unsigned char *rec, size_t len);

/* ---- a run ------------------------------------------------------------------------------- */

typedef struct clasp_ct_run clasp_ct_run;

typedef struct {
    clasp_ct_transport transport;
    int version;
    SSL_CTX *cctx, *sctx;
    int no_role;               /* do not call SSL_set_connect/accept_state */
    uint32_t seed;             /* trickle-rand piece sizes (0: a fixed default) */
    size_t write_per_call;     /* pumped: probe BIO limit on every write (0: none) */
    long credit_per_round;     /* pumped: write credit granted per round (0: unlimited) */
    clasp_ct_tamper_fn tamper; /* pumped only */
    void *tamper_arg;
    void (*prepare)(clasp_ct_run *run, SSL *client, SSL *server, void *arg); /* before steps */
    void *prepare_arg;
} clasp_ct_config;

typedef struct {
    SSL *ssl;
    int is_client;
    const clasp_ct_step *steps;
    size_t step;
    int done;            /* every step passed */
    char failure[512];   /* the first failure, empty if none */
    unsigned long calls; /* SSL I/O calls */
    unsigned long want_read, want_write, probes;
    clasp_ct_transcript transcript;
    clasp_probe_stats io;     /* pumped transports: the SSL's BIO calls and bytes */
    unsigned long last_error; /* the error of the last expected failure, 0 if none */
} clasp_ct_side_result;

struct clasp_ct_run {
    clasp_ct_config cfg;
    clasp_ct_side_result client, server;
    clasp_ct_wire c2s, s2c; /* pumped transports only */
    unsigned long rounds;
    void *priv; /* the transport's state */
};

/*
 * Runs the two scripts over the configured transport. Returns 1 if both sides completed every
 * step; otherwise 0 with the reasons in run->client.failure / run->server.failure. The SSLs
 * stay alive for inspection until clasp_ct_run_free.
 */
int clasp_ct_run_steps(clasp_ct_run *run, const clasp_ct_config *cfg, const clasp_ct_step *client,
                       const clasp_ct_step *server);

/* Frees the SSLs and the transport. */
void clasp_ct_run_free(clasp_ct_run *run);

/* Prints both sides' failures and statistics to stderr (for a failing test). */
void clasp_ct_run_print(const clasp_ct_run *run);

/* The pumped transport's probe stats of one side (NULL over sockets). */
clasp_probe_stats *clasp_ct_probe(clasp_ct_run *run, int client);

/* ---- transcript inspection --------------------------------------------------------------- */

/*
 * 1 if the two transcripts hold the same messages (direction, content type, type, length) in
 * the same order per direction; otherwise 0, printing the first difference under `what`.
 * NewSessionTicket lengths are not compared (OpenSSL's vary from run to run).
 */
int clasp_ct_transcripts_equal(const char *what, const clasp_ct_transcript *a,
                               const clasp_ct_transcript *b);

/*
 * 1 if the two record sequences are the same, else 0 with the first difference printed.
 * With ticket_slack (the server's direction), lengths may differ by whole 16-byte blocks: the
 * records carrying OpenSSL's NewSessionTickets do from run to run.
 */
int clasp_ct_wires_equal(const char *what, const clasp_ct_wire *a, const clasp_ct_wire *b,
                         int ticket_slack);

/* Number of messages with this direction (1 = written), content type and type. */
int clasp_ct_count(const clasp_ct_transcript *t, int write_p, int content_type, int msg_type);

/* Prints a transcript to stderr. */
void clasp_ct_transcript_print(const char *who, const clasp_ct_transcript *t);

#endif

/*
 * Drives a client and a server SSL in one thread, in memory.
 *
 * Two transports:
 *  - pair:    BIO_new_bio_pair with a configurable buffer size (1 byte, 17 bytes, 16 KiB ...);
 *             each SSL owns one end. What one side writes is at once readable by the other.
 *  - trickle: two independent memory BIOs per SSL (BIO_s_mem, empty read = retry; installed
 *             with SSL_set0_rbio / SSL_set0_wbio). The pump
 *             moves what one side wrote to the other's read BIO in pieces of one byte
 *             (max_piece == 1) or of seeded-random size 1..max_piece, so every point at which
 *             the peer may have to stop and resume is exercised. The moved bytes can be
 *             captured for inspection of the plaintext records.
 *
 * The pump runs one operation per side (handshake, read, write, shutdown ...), calling each
 * side once per round and obeying SSL_get_error: only SSL_ERROR_WANT_READ/WANT_WRITE go on.
 * It stops when both operations are finished, or when no byte moved and nothing finished for
 * `stall_limit` rounds (the unfinished operations are then marked stalled).
 *
 * Every call clears the thread's error queue first and drains it into the operation after a
 * failure: both SSLs share one error queue, and a stale entry would turn the other side's
 * SSL_get_error into SSL_ERROR_SSL.
 */
#ifndef CLASP_TEST_PUMP_H
#define CLASP_TEST_PUMP_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>

typedef enum {
    CLASP_TEST_OP_IDLE,      /* nothing; drains incoming records (SSL_peek) if the peer is stuck */
    CLASP_TEST_OP_HANDSHAKE, /* SSL_do_handshake until 1 */
    CLASP_TEST_OP_CONNECT,   /* SSL_connect until 1 */
    CLASP_TEST_OP_ACCEPT,    /* SSL_accept until 1 */
    CLASP_TEST_OP_WRITE,     /* SSL_write_ex until len bytes are written */
    CLASP_TEST_OP_READ,      /* SSL_read_ex until len bytes are read */
    CLASP_TEST_OP_READ_EOF,  /* SSL_read_ex until it fails; ok if with SSL_ERROR_ZERO_RETURN */
    CLASP_TEST_OP_SHUTDOWN,  /* SSL_shutdown until 1 */
} clasp_test_op_kind;

#define CLASP_TEST_MAX_ERRS 8

typedef struct {
    clasp_test_op_kind kind;
    const unsigned char *wbuf; /* OP_WRITE */
    unsigned char *rbuf;       /* OP_READ / OP_READ_EOF */
    size_t len;                /* bytes to write / capacity of rbuf */
    size_t done;               /* bytes written / read so far */

    int finished;      /* 1 once the operation succeeded, failed or stalled */
    int ok;            /* 1 if it succeeded */
    int stalled;       /* 1 if the pump gave up on it */
    int ret;           /* return value of the last SSL call */
    int err;           /* SSL_get_error for that return value */
    int first_ret;     /* return value of the first SSL call (SSL_shutdown's 0) */
    unsigned long calls; /* SSL calls made for this operation */
    unsigned long errs[CLASP_TEST_MAX_ERRS]; /* error queue after the failing call, oldest first */
    int num_errs;
} clasp_test_op;

typedef enum {
    CLASP_TEST_PAIR,
    CLASP_TEST_TRICKLE,
    CLASP_TEST_EXTERNAL /* the caller's BIOs (e.g. SSL_set_fd): the pump only calls the SSLs */
} clasp_test_transport;

typedef struct {
    unsigned char *data;
    size_t len, cap;
} clasp_test_buf;

typedef struct {
    SSL *client, *server;
    clasp_test_transport transport;
    BIO *client_end, *server_end;   /* pair: the SSLs' BIOs (owned by the SSLs) */
    BIO *client_in, *client_out;    /* trickle: owned by the client SSL */
    BIO *server_in, *server_out;    /* trickle: owned by the server SSL */
    size_t max_piece;               /* trickle: 1 = one byte at a time */
    int random_pieces;              /* trickle: piece sizes 1..max_piece from rng */
    uint32_t rng;
    unsigned long rounds;           /* rounds made by all pumps on this link */
    unsigned long stall_limit;      /* rounds without progress before giving up */
    int capture;                    /* trickle: append moved bytes to c2s / s2c */
    clasp_test_buf c2s, s2c;
} clasp_test_link;

/*
 * Creates client and server SSLs from the contexts (connect / accept state set) and joins
 * them by a BIO pair whose buffers hold `bufsize` bytes each. 1 on success.
 */
int clasp_test_link_pair(clasp_test_link *link, SSL_CTX *cctx, SSL_CTX *sctx, size_t bufsize);

/*
 * The same over the trickle transport: pieces of max_piece bytes if seed == 0, else of random
 * size 1..max_piece drawn from a PRNG seeded with `seed`. 1 on success.
 */
int clasp_test_link_trickle(clasp_test_link *link, SSL_CTX *cctx, SSL_CTX *sctx,
                            size_t max_piece, uint32_t seed);

/* As above, but joins SSLs made by the caller (ownership passes to the link; no state set). */
int clasp_test_link_pair_ssl(clasp_test_link *link, SSL *client, SSL *server, size_t bufsize);
int clasp_test_link_trickle_ssl(clasp_test_link *link, SSL *client, SSL *server,
                                size_t max_piece, uint32_t seed);

/* Joins SSLs whose BIOs the caller already set (e.g. SSL_set_fd on a socketpair). */
int clasp_test_link_external(clasp_test_link *link, SSL *client, SSL *server);

/* Frees both SSLs (and with them their BIOs) and the capture buffers. */
void clasp_test_link_free(clasp_test_link *link);

/* Operation constructors. */
clasp_test_op clasp_test_op_new(clasp_test_op_kind kind);
clasp_test_op clasp_test_op_write(const void *buf, size_t len);
clasp_test_op clasp_test_op_read(void *buf, size_t len);

/* Runs both operations until they are finished; 1 if both succeeded. */
int clasp_test_pump(clasp_test_link *link, clasp_test_op *client_op, clasp_test_op *server_op);

/* Handshake on both sides; 1 if both succeeded. */
int clasp_test_handshake(clasp_test_link *link);

/*
 * Sends len pseudo-random bytes from one side to the other and checks they arrive intact.
 * 1 on success.
 */
int clasp_test_transfer(clasp_test_link *link, int client_to_server, size_t len);

/* Library + reason of the first saved error of op, 0 if none. */
unsigned long clasp_test_op_first_err(const clasp_test_op *op);

/* 1 if any saved error of op has this library and reason. */
int clasp_test_op_has_reason(const clasp_test_op *op, int lib, int reason);

/* Prints the saved error queue of op to stderr (for diagnosing a failing test). */
void clasp_test_op_print(const char *who, const clasp_test_op *op);

/*
 * Counts the handshake messages of type msg_type in the plaintext handshake records (content
 * type 22) of a captured byte stream; stops at the first malformed or truncated record.
 */
int clasp_test_count_plain_hs(const clasp_test_buf *stream, uint8_t msg_type);

/*
 * Counts the records of the given content type in a captured stream, starting at byte offset
 * `from`, which must be a record boundary.
 */
int clasp_test_count_records(const clasp_test_buf *stream, size_t from, uint8_t content_type);

/* 1 if the captured server stream holds a HelloRetryRequest (RFC 9846 §4.2.4). */
int clasp_test_has_hrr(const clasp_test_buf *s2c);

/* Fills buf with a deterministic byte pattern derived from seed. */
void clasp_test_fill(unsigned char *buf, size_t len, uint32_t seed);

#endif

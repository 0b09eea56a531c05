/* In-memory client/server pump: see pump.h. */
#include "pump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#define DEFAULT_STALL_LIMIT 64

/* ---- links ------------------------------------------------------------------------------ */

static void link_reset(clasp_test_link *link, SSL *client, SSL *server)
{
    memset(link, 0, sizeof(*link));
    link->client = client;
    link->server = server;
    link->stall_limit = DEFAULT_STALL_LIMIT;
}

int clasp_test_link_pair_ssl(clasp_test_link *link, SSL *client, SSL *server, size_t bufsize)
{
    link_reset(link, client, server);
    link->transport = CLASP_TEST_PAIR;
    if (client == NULL || server == NULL ||
        BIO_new_bio_pair(&link->client_end, bufsize, &link->server_end, bufsize) != 1) {
        return 0;
    }
    /* One BIO as both rbio and wbio: SSL_set_bio takes a single reference. */
    SSL_set_bio(client, link->client_end, link->client_end);
    SSL_set_bio(server, link->server_end, link->server_end);
    return 1;
}

static BIO *new_mem_bio(void)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio != NULL) {
        /* An empty read is "try again", not end of file. */
        BIO_set_mem_eof_return(bio, -1);
    }
    return bio;
}

int clasp_test_link_trickle_ssl(clasp_test_link *link, SSL *client, SSL *server,
                                size_t max_piece, uint32_t seed)
{
    link_reset(link, client, server);
    link->transport = CLASP_TEST_TRICKLE;
    link->max_piece = max_piece > 0 ? max_piece : 1;
    link->random_pieces = seed != 0;
    link->rng = seed;
    if (client == NULL || server == NULL) {
        return 0;
    }
    link->client_in = new_mem_bio();
    link->client_out = new_mem_bio();
    link->server_in = new_mem_bio();
    link->server_out = new_mem_bio();
    if (link->client_in == NULL || link->client_out == NULL || link->server_in == NULL ||
        link->server_out == NULL) {
        BIO_free(link->client_in);
        BIO_free(link->client_out);
        BIO_free(link->server_in);
        BIO_free(link->server_out);
        link->client_in = link->client_out = link->server_in = link->server_out = NULL;
        return 0;
    }
    /* set0 each BIO on its own (SSL_set_bio is what the pair transport uses). */
    SSL_set0_rbio(client, link->client_in);
    SSL_set0_wbio(client, link->client_out);
    SSL_set0_rbio(server, link->server_in);
    SSL_set0_wbio(server, link->server_out);
    return 1;
}

int clasp_test_link_external(clasp_test_link *link, SSL *client, SSL *server)
{
    link_reset(link, client, server);
    link->transport = CLASP_TEST_EXTERNAL;
    return client != NULL && server != NULL;
}

/* New client and server SSLs in connect / accept state; 1 on success. */
static int new_ssls(SSL_CTX *cctx, SSL_CTX *sctx, SSL **client, SSL **server)
{
    *client = SSL_new(cctx);
    *server = SSL_new(sctx);
    if (*client == NULL || *server == NULL) {
        SSL_free(*client);
        SSL_free(*server);
        *client = *server = NULL;
        return 0;
    }
    SSL_set_connect_state(*client);
    SSL_set_accept_state(*server);
    return 1;
}

int clasp_test_link_pair(clasp_test_link *link, SSL_CTX *cctx, SSL_CTX *sctx, size_t bufsize)
{
    SSL *client, *server;
    if (!new_ssls(cctx, sctx, &client, &server)) {
        link_reset(link, NULL, NULL);
        return 0;
    }
    if (!clasp_test_link_pair_ssl(link, client, server, bufsize)) {
        clasp_test_link_free(link);
        return 0;
    }
    return 1;
}

int clasp_test_link_trickle(clasp_test_link *link, SSL_CTX *cctx, SSL_CTX *sctx,
                            size_t max_piece, uint32_t seed)
{
    SSL *client, *server;
    if (!new_ssls(cctx, sctx, &client, &server)) {
        link_reset(link, NULL, NULL);
        return 0;
    }
    if (!clasp_test_link_trickle_ssl(link, client, server, max_piece, seed)) {
        clasp_test_link_free(link);
        return 0;
    }
    return 1;
}

void clasp_test_link_free(clasp_test_link *link)
{
    SSL_free(link->client);
    SSL_free(link->server);
    free(link->c2s.data);
    free(link->s2c.data);
    memset(link, 0, sizeof(*link));
}

/* ---- operations ------------------------------------------------------------------------- */

clasp_test_op clasp_test_op_new(clasp_test_op_kind kind)
{
    clasp_test_op op;
    memset(&op, 0, sizeof(op));
    op.kind = kind;
    if (kind == CLASP_TEST_OP_IDLE) {
        op.finished = 1;
        op.ok = 1;
    }
    return op;
}

clasp_test_op clasp_test_op_write(const void *buf, size_t len)
{
    clasp_test_op op = clasp_test_op_new(CLASP_TEST_OP_WRITE);
    op.wbuf = buf;
    op.len = len;
    return op;
}

clasp_test_op clasp_test_op_read(void *buf, size_t len)
{
    clasp_test_op op = clasp_test_op_new(CLASP_TEST_OP_READ);
    op.rbuf = buf;
    op.len = len;
    return op;
}

/* Moves the failing call's error queue into op (oldest first), leaving the queue empty. */
static void save_errors(clasp_test_op *op)
{
    unsigned long e;
    op->num_errs = 0;
    while ((e = ERR_get_error()) != 0) {
        if (op->num_errs < CLASP_TEST_MAX_ERRS) {
            op->errs[op->num_errs++] = e;
        }
    }
}

/* One SSL call for op. Returns its result; *success is set when the operation is complete. */
static int call_op(SSL *ssl, clasp_test_op *op, int *success)
{
    size_t n = 0;
    int r;
    *success = 0;
    switch (op->kind) {
    case CLASP_TEST_OP_HANDSHAKE:
        r = SSL_do_handshake(ssl);
        *success = r == 1;
        return r;
    case CLASP_TEST_OP_CONNECT:
        r = SSL_connect(ssl);
        *success = r == 1;
        return r;
    case CLASP_TEST_OP_ACCEPT:
        r = SSL_accept(ssl);
        *success = r == 1;
        return r;
    case CLASP_TEST_OP_WRITE:
        /* After a retry the same buffer and length are passed again, as SSL_write requires. */
        r = SSL_write_ex(ssl, op->wbuf + op->done, op->len - op->done, &n);
        op->done += r == 1 ? n : 0;
        *success = op->done == op->len;
        return r;
    case CLASP_TEST_OP_READ:
    case CLASP_TEST_OP_READ_EOF:
        r = SSL_read_ex(ssl, op->rbuf + op->done, op->len - op->done, &n);
        op->done += r == 1 ? n : 0;
        *success = op->kind == CLASP_TEST_OP_READ && op->done == op->len;
        return r;
    case CLASP_TEST_OP_SHUTDOWN:
        r = SSL_shutdown(ssl);
        *success = r == 1;
        return r;
    default:
        return 0;
    }
}

static void finish(clasp_test_op *op, int ok)
{
    op->finished = 1;
    op->ok = ok;
}

static void step_op(SSL *ssl, clasp_test_op *op)
{
    int success;
    ERR_clear_error();
    int r = call_op(ssl, op, &success);
    op->ret = r;
    if (op->calls++ == 0) {
        op->first_ret = r;
    }
    op->err = SSL_ERROR_NONE;
    if (success) {
        finish(op, 1);
        return;
    }
    /* A successful partial read or write, or SSL_shutdown's "sent, not yet received". */
    if (r == 1 || (op->kind == CLASP_TEST_OP_SHUTDOWN && r == 0)) {
        if (op->kind == CLASP_TEST_OP_READ_EOF && op->done == op->len) {
            finish(op, 0); /* more data than the caller expected */
        }
        return;
    }
    op->err = SSL_get_error(ssl, r);
    if (op->err == SSL_ERROR_WANT_READ || op->err == SSL_ERROR_WANT_WRITE) {
        return;
    }
    if (op->kind == CLASP_TEST_OP_READ_EOF && op->err == SSL_ERROR_ZERO_RETURN) {
        finish(op, 1);
        return;
    }
    save_errors(op);
    finish(op, 0);
}

/*
 * A side with nothing (left) to do still reads the records the peer is trying to send, so a
 * peer blocked on a full BIO pair (e.g. a server writing NewSessionTickets after its
 * handshake) can finish. SSL_peek leaves any application data in place.
 */
static void drain(SSL *ssl)
{
    unsigned char byte;
    size_t n;
    ERR_clear_error();
    (void)SSL_peek_ex(ssl, &byte, 1, &n);
    ERR_clear_error();
}

static void step_side(SSL *ssl, clasp_test_op *op, const clasp_test_op *peer)
{
    if (!op->finished) {
        step_op(ssl, op);
        return;
    }
    if (op->ok && !peer->finished && peer->err == SSL_ERROR_WANT_WRITE) {
        drain(ssl);
    }
}

/* ---- transport -------------------------------------------------------------------------- */

static uint32_t next_random(uint32_t *state)
{
    /* xorshift32: deterministic piece sizes for a given seed. */
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

static int buf_append(clasp_test_buf *buf, const unsigned char *data, size_t len)
{
    if (buf->len + len > buf->cap) {
        size_t cap = buf->cap * 2 > buf->len + len ? buf->cap * 2 : buf->len + len + 4096;
        unsigned char *p = realloc(buf->data, cap);
        if (p == NULL) {
            return 0;
        }
        buf->data = p;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    return 1;
}

/* Moves one piece from src to dst; returns the number of bytes moved. */
static size_t move_piece(clasp_test_link *link, BIO *src, BIO *dst, clasp_test_buf *capture)
{
    unsigned char tmp[16384];
    size_t pending = BIO_ctrl_pending(src);
    size_t piece = link->max_piece;
    if (link->random_pieces) {
        piece = 1 + next_random(&link->rng) % link->max_piece;
    }
    if (piece > pending) {
        piece = pending;
    }
    if (piece > sizeof(tmp)) {
        piece = sizeof(tmp);
    }
    if (piece == 0) {
        return 0;
    }
    int n = BIO_read(src, tmp, (int)piece);
    if (n <= 0) {
        return 0;
    }
    if (BIO_write(dst, tmp, n) != n) {
        return 0;
    }
    if (link->capture) {
        (void)buf_append(capture, tmp, (size_t)n);
    }
    return (size_t)n;
}

static uint64_t bio_traffic(BIO *bio)
{
    return bio == NULL ? 0 : BIO_number_read(bio) + BIO_number_written(bio);
}

static uint64_t ssl_traffic(const SSL *ssl)
{
    return bio_traffic(SSL_get_rbio(ssl)) + bio_traffic(SSL_get_wbio(ssl));
}

/* A number that grows whenever anything happened: bytes moved or consumed, work done. */
static uint64_t progress_mark(const clasp_test_link *link, const clasp_test_op *a,
                              const clasp_test_op *b)
{
    uint64_t mark = ssl_traffic(link->client) + ssl_traffic(link->server);
    return mark + a->done + b->done + (uint64_t)a->finished + (uint64_t)b->finished;
}

int clasp_test_pump(clasp_test_link *link, clasp_test_op *client_op, clasp_test_op *server_op)
{
    unsigned long idle_rounds = 0;
    uint64_t mark = progress_mark(link, client_op, server_op);
    while (!client_op->finished || !server_op->finished) {
        link->rounds++;
        step_side(link->client, client_op, server_op);
        if (link->transport == CLASP_TEST_TRICKLE) {
            move_piece(link, link->client_out, link->server_in, &link->c2s);
        }
        step_side(link->server, server_op, client_op);
        if (link->transport == CLASP_TEST_TRICKLE) {
            move_piece(link, link->server_out, link->client_in, &link->s2c);
        }
        uint64_t now = progress_mark(link, client_op, server_op);
        idle_rounds = now == mark ? idle_rounds + 1 : 0;
        mark = now;
        if (idle_rounds >= link->stall_limit) {
            clasp_test_op *ops[2] = {client_op, server_op};
            for (int i = 0; i < 2; i++) {
                if (!ops[i]->finished) {
                    ops[i]->stalled = 1;
                    finish(ops[i], 0);
                }
            }
        }
    }
    return client_op->ok && server_op->ok;
}

int clasp_test_handshake(clasp_test_link *link)
{
    clasp_test_op c = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    clasp_test_op s = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    int ok = clasp_test_pump(link, &c, &s);
    if (!ok) {
        clasp_test_op_print("client", &c);
        clasp_test_op_print("server", &s);
    }
    return ok;
}

void clasp_test_fill(unsigned char *buf, size_t len, uint32_t seed)
{
    uint32_t state = seed != 0 ? seed : 0x9e3779b9u;
    for (size_t i = 0; i < len; i++) {
        buf[i] = (unsigned char)next_random(&state);
    }
}

int clasp_test_transfer(clasp_test_link *link, int client_to_server, size_t len)
{
    unsigned char *out = malloc(len > 0 ? len : 1);
    unsigned char *in = malloc(len > 0 ? len : 1);
    int ok = 0;
    if (out != NULL && in != NULL) {
        clasp_test_fill(out, len, (uint32_t)len * 2654435761u + 1);
        memset(in, 0, len);
        clasp_test_op w = clasp_test_op_write(out, len);
        clasp_test_op r = clasp_test_op_read(in, len);
        ok = client_to_server ? clasp_test_pump(link, &w, &r) : clasp_test_pump(link, &r, &w);
        if (!ok) {
            clasp_test_op_print("writer", &w);
            clasp_test_op_print("reader", &r);
        }
        ok = ok && memcmp(out, in, len) == 0;
    }
    free(out);
    free(in);
    return ok;
}

/* ---- inspection ------------------------------------------------------------------------- */

unsigned long clasp_test_op_first_err(const clasp_test_op *op)
{
    return op->num_errs > 0 ? op->errs[0] : 0;
}

int clasp_test_op_has_reason(const clasp_test_op *op, int lib, int reason)
{
    for (int i = 0; i < op->num_errs; i++) {
        if (ERR_GET_LIB(op->errs[i]) == lib && ERR_GET_REASON(op->errs[i]) == reason) {
            return 1;
        }
    }
    return 0;
}

void clasp_test_op_print(const char *who, const clasp_test_op *op)
{
    char text[256];
    fprintf(stderr, "# %s: kind=%d finished=%d ok=%d stalled=%d ret=%d err=%d calls=%lu done=%zu\n",
            who, (int)op->kind, op->finished, op->ok, op->stalled, op->ret, op->err, op->calls,
            op->done);
    for (int i = 0; i < op->num_errs; i++) {
        ERR_error_string_n(op->errs[i], text, sizeof(text));
        fprintf(stderr, "#   %s\n", text);
    }
}

/* Concatenates the payloads of the plaintext handshake records (type 22) of a stream. */
static int plain_hs_bytes(const clasp_test_buf *stream, clasp_test_buf *out)
{
    size_t pos = 0;
    while (stream->len - pos >= 5) {
        const unsigned char *rec = stream->data + pos;
        size_t len = ((size_t)rec[3] << 8) | rec[4];
        if (stream->len - pos - 5 < len) {
            break;
        }
        /* In TLS 1.3 everything after the hellos is an application_data record (§5.2). */
        if (rec[0] == 22 && !buf_append(out, rec + 5, len)) {
            return 0;
        }
        pos += 5 + len;
    }
    return 1;
}

/* Calls fn on each complete handshake message; stops early if fn returns 0. */
static void each_plain_hs(const clasp_test_buf *stream, int (*fn)(const unsigned char *msg,
                                                                   size_t len, void *arg),
                          void *arg)
{
    clasp_test_buf hs = {0};
    if (plain_hs_bytes(stream, &hs)) {
        size_t pos = 0;
        while (hs.len - pos >= 4) {
            const unsigned char *m = hs.data + pos;
            size_t len = ((size_t)m[1] << 16) | ((size_t)m[2] << 8) | m[3];
            if (hs.len - pos - 4 < len || !fn(m, len + 4, arg)) {
                break;
            }
            pos += 4 + len;
        }
    }
    free(hs.data);
}

struct count_arg {
    uint8_t type;
    int count;
};

static int count_one(const unsigned char *msg, size_t len, void *arg)
{
    struct count_arg *c = arg;
    c->count += msg[0] == c->type;
    return 1;
}

int clasp_test_count_plain_hs(const clasp_test_buf *stream, uint8_t msg_type)
{
    struct count_arg c = {msg_type, 0};
    each_plain_hs(stream, count_one, &c);
    return c.count;
}

/* RFC 9846 §4.2.3: a HelloRetryRequest is a ServerHello with this special random. */
static const unsigned char hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

static int find_hrr(const unsigned char *msg, size_t len, void *arg)
{
    int *found = arg;
    /* type(1) length(3) legacy_version(2) random(32) */
    if (msg[0] == 2 && len >= 4 + 2 + 32 && memcmp(msg + 6, hrr_random, 32) == 0) {
        *found = 1;
        return 0;
    }
    return 1;
}

int clasp_test_count_records(const clasp_test_buf *stream, size_t from, uint8_t content_type)
{
    int count = 0;
    size_t pos = from;
    while (pos <= stream->len && stream->len - pos >= 5) {
        const unsigned char *rec = stream->data + pos;
        size_t len = ((size_t)rec[3] << 8) | rec[4];
        if (stream->len - pos - 5 < len) {
            break;
        }
        count += rec[0] == content_type;
        pos += 5 + len;
    }
    return count;
}

int clasp_test_has_hrr(const clasp_test_buf *s2c)
{
    int found = 0;
    each_plain_hs(s2c, find_hrr, &found);
    return found;
}

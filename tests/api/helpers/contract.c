/* The SSL_do_handshake contract runner: see contract.h. */
#include "contract.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>

#define WAIT_MS 5000       /* a socket side waits this long for readiness */
#define SMALL_SOCKBUF 4096 /* poll-* transports: small kernel buffers, so writes block */
#define MAX_CALLS_PER_TURN 200000
#define MAX_ROUNDS 20000000UL
#define STALL_ROUNDS 4
#define MAX_RECORD (5 + 65535)

/* ---- versions and contexts --------------------------------------------------------------- */

const char *clasp_ct_version_name(int version)
{
    return version == TLS1_2_VERSION ? "tls12" : version == TLS1_3_VERSION ? "tls13" : "tls?";
}

static int pin_version(SSL_CTX *ctx, int version)
{
    return SSL_CTX_set_min_proto_version(ctx, version) == 1 &&
           SSL_CTX_set_max_proto_version(ctx, version) == 1;
}

SSL_CTX *clasp_ct_server_ctx(int version, clasp_test_key key, int generic)
{
    SSL_CTX *ctx = SSL_CTX_new(generic ? TLS_method() : TLS_server_method());
    if (ctx == NULL || !clasp_test_ctx_use_leaf(ctx, key, CLASP_TEST_LEAF_GOOD) ||
        !pin_version(ctx, version)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

SSL_CTX *clasp_ct_client_ctx(int version, int generic)
{
    SSL_CTX *ctx = SSL_CTX_new(generic ? TLS_method() : TLS_client_method());
    if (ctx == NULL || !clasp_test_ctx_trust_root(ctx) || !pin_version(ctx, version)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

/* A handshake over a BIO pair in memory: 1 if both sides finish. */
static int probe_handshake(SSL_CTX *cctx, SSL_CTX *sctx)
{
    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    BIO *cb = NULL, *sb = NULL;
    int c_ok = 0, s_ok = 0;
    if (c != NULL && s != NULL && BIO_new_bio_pair(&cb, 16384, &sb, 16384) == 1) {
        SSL_set_bio(c, cb, cb);
        SSL_set_bio(s, sb, sb);
        SSL_set_connect_state(c);
        SSL_set_accept_state(s);
        for (int i = 0; i < 100 && !(c_ok && s_ok); i++) {
            int rc = c_ok ? 1 : SSL_do_handshake(c);
            int rs = s_ok ? 1 : SSL_do_handshake(s);
            c_ok = rc == 1;
            s_ok = rs == 1;
            int ec = SSL_get_error(c, rc), es = SSL_get_error(s, rs);
            if ((!c_ok && ec != SSL_ERROR_WANT_READ && ec != SSL_ERROR_WANT_WRITE) ||
                (!s_ok && es != SSL_ERROR_WANT_READ && es != SSL_ERROR_WANT_WRITE)) {
                break;
            }
        }
    }
    SSL_free(c);
    SSL_free(s);
    ERR_clear_error();
    return c_ok && s_ok;
}

int clasp_ct_version_supported(int version)
{
    static int cache12 = -1, cache13 = -1;
    int *cache = version == TLS1_2_VERSION ? &cache12 : &cache13;
    if (*cache < 0) {
        SSL_CTX *cctx = clasp_ct_client_ctx(version, 0);
        SSL_CTX *sctx = clasp_ct_server_ctx(version, CLASP_TEST_KEY_P256, 0);
        *cache = cctx != NULL && sctx != NULL && probe_handshake(cctx, sctx);
        SSL_CTX_free(cctx);
        SSL_CTX_free(sctx);
        ERR_clear_error();
    }
    return *cache;
}

/* ---- transports -------------------------------------------------------------------------- */

static const char *const transport_names[CLASP_CT_NUM_TRANSPORTS] = {
    "block-tcp", "block-unix", "poll-tcp", "poll-unix",   "pair1",
    "pair17",    "pair16k",    "trickle1", "trickle-rand"};

const char *clasp_ct_transport_name(clasp_ct_transport t)
{
    return t < CLASP_CT_NUM_TRANSPORTS ? transport_names[t] : "?";
}

int clasp_ct_transport_is_socket(clasp_ct_transport t)
{
    return t <= CLASP_CT_POLL_UNIX;
}

int clasp_ct_transport_is_blocking(clasp_ct_transport t)
{
    return t == CLASP_CT_BLOCK_TCP || t == CLASP_CT_BLOCK_UNIX;
}

static int is_tcp(clasp_ct_transport t)
{
    return t == CLASP_CT_BLOCK_TCP || t == CLASP_CT_POLL_TCP;
}

/* A growable byte queue: the wire between the two network halves. Bytes are taken from
 * `head`, so delivering a large transfer byte by byte stays linear. */
typedef struct {
    unsigned char *data;
    size_t head, len, cap; /* the queued bytes are data[head .. len) */
} queue;

static size_t queue_size(const queue *q)
{
    return q->len - q->head;
}

static int queue_push(queue *q, const unsigned char *p, size_t n)
{
    if (q->head > 0 && q->len + n > q->cap) {
        memmove(q->data, q->data + q->head, q->len - q->head);
        q->len -= q->head;
        q->head = 0;
    }
    if (q->len + n > q->cap) {
        size_t cap = q->cap * 2 > q->len + n ? q->cap * 2 : q->len + n + 65536;
        unsigned char *d = realloc(q->data, cap);
        if (d == NULL) {
            return 0;
        }
        q->data = d;
        q->cap = cap;
    }
    memcpy(q->data + q->len, p, n);
    q->len += n;
    return 1;
}

static void queue_pop(queue *q, size_t n)
{
    q->head += n;
    if (q->head == q->len) {
        q->head = q->len = 0;
    }
}

/* One direction of the pumped wire: record assembly (capture, tamper), then the queue. */
typedef struct {
    unsigned char rec[MAX_RECORD];
    size_t have;
    int index;
    queue q;
    int closed;   /* the sender closed: EOF follows the queue */
    int eof_sent; /* ... and was delivered */
} direction;

/* Run-time state of one side. */
typedef struct side {
    clasp_ct_run *run;
    clasp_ct_side_result *res;
    SSL *ssl;
    struct side *peer;
    /* sockets */
    int fd;
    int nonblocking_now;
    /* pumped */
    BIO *net;                    /* pair: the test's half */
    BIO *in_mem, *out_mem;       /* trickle: what the SSL reads / writes */
    uint64_t delivered, drained; /* grow when the pump gave input / took output */
    int waiting;                 /* the SSL_ERROR_WANT_* the side waits on, 0 if none */
    uint64_t delivered_at_wait, drained_at_wait;
    int check_ready_call; /* the next call follows readiness: it must move bytes */
    /* the current step */
    size_t started_step;
    int step_fresh;
    unsigned char *wbuf;
    size_t wlen, wdone, rdone;
    uint64_t written_at_step;
    uint64_t sent, recvd; /* offsets in the data pattern of each direction */
    unsigned char rbuf[16384];
} side;

typedef struct {
    side client, server;
    direction c2s, s2c;
    uint32_t rng;
    int listen_fd;
} transport_state;

/* ---- failures ---------------------------------------------------------------------------- */

enum { R_PROGRESS, R_WANT_READ, R_WANT_WRITE, R_DONE, R_FAILED };

static void append_queue_text(char *out, size_t cap)
{
    unsigned long e;
    char text[200];
    while ((e = ERR_get_error()) != 0) {
        size_t used = strlen(out);
        ERR_error_string_n(e, text, sizeof(text));
        snprintf(out + used, cap - used, " [%s]", text);
    }
}

/* Records the side's first failure (with the error queue) and ends its script. */
static int fail(side *s, const char *fmt, ...)
{
    if (s->res->failure[0] == '\0') {
        char msg[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        snprintf(s->res->failure, sizeof(s->res->failure), "step %zu (%s): %s", s->res->step,
                 clasp_ct_transport_name(s->run->cfg.transport), msg);
        append_queue_text(s->res->failure, sizeof(s->res->failure));
    }
    ERR_clear_error();
    return R_FAILED;
}

static const char *err_name(int err)
{
    switch (err) {
    case SSL_ERROR_NONE:
        return "NONE";
    case SSL_ERROR_SSL:
        return "SSL";
    case SSL_ERROR_WANT_READ:
        return "WANT_READ";
    case SSL_ERROR_WANT_WRITE:
        return "WANT_WRITE";
    case SSL_ERROR_SYSCALL:
        return "SYSCALL";
    case SSL_ERROR_ZERO_RETURN:
        return "ZERO_RETURN";
    default:
        return "other";
    }
}

/* ---- transcripts ------------------------------------------------------------------------- */

static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len,
                   SSL *ssl, void *arg)
{
    clasp_ct_transcript *t = arg;
    const unsigned char *p = buf;
    (void)version;
    (void)ssl;
    /* Record headers and inner content types (256, 257) are framing, not messages. */
    if (content_type != SSL3_RT_CHANGE_CIPHER_SPEC && content_type != SSL3_RT_ALERT &&
        content_type != SSL3_RT_HANDSHAKE) {
        return;
    }
    if (t->num >= CLASP_CT_MAX_MSGS) {
        t->overflow = 1;
        return;
    }
    clasp_ct_msg *m = &t->msgs[t->num++];
    m->write_p = (uint8_t)(write_p != 0);
    m->content_type = (uint8_t)content_type;
    m->msg_type = len == 0 ? 0 : content_type == SSL3_RT_ALERT && len >= 2 ? p[1] : p[0];
    m->len = (uint32_t)len;
}

/*
 * Same message. A NewSessionTicket's length is not compared: the ticket is the server's
 * encrypted session state, and OpenSSL's varies from run to run by whole cipher blocks (its
 * DER encoding holds a random ticket_age_add).
 */
static int msg_equal(const clasp_ct_msg *a, const clasp_ct_msg *b)
{
    int ticket = a->content_type == SSL3_RT_HANDSHAKE && a->msg_type == SSL3_MT_NEWSESSION_TICKET;
    return a->write_p == b->write_p && a->content_type == b->content_type &&
           a->msg_type == b->msg_type && (ticket || a->len == b->len);
}

/* The i-th message of direction write_p, or NULL. */
static const clasp_ct_msg *nth(const clasp_ct_transcript *t, int write_p, int i)
{
    for (int k = 0; k < t->num; k++) {
        if (t->msgs[k].write_p == write_p && i-- == 0) {
            return &t->msgs[k];
        }
    }
    return NULL;
}

int clasp_ct_transcripts_equal(const char *what, const clasp_ct_transcript *a,
                               const clasp_ct_transcript *b)
{
    if (a->overflow || b->overflow) {
        fprintf(stderr, "# %s: transcript overflow\n", what);
        return 0;
    }
    for (int dir = 0; dir < 2; dir++) {
        for (int i = 0;; i++) {
            const clasp_ct_msg *x = nth(a, dir, i), *y = nth(b, dir, i);
            if (x == NULL && y == NULL) {
                break;
            }
            if (x == NULL || y == NULL || !msg_equal(x, y)) {
                fprintf(stderr,
                        "# %s: %s message %d differs: ct %d type %d len %u vs ct %d "
                        "type %d len %u\n",
                        what, dir ? "written" : "read", i, x ? x->content_type : -1,
                        x ? x->msg_type : -1, x ? x->len : 0, y ? y->content_type : -1,
                        y ? y->msg_type : -1, y ? y->len : 0);
                clasp_ct_transcript_print("a", a);
                clasp_ct_transcript_print("b", b);
                return 0;
            }
        }
    }
    return 1;
}

/* Same length, or (with ticket slack) different by whole 16-byte blocks: see msg_equal. */
static int record_len_equal(int a, int b, int ticket_slack)
{
    return a == b || (ticket_slack && (a > b ? a - b : b - a) % 16 == 0);
}

int clasp_ct_wires_equal(const char *what, const clasp_ct_wire *a, const clasp_ct_wire *b,
                         int ticket_slack)
{
    if (a->overflow || b->overflow) {
        fprintf(stderr, "# %s: record capture overflow\n", what);
        return 0;
    }
    int n = a->num > b->num ? a->num : b->num;
    for (int i = 0; i < n; i++) {
        if (i >= a->num || i >= b->num || a->recs[i].type != b->recs[i].type ||
            !record_len_equal(a->recs[i].len, b->recs[i].len, ticket_slack)) {
            fprintf(stderr, "# %s: record %d differs: type %d len %d vs type %d len %d\n", what, i,
                    i < a->num ? a->recs[i].type : -1, i < a->num ? a->recs[i].len : -1,
                    i < b->num ? b->recs[i].type : -1, i < b->num ? b->recs[i].len : -1);
            return 0;
        }
    }
    return 1;
}

int clasp_ct_count(const clasp_ct_transcript *t, int write_p, int content_type, int msg_type)
{
    int n = 0;
    for (int i = 0; i < t->num; i++) {
        const clasp_ct_msg *m = &t->msgs[i];
        n += m->write_p == write_p && m->content_type == content_type && m->msg_type == msg_type;
    }
    return n;
}

void clasp_ct_transcript_print(const char *who, const clasp_ct_transcript *t)
{
    fprintf(stderr, "# %s:", who);
    for (int i = 0; i < t->num; i++) {
        const clasp_ct_msg *m = &t->msgs[i];
        fprintf(stderr, " %s%d/%d(%u)", m->write_p ? ">" : "<", m->content_type, m->msg_type,
                m->len);
    }
    fprintf(stderr, "\n");
}

/* ---- the data pattern -------------------------------------------------------------------- */

static unsigned char pattern(uint64_t offset, int c2s)
{
    uint64_t x = offset * 0x9E3779B97F4A7C15ull + (c2s ? 0x5bd1e995u : 0x27d4eb2fu);
    return (unsigned char)(x >> 29 ^ x >> 47);
}

/* ---- socket helpers ---------------------------------------------------------------------- */

static uint64_t io_bytes_read(side *s)
{
    if (clasp_ct_transport_is_socket(s->run->cfg.transport)) {
        BIO *r = SSL_get_rbio(s->ssl);
        return r != NULL ? BIO_number_read(r) : 0;
    }
    return s->res->io.bytes_read;
}

static uint64_t io_bytes_written(side *s)
{
    if (clasp_ct_transport_is_socket(s->run->cfg.transport)) {
        BIO *w = SSL_get_wbio(s->ssl);
        return w != NULL ? BIO_number_written(w) : 0;
    }
    return s->res->io.bytes_written;
}

static uint64_t io_mark(side *s)
{
    return io_bytes_read(s) + io_bytes_written(s);
}

static int set_nonblocking(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) {
        return 0;
    }
    return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) == 0;
}

/* Waits until fd is ready for `events`; 1 if it is, 0 on timeout or error. */
static int wait_fd(int fd, short events)
{
    struct pollfd p = {fd, events, 0};
    int r;
    do {
        r = poll(&p, 1, WAIT_MS);
    } while (r < 0 && errno == EINTR);
    return r == 1;
}

static int raw_send(side *s, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!wait_fd(s->fd, POLLOUT)) {
                return 0;
            }
            continue;
        }
        if (w <= 0) {
            return 0;
        }
        p += w;
        n -= (size_t)w;
    }
    return 1;
}

/* Aborts a socket once input is waiting unread, so that the peer sees a reset. */
static int sock_reset(side *s)
{
    if (!wait_fd(s->fd, POLLIN)) {
        return 0;
    }
    if (is_tcp(s->run->cfg.transport)) {
        struct linger lg = {1, 0}; /* close() then sends RST */
        setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    /* AF_UNIX: closing with unread data gives the peer ECONNRESET. */
    close(s->fd);
    s->fd = -1;
    return 1;
}

/* Sockets: waits until the peer shut its sending direction (its data may still be unread). */
static int transport_wait_peer_close(side *s)
{
    if (!clasp_ct_transport_is_socket(s->run->cfg.transport)) {
        return 1;
    }
    return wait_fd(s->fd, POLLRDHUP);
}

/* ---- pumped transport operations --------------------------------------------------------- */

static direction *out_dir(side *s)
{
    transport_state *ts = s->run->priv;
    return s->res->is_client ? &ts->c2s : &ts->s2c;
}

static void assemble(side *from, const unsigned char *p, size_t n);
static int take_output(side *s);

static int transport_raw(side *s, const unsigned char *p, size_t n)
{
    if (clasp_ct_transport_is_socket(s->run->cfg.transport)) {
        return raw_send(s, p, n);
    }
    assemble(s, p, n);
    return 1;
}

static int transport_close(side *s)
{
    if (clasp_ct_transport_is_socket(s->run->cfg.transport)) {
        return shutdown(s->fd, SHUT_WR) == 0;
    }
    direction *d = out_dir(s);
    take_output(s);
    if (d->have > 0) {
        /* A record cut short by the close: the peer gets its first bytes, then EOF. */
        if (!queue_push(&d->q, d->rec, d->have)) {
            return 0;
        }
        d->have = 0;
    }
    d->closed = 1;
    return 1;
}

static int transport_reset(side *s)
{
    if (clasp_ct_transport_is_socket(s->run->cfg.transport)) {
        return sock_reset(s);
    }
    s->peer->res->io.read_fault = CLASP_PROBE_FAULT_ERROR;
    s->peer->res->io.write_fault = CLASP_PROBE_FAULT_ERROR;
    s->peer->delivered++;
    return 1;
}

/* ---- one step ---------------------------------------------------------------------------- */

static const clasp_ct_step *cur(side *s)
{
    return &s->res->steps[s->res->step];
}

static int advance(side *s)
{
    free(s->wbuf);
    s->wbuf = NULL;
    s->res->step++;
    s->step_fresh = 1;
    return R_PROGRESS;
}

/* The call ended as the step expected it to fail: check how, then go on. */
static int expected_failure(side *s, const char *fn, int r, int err)
{
    const clasp_ct_step *st = cur(s);
    int want_ret = st->arg;
    if (err != st->expect_err) {
        return fail(s, "%s returned %d with %s, expected %s", fn, r, err_name(err),
                    err_name(st->expect_err));
    }
    if (r != want_ret) {
        return fail(s, "%s failed with %s but returned %d, expected %d", fn, err_name(err), r,
                    want_ret);
    }
    /* The failure's reason comes last; only lower-layer (libcrypto) causes may precede it. */
    unsigned long e = ERR_peek_last_error(), other = 0, x;
    char text[200] = "(none)";
    while ((x = ERR_get_error()) != 0 && x != e) {
        other = ERR_GET_LIB(x) == ERR_LIB_SSL ? x : other;
    }
    if (e != 0) {
        ERR_error_string_n(e, text, sizeof(text));
    }
    if (st->expect_reason == 0 && e != 0) {
        return fail(s, "%s: %s with error %s on the queue, expected none", fn, err_name(err), text);
    }
    if (st->expect_reason != 0 &&
        (ERR_GET_LIB(e) != ERR_LIB_SSL ||
         (ERR_GET_REASON(e) != st->expect_reason &&
          (st->alt_reason == 0 || ERR_GET_REASON(e) != st->alt_reason)))) {
        return fail(s, "%s: error %s, expected SSL reason %d", fn, text, st->expect_reason);
    }
    if (other != 0) {
        ERR_error_string_n(other, text, sizeof(text));
        return fail(s, "%s: a second SSL error on the queue: %s", fn, text);
    }
    s->res->last_error = e;
    return advance(s);
}

/* After a call that did not complete its step: a retry, an expected or a real failure. */
static int incomplete(side *s, const char *fn, int r)
{
    int err = SSL_get_error(s->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        if (r != -1) {
            return fail(s, "%s returned %d with %s, expected -1", fn, r, err_name(err));
        }
        if (ERR_peek_error() != 0) {
            return fail(s, "%s returned %s with errors queued", fn, err_name(err));
        }
        if (err == SSL_ERROR_WANT_READ ? !SSL_want_read(s->ssl) : !SSL_want_write(s->ssl)) {
            return fail(s, "%s: SSL_want() disagrees with SSL_get_error %s", fn, err_name(err));
        }
        s->res->want_read += err == SSL_ERROR_WANT_READ;
        s->res->want_write += err == SSL_ERROR_WANT_WRITE;
        return err == SSL_ERROR_WANT_READ ? R_WANT_READ : R_WANT_WRITE;
    }
    if (cur(s)->expect_err != 0) {
        return expected_failure(s, fn, r, err);
    }
    return fail(s, "%s returned %d, SSL_get_error %s", fn, r, err_name(err));
}

/* A call that completed: the step must not have expected a failure, the queue is empty. */
static int completed(side *s, const char *fn)
{
    if (cur(s)->expect_err != 0) {
        return fail(s, "%s succeeded, expected %s", fn, err_name(cur(s)->expect_err));
    }
    if (ERR_peek_error() != 0) {
        return fail(s, "%s succeeded but left an error on the queue", fn);
    }
    return advance(s);
}

static int do_handshake_kind(side *s)
{
    const clasp_ct_step *st = cur(s);
    const char *fn = st->kind == CLASP_CT_CONNECT  ? "SSL_connect"
                     : st->kind == CLASP_CT_ACCEPT ? "SSL_accept"
                                                   : "SSL_do_handshake";
    int r = st->kind == CLASP_CT_CONNECT  ? SSL_connect(s->ssl)
            : st->kind == CLASP_CT_ACCEPT ? SSL_accept(s->ssl)
                                          : SSL_do_handshake(s->ssl);
    if (r == 1) {
        return completed(s, fn);
    }
    int o = incomplete(s, fn, r);
    if (st->kind == CLASP_CT_HANDSHAKE_STEP && o == R_WANT_READ &&
        io_bytes_written(s) - s->written_at_step >= st->len) {
        return advance(s);
    }
    return o;
}

static int do_write(side *s)
{
    const clasp_ct_step *st = cur(s);
    if (s->wbuf == NULL) {
        s->wbuf = malloc(st->len > 0 ? st->len : 1);
        if (s->wbuf == NULL) {
            return fail(s, "out of memory");
        }
        for (size_t i = 0; i < st->len; i++) {
            s->wbuf[i] = pattern(s->sent + i, s->res->is_client);
        }
        s->wlen = st->len;
        s->wdone = 0;
    }
    /* A retry repeats the same buffer and length (SSL_write(3)). */
    int r = SSL_write(s->ssl, s->wbuf + s->wdone, (int)(s->wlen - s->wdone));
    if (r <= 0) {
        return incomplete(s, "SSL_write", r);
    }
    if ((size_t)r != s->wlen - s->wdone &&
        !(SSL_get_mode(s->ssl) & SSL_MODE_ENABLE_PARTIAL_WRITE)) {
        return fail(s, "SSL_write wrote %d of %zu without SSL_MODE_ENABLE_PARTIAL_WRITE", r,
                    s->wlen - s->wdone);
    }
    s->wdone += (size_t)r;
    s->sent += (uint64_t)r;
    return s->wdone == s->wlen ? completed(s, "SSL_write") : R_PROGRESS;
}

static int do_read(side *s)
{
    const clasp_ct_step *st = cur(s);
    size_t want = st->len - s->rdone;
    int r = SSL_read(s->ssl, s->rbuf, (int)(want < sizeof(s->rbuf) ? want : sizeof(s->rbuf)));
    if (r <= 0) {
        if (r == 0 && st->expect_err == 0) {
            int err = SSL_get_error(s->ssl, r);
            return fail(s, "SSL_read returned 0 (%s) after %zu of %zu bytes", err_name(err),
                        s->rdone, st->len);
        }
        return incomplete(s, "SSL_read", r);
    }
    for (int i = 0; i < r; i++) {
        if (s->rbuf[i] != pattern(s->recvd + (uint64_t)i, !s->res->is_client)) {
            return fail(s, "SSL_read: byte %llu of the stream is wrong",
                        (unsigned long long)(s->recvd + (uint64_t)i));
        }
    }
    s->rdone += (size_t)r;
    s->recvd += (uint64_t)r;
    if (st->expect_err != 0) {
        return fail(s, "SSL_read returned data, expected %s", err_name(st->expect_err));
    }
    return s->rdone == st->len ? completed(s, "SSL_read") : R_PROGRESS;
}

static int do_read_eof(side *s)
{
    int r = SSL_read(s->ssl, s->rbuf, (int)sizeof(s->rbuf));
    if (r > 0) {
        return fail(s, "SSL_read returned %d bytes, expected close_notify", r);
    }
    if (r == 0) {
        int err = SSL_get_error(s->ssl, r);
        if (err != SSL_ERROR_ZERO_RETURN) {
            return fail(s, "SSL_read returned 0 with %s, expected ZERO_RETURN", err_name(err));
        }
        return completed(s, "SSL_read");
    }
    return incomplete(s, "SSL_read", r);
}

static int do_shutdown(side *s)
{
    int r = SSL_shutdown(s->ssl);
    if (r == cur(s)->arg) {
        return completed(s, "SSL_shutdown");
    }
    if (r >= 0) {
        return fail(s, "SSL_shutdown returned %d, expected %d", r, cur(s)->arg);
    }
    return incomplete(s, "SSL_shutdown", r);
}

static int do_expect_done(side *s)
{
    SSL *ssl = s->ssl;
    if (SSL_is_init_finished(ssl) != 1 || SSL_in_init(ssl) != 0) {
        return fail(s, "handshake not finished");
    }
    if (SSL_version(ssl) != s->run->cfg.version) {
        return fail(s, "version %s", SSL_get_version(ssl));
    }
    if (SSL_get_current_cipher(ssl) == NULL) {
        return fail(s, "no cipher");
    }
    if (s->res->is_client && SSL_get_verify_result(ssl) != X509_V_OK) {
        return fail(s, "verify result %ld", SSL_get_verify_result(ssl));
    }
    if (SSL_is_server(ssl) == s->res->is_client) {
        return fail(s, "SSL_is_server says %d", SSL_is_server(ssl));
    }
    return advance(s);
}

/* Starts a step: per-step bookkeeping and temporary socket modes. */
static void begin_step(side *s)
{
    s->step_fresh = 0;
    s->written_at_step = io_bytes_written(s);
    s->rdone = 0;
    if (clasp_ct_transport_is_socket(s->run->cfg.transport) && s->fd >= 0 &&
        clasp_ct_transport_is_blocking(s->run->cfg.transport)) {
        /* A single handshake step cannot be taken on a blocking socket: poll it. */
        s->nonblocking_now = cur(s)->kind == CLASP_CT_HANDSHAKE_STEP;
        set_nonblocking(s->fd, s->nonblocking_now);
    }
}

/* Runs one SSL call (or one transport action) of the current step. */
static int side_step(side *s)
{
    if (s->res->failure[0] != '\0') {
        return R_FAILED;
    }
    if (s->step_fresh) {
        begin_step(s);
    }
    const clasp_ct_step *st = cur(s);
    ERR_clear_error();
    switch (st->kind) {
    case CLASP_CT_END:
        s->res->done = 1;
        return R_DONE;
    case CLASP_CT_HANDSHAKE:
    case CLASP_CT_CONNECT:
    case CLASP_CT_ACCEPT:
    case CLASP_CT_HANDSHAKE_STEP:
        s->res->calls++;
        return do_handshake_kind(s);
    case CLASP_CT_WRITE:
        s->res->calls++;
        return do_write(s);
    case CLASP_CT_READ:
        s->res->calls++;
        return do_read(s);
    case CLASP_CT_READ_EOF:
        s->res->calls++;
        return do_read_eof(s);
    case CLASP_CT_SHUTDOWN:
        s->res->calls++;
        return do_shutdown(s);
    case CLASP_CT_KEY_UPDATE:
        if (SSL_key_update(s->ssl, st->arg) != 1) {
            return fail(s, "SSL_key_update(%d) failed", st->arg);
        }
        return advance(s);
    case CLASP_CT_EXPECT_SHUTDOWN:
        if (SSL_get_shutdown(s->ssl) != st->arg) {
            return fail(s, "SSL_get_shutdown is %d, expected %d", SSL_get_shutdown(s->ssl),
                        st->arg);
        }
        return advance(s);
    case CLASP_CT_EXPECT_DONE:
        return do_expect_done(s);
    case CLASP_CT_RAW:
        return transport_raw(s, st->raw, st->len) ? advance(s) : fail(s, "raw write failed");
    case CLASP_CT_CLOSE:
        return transport_close(s) ? advance(s) : fail(s, "close failed");
    case CLASP_CT_RESET:
        return transport_reset(s) ? advance(s) : fail(s, "reset failed");
    case CLASP_CT_WAIT_PEER_CLOSE:
        return transport_wait_peer_close(s) ? advance(s) : fail(s, "the peer did not close");
    default:
        return fail(s, "unknown step kind %d", (int)st->kind);
    }
}

/* ---- threads over sockets ---------------------------------------------------------------- */

static void *socket_side(void *arg)
{
    side *s = arg;
    int blocking = clasp_ct_transport_is_blocking(s->run->cfg.transport);
    for (;;) {
        size_t step = s->res->step;
        uint64_t mark = io_mark(s);
        int o = side_step(s);
        if (s->check_ready_call && (o == R_WANT_READ || o == R_WANT_WRITE) &&
            step == s->res->step && io_mark(s) == mark) {
            o = fail(s, "called again after poll() said ready, moved no bytes (busy loop)");
        }
        s->check_ready_call = 0;
        if (o == R_DONE || o == R_FAILED) {
            break;
        }
        if (o == R_PROGRESS) {
            continue;
        }
        if (blocking && !s->nonblocking_now) {
            fail(s, "a call on a blocking socket returned %s",
                 o == R_WANT_READ ? "WANT_READ" : "WANT_WRITE");
            break;
        }
        if (!wait_fd(s->fd, o == R_WANT_READ ? POLLIN : POLLOUT)) {
            fail(s, "no %s readiness within %d ms", o == R_WANT_READ ? "read" : "write", WAIT_MS);
            break;
        }
        s->check_ready_call = 1;
    }
    if (s->res->failure[0] != '\0' && s->fd >= 0) {
        shutdown(s->fd, SHUT_RDWR); /* let a waiting peer see the end at once */
    }
    return NULL;
}

static int make_tcp_pair(int fds[2], int *listen_fd, int small)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1, sz = SMALL_SOCKBUF;
    *listen_fd = l;
    if (l < 0 || c < 0) {
        if (c >= 0) {
            close(c);
        }
        return 0;
    }
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (small) {
        /* Before listen/connect, so the window is small from the start. */
        setsockopt(l, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
        setsockopt(c, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
        setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    }
    if (bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l, 1) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &alen) != 0 ||
        connect(c, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(c);
        return 0;
    }
    fds[0] = c;
    fds[1] = accept(l, NULL, NULL);
    if (fds[1] < 0) {
        close(c);
        return 0;
    }
    if (small) {
        setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    }
    setsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fds[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return 1;
}

static int make_unix_pair(int fds[2], int small)
{
    int sz = SMALL_SOCKBUF;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
        return 0;
    }
    if (small) {
        setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
        setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    }
    return 1;
}

/* Connects the sides by sockets of the configured kind and hands them to the SSLs. */
static int setup_sockets(transport_state *ts, clasp_ct_transport t)
{
    int fds[2];
    int blocking = clasp_ct_transport_is_blocking(t);
    ts->listen_fd = -1;
    if (!(is_tcp(t) ? make_tcp_pair(fds, &ts->listen_fd, !blocking)
                    : make_unix_pair(fds, !blocking))) {
        return 0;
    }
    ts->client.fd = fds[0];
    ts->server.fd = fds[1];
    for (int i = 0; i < 2; i++) {
        if (blocking) {
            /* A guard, not a timing assumption: a hung blocking call fails the test. */
            struct timeval tv = {WAIT_MS / 1000, 0};
            setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
            setsockopt(fds[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        } else if (!set_nonblocking(fds[i], 1)) {
            return 0;
        }
    }
    return SSL_set_fd(ts->client.ssl, fds[0]) == 1 && SSL_set_fd(ts->server.ssl, fds[1]) == 1;
}

static void run_threads(transport_state *ts)
{
    pthread_t tc, tsrv;
    int have_c = pthread_create(&tc, NULL, socket_side, &ts->client) == 0;
    int have_s = pthread_create(&tsrv, NULL, socket_side, &ts->server) == 0;
    if (have_c) {
        pthread_join(tc, NULL);
    } else {
        fail(&ts->client, "pthread_create failed");
    }
    if (have_s) {
        pthread_join(tsrv, NULL);
    } else {
        fail(&ts->server, "pthread_create failed");
    }
}

/* ---- the hand pump ----------------------------------------------------------------------- */

static size_t pair_size(clasp_ct_transport t)
{
    return t == CLASP_CT_PAIR_1 ? 1 : t == CLASP_CT_PAIR_17 ? 17 : 16384;
}

static BIO *new_mem(void)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (b != NULL) {
        BIO_set_mem_eof_return(b, -1); /* empty is "retry", not end of file */
    }
    return b;
}

/* Gives the side its BIOs, each behind a probe filter sharing the side's stats. */
static int setup_pumped_side(side *s, clasp_ct_transport t)
{
    clasp_probe_stats_init(&s->res->io);
    s->res->io.write_per_call = s->run->cfg.write_per_call;
    if (s->run->cfg.credit_per_round > 0) {
        s->res->io.write_credit = s->run->cfg.credit_per_round;
    }
    if (t == CLASP_CT_TRICKLE_1 || t == CLASP_CT_TRICKLE_RANDOM) {
        s->in_mem = new_mem();
        s->out_mem = new_mem();
        if (s->in_mem == NULL || s->out_mem == NULL) {
            BIO_free(s->in_mem);
            BIO_free(s->out_mem);
            return 0;
        }
        BIO *r = clasp_probe_bio_new(s->in_mem, &s->res->io);
        BIO *w = clasp_probe_bio_new(s->out_mem, &s->res->io);
        if (r == NULL || w == NULL) {
            BIO_free_all(r);
            BIO_free_all(w);
            return 0;
        }
        SSL_set0_rbio(s->ssl, r);
        SSL_set0_wbio(s->ssl, w);
        return 1;
    }
    BIO *internal = NULL;
    if (BIO_new_bio_pair(&internal, pair_size(t), &s->net, pair_size(t)) != 1) {
        return 0;
    }
    BIO *f = clasp_probe_bio_new(internal, &s->res->io);
    if (f == NULL) {
        return 0;
    }
    SSL_set_bio(s->ssl, f, f);
    return 1;
}

/* Captures a complete record, lets the test tamper with it, queues it for the peer. */
static void record_done(side *from, direction *d)
{
    clasp_ct_run *run = from->run;
    clasp_ct_wire *w = from->res->is_client ? &run->c2s : &run->s2c;
    if (w->num < CLASP_CT_MAX_RECORDS) {
        w->recs[w->num].type = d->rec[0];
        w->recs[w->num].len = (uint16_t)(d->have - 5);
        w->num++;
    } else {
        w->overflow = 1;
    }
    if (run->cfg.tamper != NULL) {
        run->cfg.tamper(run->cfg.tamper_arg, from->res->is_client, d->index, d->rec, d->have);
    }
    d->index++;
    if (!queue_push(&d->q, d->rec, d->have)) {
        fail(from, "out of memory");
    }
    d->have = 0;
}

/* Feeds bytes a side sent into its direction's record assembler. */
static void assemble(side *from, const unsigned char *p, size_t n)
{
    direction *d = out_dir(from);
    while (n > 0) {
        size_t need = 5;
        if (d->have >= 5) {
            need = 5 + (((size_t)d->rec[3] << 8) | d->rec[4]);
        }
        size_t take = need - d->have < n ? need - d->have : n;
        memcpy(d->rec + d->have, p, take);
        d->have += take;
        p += take;
        n -= take;
        if (d->have == need && need > 5) {
            record_done(from, d);
        } else if (d->have == 5 && need == 5 && d->rec[3] == 0 && d->rec[4] == 0) {
            record_done(from, d); /* an empty record */
        }
    }
}

/* Takes everything the side has written (the network absorbs it). 1 if bytes moved. */
static int take_output(side *s)
{
    unsigned char tmp[16384];
    BIO *src = s->net != NULL ? s->net : s->out_mem;
    int moved = 0, n;
    while (BIO_ctrl_pending(src) > 0 && (n = BIO_read(src, tmp, sizeof(tmp))) > 0) {
        assemble(s, tmp, (size_t)n);
        moved = 1;
    }
    if (moved) {
        s->drained++;
    }
    return moved;
}

static uint32_t next_random(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* How many queued bytes the destination gets this round. */
static size_t piece_size(transport_state *ts, side *dst, size_t queued)
{
    size_t n = queued;
    switch (dst->run->cfg.transport) {
    case CLASP_CT_TRICKLE_1:
        n = 1;
        break;
    case CLASP_CT_TRICKLE_RANDOM:
        n = 1 + next_random(&ts->rng) % 700;
        break;
    default:
        n = BIO_ctrl_get_write_guarantee(dst->net);
        break;
    }
    return n < queued ? n : queued;
}

/* Delivers the next piece of d's queue to dst, then EOF once the sender closed. */
static int deliver(transport_state *ts, direction *d, side *dst)
{
    size_t n = piece_size(ts, dst, queue_size(&d->q));
    if (n > 0) {
        BIO *to = dst->net != NULL ? dst->net : dst->in_mem;
        int w = BIO_write(to, d->q.data + d->q.head, (int)n);
        if (w > 0) {
            queue_pop(&d->q, (size_t)w);
            dst->delivered++;
            return 1;
        }
    }
    if (d->closed && !d->eof_sent && queue_size(&d->q) == 0 && d->have == 0) {
        if (dst->net != NULL) {
            BIO_shutdown_wr(dst->net); /* the SSL's half reads EOF once empty */
        } else {
            BIO_set_mem_eof_return(dst->in_mem, 0);
        }
        d->eof_sent = 1;
        dst->delivered++;
        return 1;
    }
    return 0;
}

/* Grants each side its write credit for the round (probe BIO budget). */
static int grant_credit(side *s)
{
    long per_round = s->run->cfg.credit_per_round;
    if (per_round <= 0 || s->res->io.write_credit >= per_round) {
        return 0;
    }
    s->res->io.write_credit = per_round;
    s->drained++;
    return 1;
}

static int pump_round(transport_state *ts)
{
    int moved = 0;
    moved |= take_output(&ts->client);
    moved |= take_output(&ts->server);
    moved |= deliver(ts, &ts->c2s, &ts->server);
    moved |= deliver(ts, &ts->s2c, &ts->client);
    moved |= grant_credit(&ts->client);
    moved |= grant_credit(&ts->server);
    return moved;
}

/* 1 if what the side waits for may have happened since it said so. */
static int ready(const side *s)
{
    if (s->waiting == 0) {
        return 1;
    }
    if (s->waiting == R_WANT_READ) {
        return s->delivered != s->delivered_at_wait;
    }
    return s->drained != s->drained_at_wait;
}

/*
 * The call after a WANT, made at once with nothing changed: it must give the same answer and
 * move no byte — otherwise the first call returned WANT while it could have progressed.
 */
static int probe_again(side *s, int o)
{
    size_t step = s->res->step;
    uint64_t r = io_bytes_read(s), w = io_bytes_written(s);
    s->res->probes++;
    int again = side_step(s);
    if (again == R_FAILED) {
        return R_FAILED;
    }
    if (again != o || step != s->res->step || r != io_bytes_read(s) || w != io_bytes_written(s)) {
        return fail(s,
                    "repeated with nothing changed after %s, the call progressed "
                    "(result %d, read %llu, wrote %llu bytes)",
                    o == R_WANT_READ ? "WANT_READ" : "WANT_WRITE", again,
                    (unsigned long long)(io_bytes_read(s) - r),
                    (unsigned long long)(io_bytes_written(s) - w));
    }
    return o;
}

/* Calls the side until it waits, finishes or fails. 1 if it did anything. */
static int pumped_turn(side *s)
{
    if (s->res->done || s->res->failure[0] != '\0' || !ready(s)) {
        return 0;
    }
    int after_wait = s->waiting != 0;
    s->waiting = 0;
    for (int k = 0; k < MAX_CALLS_PER_TURN; k++) {
        size_t step = s->res->step;
        uint64_t mark = io_mark(s);
        int o = side_step(s);
        if (after_wait && (o == R_WANT_READ || o == R_WANT_WRITE) && step == s->res->step &&
            io_mark(s) == mark) {
            fail(s, "called after its %s, moved no bytes (busy loop)",
                 o == R_WANT_READ ? "input grew" : "output drained");
            return 1;
        }
        after_wait = 0;
        if (o == R_DONE || o == R_FAILED) {
            return 1;
        }
        if (o == R_WANT_READ || o == R_WANT_WRITE) {
            if (probe_again(s, o) == R_FAILED) {
                return 1;
            }
            s->waiting = o;
            s->delivered_at_wait = s->delivered;
            s->drained_at_wait = s->drained;
            return 1;
        }
    }
    fail(s, "%d calls without waiting or finishing", MAX_CALLS_PER_TURN);
    return 1;
}

static int finished(const side *s)
{
    return s->res->done || s->res->failure[0] != '\0';
}

static void stalled(side *s)
{
    if (!finished(s)) {
        fail(s, "stalled: waiting for %s, nothing left to move",
             s->waiting == R_WANT_READ    ? "input"
             : s->waiting == R_WANT_WRITE ? "output space"
                                          : "nothing");
    }
}

static void run_pump(clasp_ct_run *run, transport_state *ts)
{
    int idle = 0;
    while (!finished(&ts->client) || !finished(&ts->server)) {
        run->rounds++;
        int acted = pumped_turn(&ts->client);
        acted |= pumped_turn(&ts->server);
        acted |= pump_round(ts);
        idle = acted ? 0 : idle + 1;
        if (idle >= STALL_ROUNDS || run->rounds > MAX_ROUNDS) {
            stalled(&ts->client);
            stalled(&ts->server);
        }
    }
}

/* ---- a run ------------------------------------------------------------------------------- */

static void init_side(clasp_ct_run *run, side *s, side *peer, clasp_ct_side_result *res, SSL *ssl,
                      const clasp_ct_step *steps, int is_client)
{
    memset(res, 0, sizeof(*res));
    s->run = run;
    s->res = res;
    s->ssl = ssl;
    s->peer = peer;
    s->fd = -1;
    s->step_fresh = 1;
    res->ssl = ssl;
    res->is_client = is_client;
    res->steps = steps;
    clasp_probe_stats_init(&res->io);
    if (ssl != NULL) {
        SSL_set_msg_callback(ssl, msg_cb);
        SSL_set_msg_callback_arg(ssl, &res->transcript);
    }
}

static int setup_ssls(clasp_ct_run *run, transport_state *ts, const clasp_ct_step *client,
                      const clasp_ct_step *server)
{
    SSL *c = SSL_new(run->cfg.cctx), *s = SSL_new(run->cfg.sctx);
    init_side(run, &ts->client, &ts->server, &run->client, c, client, 1);
    init_side(run, &ts->server, &ts->client, &run->server, s, server, 0);
    if (c == NULL || s == NULL || SSL_set1_host(c, "localhost") != 1) {
        return 0;
    }
    if (!run->cfg.no_role) {
        SSL_set_connect_state(c);
        SSL_set_accept_state(s);
    }
    return 1;
}

static void setup_failed(clasp_ct_run *run, transport_state *ts)
{
    if (run->client.failure[0] == '\0') {
        snprintf(run->client.failure, sizeof(run->client.failure), "transport setup failed");
    }
    (void)ts;
}

int clasp_ct_run_steps(clasp_ct_run *run, const clasp_ct_config *cfg, const clasp_ct_step *client,
                       const clasp_ct_step *server)
{
    transport_state *ts = calloc(1, sizeof(*ts));
    memset(run, 0, sizeof(*run));
    run->cfg = *cfg;
    run->priv = ts;
    if (ts == NULL) {
        return 0;
    }
    ts->rng = cfg->seed != 0 ? cfg->seed : 0x2545F491u;
    ts->listen_fd = -1;
    signal(SIGPIPE, SIG_IGN); /* a peer's reset must be an error return, not a signal */
    int ok = setup_ssls(run, ts, client, server);
    if (ok && clasp_ct_transport_is_socket(cfg->transport)) {
        ok = setup_sockets(ts, cfg->transport);
    } else if (ok) {
        ok = setup_pumped_side(&ts->client, cfg->transport) &&
             setup_pumped_side(&ts->server, cfg->transport);
    }
    if (!ok) {
        setup_failed(run, ts);
        return 0;
    }
    if (cfg->prepare != NULL) {
        cfg->prepare(run, ts->client.ssl, ts->server.ssl, cfg->prepare_arg);
    }
    if (clasp_ct_transport_is_socket(cfg->transport)) {
        run_threads(ts);
    } else {
        run_pump(run, ts);
    }
    return run->client.done && run->server.done;
}

clasp_probe_stats *clasp_ct_probe(clasp_ct_run *run, int client)
{
    if (clasp_ct_transport_is_socket(run->cfg.transport)) {
        return NULL;
    }
    return client ? &run->client.io : &run->server.io;
}

void clasp_ct_run_free(clasp_ct_run *run)
{
    transport_state *ts = run->priv;
    SSL_free(run->client.ssl);
    SSL_free(run->server.ssl);
    if (ts != NULL) {
        side *sides[2] = {&ts->client, &ts->server};
        for (int i = 0; i < 2; i++) {
            free(sides[i]->wbuf);
            BIO_free(sides[i]->net);
            if (sides[i]->fd >= 0) {
                close(sides[i]->fd);
            }
        }
        if (ts->listen_fd >= 0) {
            close(ts->listen_fd);
        }
        free(ts->c2s.q.data);
        free(ts->s2c.q.data);
        free(ts);
    }
    memset(run, 0, sizeof(*run));
}

static void print_side(const char *who, const clasp_ct_side_result *r)
{
    clasp_ct_transcript_print(who, &r->transcript);
    fprintf(stderr,
            "# %s: %s at step %zu; calls %lu, WANT_READ %lu, WANT_WRITE %lu, "
            "repeats %lu; BIO reads %lu writes %lu\n",
            who, r->done ? "done" : "NOT done", r->step, r->calls, r->want_read, r->want_write,
            r->probes, r->io.reads, r->io.writes);
    if (r->failure[0] != '\0') {
        fprintf(stderr, "#   %s\n", r->failure);
    }
}

void clasp_ct_run_print(const clasp_ct_run *run)
{
    fprintf(stderr, "# run over %s, %s, %lu rounds\n", clasp_ct_transport_name(run->cfg.transport),
            clasp_ct_version_name(run->cfg.version), run->rounds);
    print_side("client", &run->client);
    print_side("server", &run->server);
}

/* The one loop between the BIOs and the engine (DESIGN.md principle 1), and
 * the I/O entry points built on it: SSL_do_handshake, SSL_connect,
 * SSL_accept, SSL_read(_ex), SSL_peek(_ex), SSL_write(_ex), SSL_shutdown,
 * SSL_key_update, SSL_get_error, SSL_want.
 *
 * run_until(): flush pending output to the wbio, let the engine process,
 * answer its questions (ClientHello callbacks, peer verification), read from
 * the rbio when it needs input.  A BIO that asks for a retry stops the loop
 * with rwstate recorded; nothing is lost, the next call resumes.  Blocking
 * BIOs never ask for a retry, so the same loop blocks. */
#include <limits.h>
#include <string.h>

#include "api/internal.h"

typedef enum {
    GOAL_HANDSHAKE,    /* the handshake is complete */
    GOAL_READ,         /* application data is readable */
    GOAL_CLOSE_NOTIFY, /* the peer's close_notify arrived */
} goal;

/* ---- failure --------------------------------------------------------------------- */

void clasp_fail(SSL *s)
{
    unsigned long e = ERR_peek_last_error();

    if (e == 0) {
        CLASP_RAISE(ERR_R_INTERNAL_ERROR);
        e = ERR_peek_last_error();
    }
    if (!s->failed) {
        s->fail_err = e;
    }
    s->failed = 1;
    s->rwstate = SSL_NOTHING;
    /* The engine's alert, if the transport takes it now; errors from this
     * last attempt must not replace the reason. */
    if (s->conn != NULL && s->wbio != NULL) {
        const uint8_t *p;
        size_t n;

        ERR_set_mark();
        while ((n = clasp_conn_out_pending(s->conn, &p)) > 0) {
            int r = BIO_write(s->wbio, p, n > INT_MAX ? INT_MAX : (int)n);

            if (r <= 0) {
                break;
            }
            clasp_conn_out_consume(s->conn, (size_t)r);
        }
        (void)BIO_flush(s->wbio);
        ERR_pop_to_mark();
    }
}

/* A failed connection stays failed: report the same reason again, no I/O. */
static int report_failed(SSL *s)
{
    s->rwstate = SSL_NOTHING;
    ERR_raise(ERR_GET_LIB(s->fail_err), ERR_GET_REASON(s->fail_err));
    return -1;
}

/* ---- moving bytes -------------------------------------------------------------------- */

static size_t out_pending(const SSL *s)
{
    const uint8_t *p;

    return clasp_conn_out_pending(s->conn, &p);
}

/* Writes all pending output to the wbio.  Returns 1, or -1 with rwstate
 * SSL_WRITING (the BIO's retry flags say whether to retry). */
static int flush_output(SSL *s)
{
    const uint8_t *p;
    size_t n;

    while ((n = clasp_conn_out_pending(s->conn, &p)) > 0) {
        int r;

        if (s->wbio == NULL) {
            CLASP_RAISE(SSL_R_BIO_NOT_SET);
            return -1;
        }
        s->rwstate = SSL_WRITING;
        r = BIO_write(s->wbio, p, n > INT_MAX ? INT_MAX : (int)n);
        if (r <= 0) {
            return -1;
        }
        clasp_conn_out_consume(s->conn, (size_t)r);
    }
    /* Handshake flights and alerts are flushed through buffering BIOs, as
     * OpenSSL's state machine does; application data is not. */
    if (s->need_flush && s->wbio != NULL) {
        s->rwstate = SSL_WRITING;
        if (BIO_flush(s->wbio) <= 0) {
            return -1;
        }
        s->need_flush = 0;
    }
    s->rwstate = SSL_NOTHING;
    if (s->key_update != SSL_KEY_UPDATE_NONE) {
        s->key_update = SSL_KEY_UPDATE_NONE; /* the KeyUpdate went out */
    }
    return 1;
}

/* The peer closed the transport without close_notify. */
static int on_eof(SSL *s)
{
    if (s->p.options & SSL_OP_IGNORE_UNEXPECTED_EOF) {
        s->shutdown |= SSL_RECEIVED_SHUTDOWN;
        s->got_close = 1;
        return 0;
    }
    /* OpenSSL 3.0: SSL_ERROR_SSL with this reason (SSL_get_error(3)). */
    CLASP_RAISE(SSL_R_UNEXPECTED_EOF_WHILE_READING);
    clasp_fail(s);
    s->rwstate = SSL_READING;
    return -1;
}

/* Reads what the engine can take.  Returns 1 when bytes arrived, 0 when an
 * EOF counts as close_notify (SSL_OP_IGNORE_UNEXPECTED_EOF), -1 otherwise
 * (rwstate SSL_READING: retry, transport error or EOF failure). */
static int read_input(SSL *s)
{
    uint8_t *p;
    size_t n = clasp_conn_in_space(s->conn, &p);
    int r;

    if (s->rbio == NULL) {
        CLASP_RAISE(SSL_R_READ_BIO_NOT_SET);
        clasp_fail(s);
        return -1;
    }
    if (n == 0) { /* the engine waits for input it cannot take: a bug */
        CLASP_RAISE(ERR_R_INTERNAL_ERROR);
        clasp_fail(s);
        return -1;
    }
    s->rwstate = SSL_READING;
    r = BIO_read(s->rbio, p, n > INT_MAX ? INT_MAX : (int)n);
    if (r > 0) {
        clasp_conn_in_commit(s->conn, (size_t)r);
        s->rwstate = SSL_NOTHING;
        return 1;
    }
    if (!BIO_should_retry(s->rbio) && BIO_eof(s->rbio)) {
        return on_eof(s);
    }
    return -1;
}

/* ---- the engine's questions ------------------------------------------------------------ */

/* RFC 7301 §3.2 through the ALPN select callback.  Returns 1 (with *sel
 * NULL when no protocol was chosen), or 0 when the callback refused. */
static int select_alpn(SSL *s, const uint8_t **sel, size_t *sel_len)
{
    size_t offer_len = 0;
    const uint8_t *offer = clasp_conn_client_alpn(s->conn, &offer_len);
    const unsigned char *out = NULL;
    unsigned char out_len = 0;
    int r;

    *sel = NULL;
    *sel_len = 0;
    if (s->ctx->alpn_select_cb == NULL || offer == NULL) {
        return 1;
    }
    r = s->ctx->alpn_select_cb(s, &out, &out_len, offer, (unsigned int)offer_len,
                               s->ctx->alpn_select_arg);
    if (r == SSL_TLSEXT_ERR_NOACK) {
        return 1; /* as if there were no callback */
    }
    if (r != SSL_TLSEXT_ERR_OK) {
        return 0;
    }
    if (out != NULL && out_len > 0) {
        /* The callback's pointer may not outlive it: keep a copy. */
        memcpy(s->alpn_sel, out, out_len);
        s->alpn_sel_len = out_len;
        *sel = s->alpn_sel;
        *sel_len = out_len;
    }
    return 1;
}

/* The servername callback (RFC 6066 §3), then ALPN, in OpenSSL's order;
 * the servername callback may switch the SSL_CTX, so the configuration
 * and the identities are taken last. */
static void on_client_hello(SSL *s)
{
    SSL_CTX *sctx = s->ctx->servername_cb != NULL ? s->ctx : s->session_ctx;
    const char *sni = clasp_conn_client_sni(s->conn);
    const uint8_t *sel;
    size_t sel_len, num_ids;
    int alert = SSL_AD_UNRECOGNIZED_NAME;
    int r = SSL_TLSEXT_ERR_NOACK;

    OPENSSL_free(s->hostname);
    s->hostname = sni == NULL ? NULL : OPENSSL_strdup(sni);
    if (sctx->servername_cb != NULL) {
        r = sctx->servername_cb(s, &alert, sctx->servername_arg);
    }
    if (r == SSL_TLSEXT_ERR_ALERT_FATAL) {
        clasp_conn_client_hello_done(s->conn, NULL, 0, NULL, 0, alert, SSL_R_CALLBACK_FAILED);
        return;
    }
    /* As OpenSSL: the name is acknowledged (an empty server_name in the
     * server's extensions) only when a callback returned OK; ALERT_WARNING
     * and NOACK go on without it (TLS 1.3 has no warning alerts). */
    if (r == SSL_TLSEXT_ERR_OK) {
        clasp_conn_ack_sni(s->conn);
    }
    if (!select_alpn(s, &sel, &sel_len)) {
        clasp_conn_client_hello_done(s->conn, NULL, 0, NULL, 0, SSL_AD_NO_APPLICATION_PROTOCOL,
                                     SSL_R_NO_APPLICATION_PROTOCOL);
        return;
    }
    if (clasp_build_config(s)) {
        clasp_conn_set_config(s->conn, &s->cfg);
    }
    num_ids = clasp_cert_identities(s, s->ids, CLASP_NUM_PKEYS);
    clasp_conn_client_hello_done(s->conn, s->ids, num_ids, sel, sel_len, 0, 0);
}

/* ---- run_until ----------------------------------------------------------------------- */

static int goal_reached(SSL *s, goal g)
{
    switch (g) {
    case GOAL_HANDSHAKE:
        return clasp_conn_handshake_done(s->conn);
    case GOAL_READ:
        return clasp_conn_app_pending(s->conn) > 0;
    case GOAL_CLOSE_NOTIFY:
        return (s->shutdown & SSL_RECEIVED_SHUTDOWN) != 0;
    default:
        return 0;
    }
}

/* Without SSL_MODE_AUTO_RETRY, SSL_read returns WANT_READ after a
 * non-application record when no more input is buffered (SSL_CTX_set_mode(3)). */
static int stop_after_record(SSL *s, goal g, size_t before)
{
    size_t after = clasp_conn_in_buffered(s->conn);

    if (g != GOAL_READ || (s->p.mode & SSL_MODE_AUTO_RETRY) || after >= before || after > 0) {
        return 0;
    }
    s->rwstate = SSL_READING;
    BIO_clear_retry_flags(s->rbio);
    BIO_set_retry_read(s->rbio);
    return 1;
}

/* Application data while waiting for close_notify after sending ours:
 * OpenSSL fails without an alert (SSL_shutdown(3)). */
static int app_data_after_close(SSL *s)
{
    uint8_t sink[256];

    while (clasp_conn_read_app(s->conn, sink, sizeof(sink), 0) > 0) {
    }
    CLASP_RAISE(SSL_R_APPLICATION_DATA_AFTER_CLOSE_NOTIFY);
    clasp_fail(s);
    return -1;
}

/* The engine answered in a way that cannot make progress: fail rather
 * than loop. */
static int engine_stuck(SSL *s)
{
    CLASP_RAISE(ERR_R_INTERNAL_ERROR);
    clasp_fail(s);
    return -1;
}

/* Drives the engine until g holds.  Returns 1 when it does, 0 when the
 * peer closed first (close_notify), -1 otherwise (see rwstate and the
 * error queue). */
static int run_until(SSL *s, goal g)
{
    for (;;) {
        size_t before;
        clasp_wait w;
        int r;

        if (flush_output(s) <= 0) {
            return -1;
        }
        if (goal_reached(s, g)) {
            return 1;
        }
        before = clasp_conn_in_buffered(s->conn);
        w = clasp_conn_process(s->conn);
        s->need_flush |= out_pending(s) > 0;
        switch (w) {
        case CLASP_WAIT_ERROR:
            clasp_fail(s);
            return -1;
        case CLASP_WAIT_FLUSH:
            if (out_pending(s) == 0) {
                return engine_stuck(s);
            }
            break;
        case CLASP_WAIT_CLIENT_HELLO:
            on_client_hello(s);
            break;
        case CLASP_WAIT_VERIFY_PEER:
            clasp_verify_peer(s);
            break;
        case CLASP_WAIT_APP_READ:
            if (g == GOAL_CLOSE_NOTIFY) {
                return app_data_after_close(s);
            }
            if (!goal_reached(s, g)) {
                return engine_stuck(s); /* data it cannot hand out, or before the handshake */
            }
            break;
        case CLASP_WAIT_HANDSHAKE_DONE:
            break; /* the goal check comes first; later records wait */
        case CLASP_WAIT_TICKET:
            if (!clasp_session_on_ticket(s)) {
                clasp_conn_abort(s->conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
            }
            break;
        case CLASP_WAIT_CLOSED:
            s->shutdown |= SSL_RECEIVED_SHUTDOWN;
            s->got_close = 1;
            if (g != GOAL_CLOSE_NOTIFY) {
                s->rwstate = SSL_NOTHING;
                return 0;
            }
            break;
        case CLASP_WAIT_INPUT:
            /* Output first (the peer may need it to answer), and return as
             * soon as the goal holds. */
            if (goal_reached(s, g) || out_pending(s) > 0) {
                break;
            }
            if (stop_after_record(s, g, before)) {
                return -1;
            }
            r = read_input(s);
            if (r == 0) { /* EOF taken as close_notify */
                if (g != GOAL_CLOSE_NOTIFY) {
                    return 0;
                }
                break;
            }
            if (r < 0) {
                clasp_conn_release_buffers(s->conn); /* waiting: keep only state */
                return -1;
            }
            break;
        default:
            return engine_stuck(s);
        }
    }
}

/* ---- handshake ---------------------------------------------------------------------- */

/* Creates and starts the engine connection at the first handshake step. */
static int start_conn(SSL *s)
{
    if (s->conn != NULL) {
        return 1;
    }
    if (clasp_min_version(s) > clasp_max_version(s)) {
        CLASP_RAISE(SSL_R_NO_PROTOCOLS_AVAILABLE);
        clasp_fail(s);
        return 0;
    }
    if (!clasp_build_config(s)) {
        clasp_fail(s);
        return 0;
    }
    s->conn = clasp_conn_new(&s->cfg);
    if (s->conn == NULL) {
        CLASP_RAISE(ERR_R_MALLOC_FAILURE);
        clasp_fail(s);
        return 0;
    }
    if (!clasp_conn_start(s->conn)) {
        clasp_fail(s);
        return 0;
    }
    s->need_flush = 1;
    return 1;
}

static int handshake_done(const SSL *s)
{
    return s->conn != NULL && clasp_conn_handshake_done(s->conn);
}

/* The handshake step shared by SSL_do_handshake and the implicit
 * handshake of SSL_read / SSL_write.  Returns 1, or -1. */
static int handshake_internal(SSL *s)
{
    clasp_info_cb cb;
    int ret;

    if (s->failed) {
        return report_failed(s);
    }
    s->rwstate = SSL_NOTHING;
    if (handshake_done(s)) {
        /* Only a queued KeyUpdate (or an unflushed last flight) may still
         * have to go out; OpenSSL's state machine reports sending it. */
        int ku = s->key_update != SSL_KEY_UPDATE_NONE;

        ret = flush_output(s) > 0 ? 1 : -1;
        cb = clasp_info_callback(s);
        if (ku && cb != NULL) {
            cb(s, s->server ? SSL_CB_ACCEPT_EXIT : SSL_CB_CONNECT_EXIT, ret);
        }
        return ret;
    }
    if (!start_conn(s)) {
        return -1;
    }
    s->in_handshake = 1;
    ret = run_until(s, GOAL_HANDSHAKE);
    s->in_handshake = 0;
    if (ret == 0) {
        ret = -1; /* close_notify during the handshake: -1, ZERO_RETURN */
    }
    if (ret == 1 && !clasp_session_from_conn(s)) {
        ret = -1;
    }
    if (ret == 1) {
        clasp_conn_release_buffers(s->conn);
    }
    cb = clasp_info_callback(s);
    if (cb != NULL) {
        cb(s, s->server ? SSL_CB_ACCEPT_EXIT : SSL_CB_CONNECT_EXIT, ret);
    }
    return ret;
}

int SSL_do_handshake(SSL *s)
{
    if (!s->role_set) {
        CLASP_RAISE(SSL_R_CONNECTION_TYPE_NOT_SET);
        return -1;
    }
    return handshake_internal(s);
}

int SSL_connect(SSL *s)
{
    if (!s->role_set) {
        SSL_set_connect_state(s);
    }
    return SSL_do_handshake(s);
}

int SSL_accept(SSL *s)
{
    if (!s->role_set) {
        SSL_set_accept_state(s);
    }
    return SSL_do_handshake(s);
}

/* ---- reading -------------------------------------------------------------------------- */

/* OpenSSL 3.0's SSL_read returns 0, not -1, when the connection ended
 * under it by the peer's doing: a fatal alert received or the transport's
 * EOF without close_notify (SSL_get_error still says SSL_ERROR_SSL). */
static int ended_by_peer(const SSL *s)
{
    unsigned long e = ERR_peek_last_error();
    int reason = ERR_GET_REASON(e);

    return s->failed && ERR_GET_LIB(e) == ERR_LIB_SSL &&
           (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING || reason > SSL_AD_REASON_OFFSET);
}

static int read_internal(SSL *s, void *buf, size_t num, int peek, size_t *readbytes)
{
    int r;

    *readbytes = 0;
    if (!s->role_set) {
        CLASP_RAISE(SSL_R_UNINITIALIZED);
        return -1;
    }
    if (s->shutdown & SSL_RECEIVED_SHUTDOWN) {
        s->rwstate = SSL_NOTHING;
        return 0;
    }
    if (!handshake_done(s) || s->failed) {
        r = handshake_internal(s);
        if (r <= 0) {
            return r;
        }
    }
    s->rwstate = SSL_NOTHING;
    r = run_until(s, GOAL_READ);
    if (r < 0 && ended_by_peer(s)) {
        return 0;
    }
    if (r <= 0) {
        return r;
    }
    if (num == 0) {
        return 0; /* OpenSSL: data is there, none asked for */
    }
    *readbytes = clasp_conn_read_app(s->conn, buf, num, peek);
    return 1;
}

int SSL_read_ex(SSL *s, void *buf, size_t num, size_t *readbytes)
{
    size_t dummy;
    int r = read_internal(s, buf, num, 0, readbytes != NULL ? readbytes : &dummy);

    return r < 0 ? 0 : r;
}

int SSL_read(SSL *s, void *buf, int num)
{
    size_t n;
    int r;

    if (num < 0) {
        CLASP_RAISE(SSL_R_BAD_LENGTH);
        return -1;
    }
    r = read_internal(s, buf, (size_t)num, 0, &n);
    return r > 0 ? (int)n : r;
}

int SSL_peek_ex(SSL *s, void *buf, size_t num, size_t *readbytes)
{
    size_t dummy;
    int r = read_internal(s, buf, num, 1, readbytes != NULL ? readbytes : &dummy);

    return r < 0 ? 0 : r;
}

int SSL_peek(SSL *s, void *buf, int num)
{
    size_t n;
    int r;

    if (num < 0) {
        CLASP_RAISE(SSL_R_BAD_LENGTH);
        return -1;
    }
    r = read_internal(s, buf, (size_t)num, 1, &n);
    return r > 0 ? (int)n : r;
}

int SSL_pending(const SSL *s)
{
    size_t n = s->conn == NULL ? 0 : clasp_conn_app_pending(s->conn);

    return n > INT_MAX ? INT_MAX : (int)n;
}

int SSL_has_pending(const SSL *s)
{
    return s->conn != NULL
           && (clasp_conn_app_pending(s->conn) > 0 || clasp_conn_in_buffered(s->conn) > 0);
}

/* ---- writing --------------------------------------------------------------------------- */

/* SSL_write(3): a retry after WANT_WRITE must repeat the call with at
 * least the length already taken, and the same buffer unless
 * SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER. */
static int check_write_retry(SSL *s, const void *buf, size_t num)
{
    if (!s->wr_pending) {
        s->wr_done = 0;
        return 1;
    }
    /* Shorter than what already went into records: OpenSSL's BAD_LENGTH. */
    if (num < s->wr_done) {
        s->wr_pending = 0;
        CLASP_RAISE(SSL_R_BAD_LENGTH);
        clasp_fail(s);
        return 0;
    }
    if (buf != s->wr_buf && !(s->p.mode & SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER)) {
        s->wr_pending = 0;
        CLASP_RAISE(SSL_R_BAD_WRITE_RETRY);
        clasp_fail(s);
        return 0;
    }
    return 1;
}

/* Seals and flushes until all of buf went out (or one record did, with
 * SSL_MODE_ENABLE_PARTIAL_WRITE). */
static int write_records(SSL *s, const uint8_t *buf, size_t num)
{
    int partial = (s->p.mode & SSL_MODE_ENABLE_PARTIAL_WRITE) != 0;
    int sealed_now = 0;

    s->wr_buf = buf;
    s->wr_len = num;
    s->wr_pending = 1;
    for (;;) {
        long n;

        if (flush_output(s) <= 0) {
            return -1; /* wr_pending stays: the retry continues here */
        }
        if (s->wr_done == num || (partial && sealed_now)) {
            s->wr_pending = 0;
            return 1;
        }
        n = clasp_conn_write_app(s->conn, buf + s->wr_done, num - s->wr_done);
        if (n < 0) {
            s->wr_pending = 0;
            clasp_fail(s);
            return -1;
        }
        if (n == 0 && out_pending(s) == 0) {
            s->wr_pending = 0;
            CLASP_RAISE(ERR_R_INTERNAL_ERROR); /* no progress possible */
            clasp_fail(s);
            return -1;
        }
        s->wr_done += (size_t)n;
        sealed_now |= n > 0;
    }
}

static int write_internal(SSL *s, const void *buf, size_t num, size_t *written)
{
    int r;

    *written = 0;
    if (!s->role_set) {
        CLASP_RAISE(SSL_R_UNINITIALIZED);
        return -1;
    }
    if (s->shutdown & SSL_SENT_SHUTDOWN) {
        s->rwstate = SSL_NOTHING;
        CLASP_RAISE(SSL_R_PROTOCOL_IS_SHUTDOWN);
        return -1;
    }
    if (!handshake_done(s) || s->failed) {
        r = handshake_internal(s);
        if (r <= 0) {
            return r;
        }
    }
    if (!check_write_retry(s, buf, num)) {
        return -1;
    }
    r = write_records(s, buf, num);
    if (r > 0) {
        *written = s->wr_done;
    }
    return r;
}

int SSL_write_ex(SSL *s, const void *buf, size_t num, size_t *written)
{
    size_t dummy;
    int r = write_internal(s, buf, num, written != NULL ? written : &dummy);

    return r < 0 ? 0 : r;
}

/* SSL_write(3): num == 0 returns 0 (nothing is sent). */
int SSL_write(SSL *s, const void *buf, int num)
{
    size_t n;
    int r;

    if (num < 0) {
        CLASP_RAISE(SSL_R_BAD_LENGTH);
        return -1;
    }
    r = write_internal(s, buf, (size_t)num, &n);
    return r > 0 ? (int)n : r;
}

/* ---- closure (RFC 9846 §6.1) ---------------------------------------------------------------- */

/* SSL_shutdown(3): the first call sends close_notify (0, or 1 when the
 * peer's already arrived), later calls wait for the peer's (1). */
int SSL_shutdown(SSL *s)
{
    const uint8_t *p;

    if (!s->role_set) {
        CLASP_RAISE(SSL_R_UNINITIALIZED);
        return -1;
    }
    if (s->failed || !handshake_done(s)) {
        CLASP_RAISE(SSL_R_SHUTDOWN_WHILE_IN_INIT);
        return -1;
    }
    if (s->p.quiet_shutdown) {
        s->shutdown = SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN;
        return 1;
    }
    if (!(s->shutdown & SSL_SENT_SHUTDOWN)) {
        s->shutdown |= SSL_SENT_SHUTDOWN;
        clasp_conn_close(s->conn);
        s->need_flush = 1;
        if (flush_output(s) <= 0) {
            return -1;
        }
    } else if (clasp_conn_out_pending(s->conn, &p) > 0) {
        if (flush_output(s) <= 0) {
            return -1;
        }
    } else if (!(s->shutdown & SSL_RECEIVED_SHUTDOWN)) {
        if (run_until(s, GOAL_CLOSE_NOTIFY) <= 0) {
            return -1;
        }
    }
    if (s->shutdown == (SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN)
        && clasp_conn_out_pending(s->conn, &p) == 0) {
        return 1;
    }
    return 0;
}

/* ---- KeyUpdate (RFC 9846 §4.7.3) ------------------------------------------------------------- */

/* Queued now, sent by the next SSL_do_handshake / SSL_write / SSL_read. */
int SSL_key_update(SSL *s, int updatetype)
{
    /* OpenSSL's order: version (unknown before the handshake), type, state. */
    if (s->conn == NULL || clasp_conn_version(s->conn) != TLS1_3_VERSION) {
        CLASP_RAISE(SSL_R_WRONG_SSL_VERSION);
        return 0;
    }
    if (updatetype != SSL_KEY_UPDATE_NOT_REQUESTED && updatetype != SSL_KEY_UPDATE_REQUESTED) {
        CLASP_RAISE(SSL_R_INVALID_KEY_UPDATE_TYPE);
        return 0;
    }
    if (!handshake_done(s)) {
        CLASP_RAISE(SSL_R_STILL_IN_INIT);
        return 0;
    }
    if (s->wr_pending) {
        CLASP_RAISE(SSL_R_BAD_WRITE_RETRY);
        return 0;
    }
    if (!clasp_conn_key_update(s->conn, updatetype == SSL_KEY_UPDATE_REQUESTED)) {
        CLASP_RAISE(ERR_R_INTERNAL_ERROR);
        return 0;
    }
    s->need_flush = 1;
    s->key_update = updatetype;
    return 1;
}

int SSL_get_key_update_type(const SSL *s)
{
    return s->key_update;
}

/* ---- status ------------------------------------------------------------------------------- */

int SSL_want(const SSL *s)
{
    return s->rwstate;
}

/* What the BIO that stopped the call asked for. */
static int bio_retry_error(BIO *bio, int want_same, int want_other)
{
    if (bio == NULL) {
        return -1;
    }
    if (want_same == SSL_ERROR_WANT_READ ? BIO_should_read(bio) : BIO_should_write(bio)) {
        return want_same;
    }
    if (want_same == SSL_ERROR_WANT_READ ? BIO_should_write(bio) : BIO_should_read(bio)) {
        return want_other;
    }
    if (BIO_should_io_special(bio)) {
        int reason = BIO_get_retry_reason(bio);

        if (reason == BIO_RR_CONNECT) {
            return SSL_ERROR_WANT_CONNECT;
        }
        if (reason == BIO_RR_ACCEPT) {
            return SSL_ERROR_WANT_ACCEPT;
        }
        return SSL_ERROR_SYSCALL;
    }
    return -1;
}

/* SSL_get_error(3), in its documented order: success, the error queue,
 * the retry state, close_notify, else a transport (syscall) failure. */
int SSL_get_error(const SSL *s, int ret)
{
    unsigned long e;
    int r;

    if (ret > 0) {
        return SSL_ERROR_NONE;
    }
    e = ERR_peek_error();
    if (e != 0) {
        return ERR_GET_LIB(e) == ERR_LIB_SYS ? SSL_ERROR_SYSCALL : SSL_ERROR_SSL;
    }
    if (s->rwstate == SSL_READING) {
        r = bio_retry_error(s->rbio, SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE);
        if (r >= 0) {
            return r;
        }
    }
    if (s->rwstate == SSL_WRITING) {
        r = bio_retry_error(s->wbio, SSL_ERROR_WANT_WRITE, SSL_ERROR_WANT_READ);
        if (r >= 0) {
            return r;
        }
    }
    if ((s->shutdown & SSL_RECEIVED_SHUTDOWN) && s->got_close) {
        return SSL_ERROR_ZERO_RETURN;
    }
    return SSL_ERROR_SYSCALL;
}

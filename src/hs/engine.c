/* The engine driver: connection lifecycle, the processing loop that turns
 * records into handshake steps, alerts and application data, and the
 * status getters behind src/engine.h. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "hs/conn.h"

#define HSBUF_INITIAL 4096
#define HSBUF_MAX (1u << 20)
/* TLS 1.2 warning alerts accepted in a row (OpenSSL's MAX_WARN_ALERT_COUNT). */
#define MAX_WARN_ALERTS 5
/* Past this much pending output the engine asks for a flush first. */
#define OUT_SOFT_LIMIT (64u * 1024)

clasp_conn *clasp_conn_new(const clasp_config *cfg)
{
    clasp_conn *conn = OPENSSL_zalloc(sizeof(*conn));

    if (conn == NULL) {
        return NULL;
    }
    conn->cfg = *cfg;
    conn->is_server = cfg->is_server;
    conn->alert_sent = -1;
    conn->alert_received = -1;
    conn->wait = CLASP_WAIT_INPUT;
    conn->state_name = "before SSL initialization";
    conn->state_code = TLS_ST_BEFORE;
    if (!clasp_rec_init(&conn->rec) ||
        !clasp_wr_init_growable(&conn->hsbuf, HSBUF_INITIAL, HSBUF_MAX)) {
        clasp_conn_free(conn);
        return NULL;
    }
    return conn;
}

static void hs_free(clasp_hs *hs)
{
    if (hs == NULL) {
        return;
    }
    clasp_transcript_cleanup(&hs->transcript);
    clasp_ks_cleanup(&hs->ks);
    clasp_kex_free(hs->kex);
    clasp_hmac_key_free(hs->t12.master_mac);
    clasp_wr_cleanup(&hs->msg);
    OPENSSL_clear_free(hs, sizeof(*hs));
}

void clasp_conn_free(clasp_conn *conn)
{
    if (conn == NULL) {
        return;
    }
    hs_free(conn->hs);
    clasp_rec_cleanup(&conn->rec);
    clasp_wr_cleanup(&conn->hsbuf);
    sk_X509_pop_free(conn->peer_chain, X509_free);
    EVP_PKEY_free(conn->peer_tmp_key);
    clasp_ticket_cleanup(&conn->ticket);
    OPENSSL_clear_free(conn, sizeof(*conn));
}

void clasp_conn_set_config(clasp_conn *conn, const clasp_config *cfg)
{
    conn->cfg = *cfg;
    if (!conn->started) {
        conn->is_server = cfg->is_server;
    }
}

const clasp_config *clasp_conn_config(const clasp_conn *conn)
{
    return &conn->cfg;
}

static int hs_new(clasp_conn *conn)
{
    clasp_hs *hs = OPENSSL_zalloc(sizeof(*hs));

    if (hs == NULL) {
        return 0;
    }
    conn->hs = hs;
    return clasp_transcript_init(&hs->transcript) &&
           clasp_wr_init_growable(&hs->msg, 2048, HSBUF_MAX);
}

int clasp_conn_start(clasp_conn *conn)
{
    if (conn->started) {
        return !conn->failed;
    }
    conn->started = 1;
    conn->is_server = conn->cfg.is_server;
    if (!hs_new(conn)) {
        FATAL(conn, -1, ERR_R_MALLOC_FAILURE);
        return 0;
    }
    clasp_info(conn, SSL_CB_HANDSHAKE_START, 1);
    return 1;
}

int clasp_conn_started(const clasp_conn *conn)
{
    return conn->started;
}

/* ---- bytes in and out ---------------------------------------------------- */

size_t clasp_conn_in_space(clasp_conn *conn, uint8_t **out)
{
    return clasp_rec_in_space(&conn->rec, out);
}

void clasp_conn_in_commit(clasp_conn *conn, size_t n)
{
    clasp_rec_in_commit(&conn->rec, n);
}

void clasp_conn_release_buffers(clasp_conn *conn)
{
    clasp_rec_release_idle(&conn->rec);
    if (conn->hsbuf.len == 0) {
        clasp_wr_release(&conn->hsbuf);
    }
}

size_t clasp_conn_in_buffered(const clasp_conn *conn)
{
    return conn->rec.in_len;
}

size_t clasp_conn_out_pending(const clasp_conn *conn, const uint8_t **out)
{
    return clasp_rec_out_pending(&conn->rec, out);
}

void clasp_conn_out_consume(clasp_conn *conn, size_t n)
{
    clasp_rec_out_consume(&conn->rec, n);
}

/* ---- the processing loop -------------------------------------------------- */

static void handshake_finished(clasp_conn *conn)
{
    hs_free(conn->hs);
    conn->hs = NULL;
    conn->hs_done = 1;
    conn->state_name = "SSL negotiation finished successfully";
    conn->state_code = TLS_ST_OK;
    clasp_info(conn, SSL_CB_HANDSHAKE_DONE, 1);
}

/* One step of the state machine for the role and version: the TLS 1.3
 * machines run until version negotiation picks TLS 1.2 (conn->version),
 * then the TLS 1.2 ones take over. */
static clasp_hs_status step(clasp_conn *conn)
{
    int tls12 = conn->version == CLASP_TLS12;

    if (conn->hs_done) {
        return tls12 ? clasp_tls12_post_handshake(conn) : clasp_tls13_post_handshake(conn);
    }
    if (conn->is_server) {
        return tls12 ? clasp_tls12_server_step(conn) : clasp_tls13_server_step(conn);
    }
    return tls12 ? clasp_tls12_client_step(conn) : clasp_tls13_client_step(conn);
}

/* Runs handshake steps while they make progress.  Returns 0 on failure,
 * 2 when the handshake has just completed, 1 otherwise. */
static int run_handshake(clasp_conn *conn)
{
    for (;;) {
        clasp_hs_status st;

        st = step(conn);
        switch (st) {
        case CLASP_HS_CONTINUE:
            continue;
        case CLASP_HS_DONE:
            handshake_finished(conn);
            return 2;
        case CLASP_HS_READ:
        case CLASP_HS_WAIT:
            return 1;
        case CLASP_HS_FAIL:
        default:
            return 0;
        }
    }
}

/* The version the message callback reports (TLS 1.3 until one is chosen). */
static int trace_version(const clasp_conn *conn)
{
    return conn->version != 0 ? conn->version : CLASP_TLS13;
}

static int on_alert(clasp_conn *conn, const uint8_t *data, size_t len)
{
    clasp_reader r;
    uint8_t level;
    uint8_t desc;

    clasp_rd_init(&r, data, len);
    if (!clasp_rd_u8(&r, &level) || !clasp_rd_u8(&r, &desc) || !clasp_rd_done(&r)) {
        FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_INVALID_ALERT);
        return 0;
    }
    conn->alert_received = (level << 8) | desc;
    if (conn->cfg.observer.msg != NULL) {
        conn->cfg.observer.msg(conn->cfg.observer.arg, 0, trace_version(conn), CLASP_RT_ALERT,
                               data, 2);
    }
    clasp_info(conn, SSL_CB_READ_ALERT, conn->alert_received);
    /* As OpenSSL: a server that has not had a ClientHello does not take a
     * close_notify as a controlled end of a handshake that never began. */
    if (desc == SSL_AD_CLOSE_NOTIFY && conn->is_server && conn->hs != NULL &&
        !conn->hs->hello_received) {
        FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_MESSAGE);
        return 0;
    }
    if (desc == SSL_AD_CLOSE_NOTIFY) {
        conn->peer_closed = 1;
        return 1;
    }
    /* RFC 5246 §7.2: in TLS 1.2 a warning may be ignored (no_renegotiation
     * included: we never ask to renegotiate); a stream of them is not a
     * connection (as OpenSSL, at most 5 in a row). */
    if (conn->version == CLASP_TLS12 && level == 1) {
        if (++conn->warn_alerts > MAX_WARN_ALERTS) {
            FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_TOO_MANY_WARN_ALERTS);
            return 0;
        }
        return 1;
    }
    /* RFC 9846 §6.1: user_canceled is followed by close_notify; §6: every
     * other alert is fatal whatever its level. */
    if (desc == SSL_AD_USER_CANCELLED && level == 1) {
        return 1;
    }
    conn->close_sent = 1; /* §6.2: no alert in answer to a fatal one */
    FATAL(conn, -1, SSL_AD_REASON_OFFSET + desc);
    return 0;
}

/* RFC 9846 §5: a CCS of the single byte 0x01 is dropped while the
 * handshake runs; anything else is unexpected_message. */
static int on_ccs(clasp_conn *conn, const uint8_t *data, size_t len)
{
    /* RFC 5246 §7.1: in TLS 1.2 the CCS is a real message, switching the
     * read keys; the TLS 1.2 state machine says whether it may come now. */
    if (conn->version == CLASP_TLS12) {
        return clasp_tls12_on_ccs(conn, data, len);
    }
    if (conn->hs == NULL || !conn->hs->ccs_allowed || len != 1 || data[0] != 1) {
        FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_CCS_RECEIVED_EARLY);
        return 0;
    }
    return 1;
}

static int on_handshake_record(clasp_conn *conn, const uint8_t *data, size_t len)
{
    /* RFC 9846 §5.1: zero-length handshake fragments are not allowed. */
    if (len == 0) {
        FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_BAD_LENGTH);
        return 0;
    }
    if (!clasp_wr_bytes(&conn->hsbuf, data, len)) {
        FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_EXCESSIVE_MESSAGE_SIZE);
        return 0;
    }
    return 1;
}

/* Handles the open record; application data stays open for the reader. */
static int dispatch_record(clasp_conn *conn)
{
    clasp_record *r = &conn->rec;
    int ok;

    if (r->rec_type != CLASP_RT_ALERT) {
        conn->warn_alerts = 0;
    }
    switch (r->rec_type) {
    case CLASP_RT_APPLICATION_DATA:
        if (!conn->hs_done || r->rd.aead == NULL) {
            FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_RECORD);
            return 0;
        }
        if (r->rec_len == 0 || conn->peer_closed) {
            clasp_rec_drop(r); /* §6.1: data after close_notify is ignored */
        }
        return 1;
    case CLASP_RT_HANDSHAKE:
        ok = on_handshake_record(conn, r->rec_data, r->rec_len);
        break;
    case CLASP_RT_ALERT:
        ok = on_alert(conn, r->rec_data, r->rec_len);
        break;
    case CLASP_RT_CHANGE_CIPHER_SPEC:
        ok = on_ccs(conn, r->rec_data, r->rec_len);
        break;
    default:
        FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_RECORD);
        return 0;
    }
    clasp_rec_drop(r);
    return ok;
}

static int app_data_open(const clasp_conn *conn)
{
    return conn->rec.rec_open && conn->rec.rec_type == CLASP_RT_APPLICATION_DATA;
}

clasp_wait clasp_conn_process(clasp_conn *conn)
{
    int alert;
    int reason;

    if (conn->failed) {
        return CLASP_WAIT_ERROR;
    }
    if (!conn->started) {
        return CLASP_WAIT_INPUT;
    }
    for (;;) {
        const uint8_t *unused;

        if (conn->wait != CLASP_WAIT_INPUT) {
            return conn->wait;
        }
        switch (run_handshake(conn)) {
        case 0:
            return CLASP_WAIT_ERROR;
        case 2:
            return CLASP_WAIT_HANDSHAKE_DONE;
        default:
            break;
        }
        if (conn->wait != CLASP_WAIT_INPUT) {
            return conn->wait;
        }
        if (app_data_open(conn)) {
            return CLASP_WAIT_APP_READ;
        }
        if (conn->peer_closed) {
            return CLASP_WAIT_CLOSED;
        }
        if (clasp_rec_out_pending(&conn->rec, &unused) > OUT_SOFT_LIMIT) {
            return CLASP_WAIT_FLUSH;
        }
        switch (clasp_rec_read(&conn->rec, &alert, &reason)) {
        case CLASP_REC_NEED_MORE:
            return CLASP_WAIT_INPUT;
        case CLASP_REC_ERROR:
            FATAL(conn, alert, reason);
            return CLASP_WAIT_ERROR;
        case CLASP_REC_OK:
        default:
            break;
        }
        if (!dispatch_record(conn)) {
            return CLASP_WAIT_ERROR;
        }
    }
}

/* ---- application data ---------------------------------------------------- */

size_t clasp_conn_app_pending(const clasp_conn *conn)
{
    return app_data_open(conn) ? conn->rec.rec_len : 0;
}

size_t clasp_conn_read_app(clasp_conn *conn, uint8_t *out, size_t len, int peek)
{
    clasp_record *r = &conn->rec;
    size_t n;

    if (!app_data_open(conn)) {
        return 0;
    }
    n = len < r->rec_len ? len : r->rec_len;
    memcpy(out, r->rec_data, n);
    if (peek) {
        return n;
    }
    r->rec_data += n;
    r->rec_len -= n;
    if (r->rec_len == 0) {
        clasp_rec_drop(r);
    }
    return n;
}

long clasp_conn_write_app(clasp_conn *conn, const uint8_t *data, size_t len)
{
    const uint8_t *unused;
    size_t n = len > CLASP_MAX_PLAINTEXT ? CLASP_MAX_PLAINTEXT : len;

    if (conn->failed || !conn->hs_done || conn->close_sent) {
        return -1;
    }
    if (clasp_rec_out_pending(&conn->rec, &unused) > OUT_SOFT_LIMIT) {
        return 0;
    }
    if (!clasp_rec_write(&conn->rec, CLASP_RT_APPLICATION_DATA, data, n)) {
        FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
        return -1;
    }
    return (long)n;
}

int clasp_conn_close(clasp_conn *conn)
{
    static const uint8_t body[2] = {1 /* warning */, SSL_AD_CLOSE_NOTIFY};

    if (conn->close_sent) {
        return 0;
    }
    conn->close_sent = 1;
    if (!clasp_rec_write(&conn->rec, CLASP_RT_ALERT, body, sizeof(body))) {
        FATAL(conn, -1, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    conn->alert_sent = (1 << 8) | SSL_AD_CLOSE_NOTIFY;
    if (conn->cfg.observer.msg != NULL) {
        conn->cfg.observer.msg(conn->cfg.observer.arg, 1, trace_version(conn), CLASP_RT_ALERT,
                               body, 2);
    }
    clasp_info(conn, SSL_CB_WRITE_ALERT, conn->alert_sent);
    return 1;
}

/* ---- status and negotiated values ----------------------------------------- */

int clasp_conn_is_server(const clasp_conn *conn) { return conn->is_server; }
int clasp_conn_handshake_done(const clasp_conn *conn) { return conn->hs_done; }
int clasp_conn_failed(const clasp_conn *conn) { return conn->failed; }
int clasp_conn_peer_closed(const clasp_conn *conn) { return conn->peer_closed; }
int clasp_conn_close_sent(const clasp_conn *conn) { return conn->close_sent; }
int clasp_conn_alert_sent(const clasp_conn *conn) { return conn->alert_sent; }
int clasp_conn_alert_received(const clasp_conn *conn) { return conn->alert_received; }
const char *clasp_conn_state_name(const clasp_conn *conn) { return conn->state_name; }
int clasp_conn_state_code(const clasp_conn *conn) { return conn->state_code; }
uint16_t clasp_conn_version(const clasp_conn *conn) { return conn->version; }
uint16_t clasp_conn_cipher_suite(const clasp_conn *conn) { return conn->suite; }
uint16_t clasp_conn_group(const clasp_conn *conn) { return conn->group; }
uint16_t clasp_conn_peer_sigalg(const clasp_conn *conn) { return conn->peer_sigalg; }
uint16_t clasp_conn_own_sigalg(const clasp_conn *conn) { return conn->own_sigalg; }
int clasp_conn_did_hrr(const clasp_conn *conn) { return conn->did_hrr; }
const uint8_t *clasp_conn_client_random(const clasp_conn *conn) { return conn->client_random; }
const uint8_t *clasp_conn_server_random(const clasp_conn *conn) { return conn->server_random; }
STACK_OF(X509) *clasp_conn_peer_chain(const clasp_conn *conn) { return conn->peer_chain; }

const uint8_t *clasp_conn_alpn(const clasp_conn *conn, size_t *len)
{
    *len = conn->alpn_len;
    return conn->alpn_len > 0 ? conn->alpn : NULL;
}

EVP_PKEY *clasp_conn_peer_tmp_key(const clasp_conn *conn)
{
    if (conn->peer_tmp_key == NULL || !EVP_PKEY_up_ref(conn->peer_tmp_key)) {
        return NULL;
    }
    return conn->peer_tmp_key;
}

size_t clasp_conn_finished(const clasp_conn *conn, int peer, uint8_t *out, size_t len)
{
    size_t n = len < conn->finished_len ? len : conn->finished_len;

    memcpy(out, peer ? conn->finished_recv : conn->finished_sent, n);
    return conn->finished_len;
}

int clasp_conn_export(const clasp_conn *conn, const char *label, size_t label_len,
                      const uint8_t *context, size_t context_len, int use_context,
                      uint8_t *out, size_t out_len)
{
    if (!conn->hs_done) {
        return 0;
    }
    if (conn->version == CLASP_TLS12) {
        return clasp_tls12_export(conn->cfg.crypto, conn->hash, conn->master_secret,
                                  conn->client_random, conn->server_random, label, label_len,
                                  context, context_len, use_context, out, out_len);
    }
    /* RFC 9846 §7.5: no context and an empty context are the same. */
    if (!use_context) {
        context = NULL;
        context_len = 0;
    }
    return clasp_ks_export(conn->cfg.crypto, conn->hash, conn->exporter_secret, label,
                           label_len, context, context_len, out, out_len);
}

void clasp_conn_ack_sni(clasp_conn *conn)
{
    if (conn->hs != NULL) {
        conn->hs->sni_ack = 1;
    }
}

void clasp_conn_abort(clasp_conn *conn, int alert, int reason)
{
    FATAL(conn, alert, reason);
}

int clasp_conn_ems(const clasp_conn *conn)
{
    return conn->version == CLASP_TLS12 && conn->ems;
}

int clasp_conn_secure_renegotiation(const clasp_conn *conn)
{
    return conn->version == CLASP_TLS12 && conn->secure_reneg;
}

size_t clasp_conn_master_secret(const clasp_conn *conn, uint8_t *out, size_t len)
{
    size_t n = len < CLASP_TLS12_MASTER_LEN ? len : CLASP_TLS12_MASTER_LEN;

    if (conn->version != CLASP_TLS12 || !conn->hs_done) {
        return 0;
    }
    memcpy(out, conn->master_secret, n);
    return CLASP_TLS12_MASTER_LEN;
}

const char *clasp_conn_client_sni(const clasp_conn *conn)
{
    return conn->have_sni ? conn->sni : NULL;
}

const uint8_t *clasp_conn_client_alpn(const clasp_conn *conn, size_t *len)
{
    if (conn->hs == NULL || !conn->hs->client_sent_alpn) {
        *len = 0;
        return NULL;
    }
    *len = conn->hs->client_alpn_len;
    return conn->hs->client_alpn;
}

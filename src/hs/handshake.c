/* Handshake message framing, reassembly, FATAL, key installation. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "hs/conn.h"

/* Largest handshake message we accept apart from Certificate. */
#define MAX_HS_MESSAGE (64u * 1024)

static void send_alert(clasp_conn *conn, int alert)
{
    uint8_t body[2] = {2 /* fatal */, (uint8_t)alert};

    if (conn->close_sent || !conn->started) {
        return;
    }
    /* Best effort: a failure to queue the alert leaves only the error. */
    if (clasp_rec_write(&conn->rec, CLASP_RT_ALERT, body, sizeof(body))) {
        conn->alert_sent = (2 << 8) | alert;
        if (conn->cfg.observer.msg != NULL) {
            conn->cfg.observer.msg(conn->cfg.observer.arg, 1, conn->version ? conn->version : CLASP_TLS13,
                                   CLASP_RT_ALERT, body, sizeof(body));
        }
        clasp_info(conn, SSL_CB_WRITE_ALERT, conn->alert_sent);
    }
    conn->close_sent = 1;
}

clasp_hs_status clasp_fatal(clasp_conn *conn, int alert, int reason, const char *file, int line)
{
    if (conn->failed) {
        return CLASP_HS_FAIL;
    }
    ERR_new();
    ERR_set_debug(file, line, NULL);
    ERR_set_error(ERR_LIB_SSL, reason, NULL);
    if (alert >= 0) {
        send_alert(conn, alert);
    }
    conn->failed = 1;
    conn->state_name = "error"; /* as SSL_state_string_long after a failure */
    return CLASP_HS_FAIL;
}

void clasp_info(clasp_conn *conn, int where, int value)
{
    if (conn->cfg.observer.info != NULL) {
        conn->cfg.observer.info(conn->cfg.observer.arg, where, value);
    }
}

static void trace(clasp_conn *conn, int write_p, const uint8_t *msg, size_t len)
{
    if (conn->cfg.observer.msg != NULL) {
        /* As OpenSSL: the negotiated version, TLS 1.3 until there is one. */
        conn->cfg.observer.msg(conn->cfg.observer.arg, write_p,
                               conn->version != 0 ? conn->version : CLASP_TLS13,
                               CLASP_RT_HANDSHAKE, msg, len);
    }
}

static size_t max_message(const clasp_conn *conn, uint8_t type)
{
    if (type == CLASP_HT_CERTIFICATE && conn->cfg.max_cert_list > MAX_HS_MESSAGE) {
        return conn->cfg.max_cert_list;
    }
    return MAX_HS_MESSAGE;
}

int clasp_hs_peek(clasp_conn *conn, uint8_t *type, clasp_reader *body)
{
    clasp_reader r;
    uint8_t t;
    uint32_t len;

    if (!clasp_hs_buffered(conn)) {
        return 0;
    }
    clasp_rd_init(&r, conn->hsbuf.buf + conn->hsbuf_off, conn->hsbuf.len - conn->hsbuf_off);
    if (!clasp_rd_u8(&r, &t) || !clasp_rd_u24(&r, &len)) {
        return 0;
    }
    if (len > max_message(conn, t)) {
        FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_EXCESSIVE_MESSAGE_SIZE);
        return -1;
    }
    if (clasp_rd_left(&r) < len) {
        return 0;
    }
    *type = t;
    clasp_rd_init(body, conn->hsbuf.buf + conn->hsbuf_off + CLASP_HS_HEADER_LEN, len);
    return 1;
}

clasp_hs_status clasp_hs_expect(clasp_conn *conn, uint8_t type, clasp_reader *body)
{
    uint8_t got_type;
    int got = clasp_hs_peek(conn, &got_type, body);

    if (got <= 0) {
        return got == 0 ? CLASP_HS_READ : CLASP_HS_FAIL;
    }
    /* DESIGN.md principle 3: each state accepts only its own message. */
    if (got_type != type) {
        return FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_MESSAGE);
    }
    return CLASP_HS_CONTINUE;
}

int clasp_hs_consume(clasp_conn *conn)
{
    const uint8_t *msg = conn->hsbuf.buf + conn->hsbuf_off;
    clasp_reader r;
    uint32_t len;

    clasp_rd_init(&r, msg + 1, conn->hsbuf.len - conn->hsbuf_off - 1);
    if (!clasp_rd_u24(&r, &len)) {
        return 0;
    }
    len += CLASP_HS_HEADER_LEN;
    trace(conn, 0, msg, len);
    if (conn->hs != NULL &&
        (msg[0] == CLASP_HT_CLIENT_HELLO || msg[0] == CLASP_HT_SERVER_HELLO)) {
        conn->hs->hello_received = 1;
    }
    if (conn->hs != NULL && !clasp_transcript_add(&conn->hs->transcript, msg, len)) {
        FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    conn->hsbuf_off += len;
    if (conn->hsbuf_off == conn->hsbuf.len) {
        conn->hsbuf_off = 0;
        conn->hsbuf.len = 0;
    }
    return 1;
}

int clasp_hs_buffered(const clasp_conn *conn)
{
    return conn->hsbuf.len > conn->hsbuf_off;
}

clasp_writer *clasp_hs_begin(clasp_conn *conn, uint8_t type, clasp_wr_mark *mark)
{
    clasp_writer *w = &conn->hs->msg;

    w->len = 0;
    w->failed = 0;
    clasp_wr_u8(w, type);
    clasp_wr_open_u24(w, mark);
    return w;
}

int clasp_hs_send(clasp_conn *conn, clasp_wr_mark *mark)
{
    clasp_writer *w = &conn->hs->msg;

    if (!clasp_wr_close(w, mark) || !clasp_wr_ok(w)) {
        FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    trace(conn, 1, w->buf, w->len);
    if (!clasp_transcript_add(&conn->hs->transcript, w->buf, w->len) ||
        !clasp_rec_write(&conn->rec, CLASP_RT_HANDSHAKE, w->buf, w->len)) {
        FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    return 1;
}

int clasp_hs_send_ccs(clasp_conn *conn)
{
    static const uint8_t ccs[1] = {1};

    if (conn->hs->ccs_sent || !conn->cfg.middlebox_compat) {
        return 1;
    }
    conn->hs->ccs_sent = 1;
    if (conn->cfg.observer.msg != NULL) {
        conn->cfg.observer.msg(conn->cfg.observer.arg, 1, CLASP_TLS13,
                               CLASP_RT_CHANGE_CIPHER_SPEC, ccs, 1);
    }
    if (!clasp_rec_write(&conn->rec, CLASP_RT_CHANGE_CIPHER_SPEC, ccs, 1)) {
        FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    return 1;
}

void clasp_hs_set_state(clasp_conn *conn, int state, const char *name, int code)
{
    conn->hs->state = state;
    conn->state_name = name;
    conn->state_code = code;
    clasp_info(conn, conn->is_server ? SSL_CB_ACCEPT_LOOP : SSL_CB_CONNECT_LOOP, 1);
}

int clasp_install_key(clasp_conn *conn, const uint8_t *secret, int write)
{
    uint8_t key[CLASP_MAX_KEY_LEN];
    uint8_t iv[CLASP_AEAD_NONCE_LEN];
    size_t hash_len = clasp_hash_len(conn->hash);
    int ok;

    /* RFC 9846 §5.1: handshake messages MUST NOT span key changes. */
    if (!write && clasp_hs_buffered(conn)) {
        FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_NOT_ON_RECORD_BOUNDARY);
        return 0;
    }
    ok = clasp_ks_traffic_key(conn->cfg.crypto, conn->hash, conn->aead, secret, key, iv) &&
         clasp_rec_set_key(write ? &conn->rec.wr : &conn->rec.rd, conn->cfg.crypto, conn->aead,
                           key, iv, write);
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(iv, sizeof(iv));
    if (!ok) {
        FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    memcpy(write ? conn->write_secret : conn->read_secret, secret, hash_len);
    return 1;
}

void clasp_keylog(clasp_conn *conn, const char *label, const uint8_t *secret)
{
    if (conn->cfg.observer.keylog != NULL) {
        conn->cfg.observer.keylog(conn->cfg.observer.arg, label, conn->client_random, secret,
                                  clasp_hash_len(conn->hash));
    }
}

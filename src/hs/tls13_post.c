/* TLS 1.3 post-handshake messages (RFC 9846 §4.7): NewSessionTicket and
 * KeyUpdate, received, and KeyUpdate sent. */
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "hs/conn.h"
#include "msg/msg.h"

/* RFC 9846 §4.7.3: KeyUpdateRequest values. */
#define UPDATE_NOT_REQUESTED 0
#define UPDATE_REQUESTED 1

static int send_key_update(clasp_conn *conn, uint8_t request)
{
    uint8_t msg[CLASP_HS_HEADER_LEN + 1] = {CLASP_HT_KEY_UPDATE, 0, 0, 1, request};

    if (conn->cfg.observer.msg != NULL) {
        conn->cfg.observer.msg(conn->cfg.observer.arg, 1, CLASP_TLS13, CLASP_RT_HANDSHAKE, msg,
                               sizeof(msg));
    }
    /* The KeyUpdate goes out under the old key; the next record uses the
     * new one (§4.7.3). */
    if (!clasp_rec_write(&conn->rec, CLASP_RT_HANDSHAKE, msg, sizeof(msg)) ||
        !clasp_ks_next_traffic_secret(conn->cfg.crypto, conn->hash, conn->write_secret) ||
        !clasp_install_key(conn, conn->write_secret, 1)) {
        FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    return 1;
}

int clasp_conn_key_update(clasp_conn *conn, int request_peer)
{
    if (conn->failed || !conn->hs_done || conn->close_sent || conn->version != CLASP_TLS13) {
        return 0;
    }
    return send_key_update(conn, request_peer ? UPDATE_REQUESTED : UPDATE_NOT_REQUESTED);
}

static clasp_hs_status read_key_update(clasp_conn *conn, clasp_reader *body)
{
    uint8_t request;
    int reason;

    if (!clasp_key_update_parse(body, &request, &reason)) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, reason);
    }
    if (request != UPDATE_NOT_REQUESTED && request != UPDATE_REQUESTED) {
        return FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_KEY_UPDATE);
    }
    if (!clasp_hs_consume(conn) ||
        !clasp_ks_next_traffic_secret(conn->cfg.crypto, conn->hash, conn->read_secret) ||
        !clasp_install_key(conn, conn->read_secret, 0)) {
        return FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    /* §4.7.3: answer a request with update_not_requested, unless we have
     * closed our side. */
    if (request == UPDATE_REQUESTED && !conn->close_sent &&
        !send_key_update(conn, UPDATE_NOT_REQUESTED)) {
        return CLASP_HS_FAIL;
    }
    return CLASP_HS_CONTINUE;
}

/* RFC 9846 §4.7.1: a ticket becomes a clasp_ticket the facade takes at
 * CLASP_WAIT_TICKET; without want_tickets it is parsed and dropped. */
static clasp_hs_status read_new_session_ticket(clasp_conn *conn, clasp_reader *body)
{
    clasp_new_session_ticket nst;
    int reason;

    if (conn->is_server) {
        return FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_MESSAGE);
    }
    if (!clasp_nst_parse(body, &nst, &reason)) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, reason);
    }
    if (conn->cfg.want_tickets && !clasp_psk_client_take_nst(conn, &nst)) {
        return CLASP_HS_FAIL;
    }
    if (!clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    return conn->have_ticket ? CLASP_HS_WAIT : CLASP_HS_CONTINUE;
}

clasp_hs_status clasp_tls13_post_handshake(clasp_conn *conn)
{
    uint8_t type;
    clasp_reader body;
    int got = clasp_hs_peek(conn, &type, &body);

    if (got <= 0) {
        return got == 0 ? CLASP_HS_READ : CLASP_HS_FAIL;
    }
    switch (type) {
    case CLASP_HT_KEY_UPDATE:
        return read_key_update(conn, &body);
    case CLASP_HT_NEW_SESSION_TICKET:
        return read_new_session_ticket(conn, &body);
    default:
        /* Post-handshake authentication was not offered; everything else
         * is out of place after the handshake. */
        return FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_MESSAGE);
    }
}

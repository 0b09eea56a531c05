/* Human-readable strings: alerts, handshake states, versions.  The texts
 * are OpenSSL 3.0's, character for character (programs print and compare
 * them), including its gaps: certificate_required (116) has no text. */
#include "api/internal.h"

/* ---- alerts (RFC 9846 §6) ----------------------------------------------------------- */

static const struct {
    int desc;
    const char *code, *text;
} alert_table[] = {
    {0, "CN", "close notify"},
    {10, "UM", "unexpected_message"},
    {20, "BM", "bad record mac"},
    {21, "DC", "decryption failed"},
    {22, "RO", "record overflow"},
    {30, "DF", "decompression failure"},
    {40, "HF", "handshake failure"},
    {41, "NC", "no certificate"},
    {42, "BC", "bad certificate"},
    {43, "UC", "unsupported certificate"},
    {44, "CR", "certificate revoked"},
    {45, "CE", "certificate expired"},
    {46, "CU", "certificate unknown"},
    {47, "IP", "illegal parameter"},
    {48, "CA", "unknown CA"},
    {49, "AD", "access denied"},
    {50, "DE", "decode error"},
    {51, "CY", "decrypt error"},
    {60, "ER", "export restriction"},
    {70, "PV", "protocol version"},
    {71, "IS", "insufficient security"},
    {80, "IE", "internal error"},
    {90, "US", "user canceled"},
    {100, "NR", "no renegotiation"},
    {110, "UE", "unsupported extension"},
    {111, "CO", "certificate unobtainable"},
    {112, "UN", "unrecognized name"},
    {113, "BR", "bad certificate status response"},
    {114, "BH", "bad certificate hash value"},
    {115, "UP", "unknown PSK identity"},
    {120, "UK", "no application protocol"},
};

static int alert_index(int value)
{
    for (size_t i = 0; i < sizeof(alert_table) / sizeof(alert_table[0]); i++) {
        if (alert_table[i].desc == (value & 0xff)) {
            return (int)i;
        }
    }
    return -1;
}

const char *SSL_alert_desc_string(int value)
{
    int i = alert_index(value);

    return i < 0 ? "UK" : alert_table[i].code;
}

const char *SSL_alert_desc_string_long(int value)
{
    int i = alert_index(value);

    return i < 0 ? "unknown" : alert_table[i].text;
}

/* value is (level << 8) | description, as the info callback passes it. */
const char *SSL_alert_type_string(int value)
{
    switch (value >> 8) {
    case SSL3_AL_WARNING:
        return "W";
    case SSL3_AL_FATAL:
        return "F";
    default:
        return "U";
    }
}

const char *SSL_alert_type_string_long(int value)
{
    switch (value >> 8) {
    case SSL3_AL_WARNING:
        return "warning";
    case SSL3_AL_FATAL:
        return "fatal";
    default:
        return "unknown";
    }
}

/* ---- handshake states ---------------------------------------------------------------------- */

static const struct {
    OSSL_HANDSHAKE_STATE st;
    const char *code, *text;
} state_table[] = {
    {TLS_ST_BEFORE, "PINIT", "before SSL initialization"},
    {TLS_ST_OK, "SSLOK", "SSL negotiation finished successfully"},
    {TLS_ST_CW_CLNT_HELLO, "TWCH", "SSLv3/TLS write client hello"},
    {TLS_ST_CR_SRVR_HELLO, "TRSH", "SSLv3/TLS read server hello"},
    {TLS_ST_CR_CERT, "TRSC", "SSLv3/TLS read server certificate"},
    {TLS_ST_CR_CERT_STATUS, "TRCS", "SSLv3/TLS read certificate status"},
    {TLS_ST_CR_KEY_EXCH, "TRSKE", "SSLv3/TLS read server key exchange"},
    {TLS_ST_CR_CERT_REQ, "TRCR", "SSLv3/TLS read server certificate request"},
    {TLS_ST_CR_SESSION_TICKET, "TRST", "SSLv3/TLS read server session ticket"},
    {TLS_ST_CR_SRVR_DONE, "TRSD", "SSLv3/TLS read server done"},
    {TLS_ST_CW_CERT, "TWCC", "SSLv3/TLS write client certificate"},
    {TLS_ST_CW_KEY_EXCH, "TWCKE", "SSLv3/TLS write client key exchange"},
    {TLS_ST_CW_CERT_VRFY, "TWCV", "SSLv3/TLS write certificate verify"},
    {TLS_ST_CW_CHANGE, "TWCCS", "SSLv3/TLS write change cipher spec"},
    {TLS_ST_SW_CHANGE, "TWCCS", "SSLv3/TLS write change cipher spec"},
    {TLS_ST_CW_FINISHED, "TWFIN", "SSLv3/TLS write finished"},
    {TLS_ST_SW_FINISHED, "TWFIN", "SSLv3/TLS write finished"},
    {TLS_ST_CR_CHANGE, "TRCCS", "SSLv3/TLS read change cipher spec"},
    {TLS_ST_SR_CHANGE, "TRCCS", "SSLv3/TLS read change cipher spec"},
    {TLS_ST_CR_FINISHED, "TRFIN", "SSLv3/TLS read finished"},
    {TLS_ST_SR_FINISHED, "TRFIN", "SSLv3/TLS read finished"},
    {TLS_ST_SW_HELLO_REQ, "TWHR", "SSLv3/TLS write hello request"},
    {TLS_ST_SR_CLNT_HELLO, "TRCH", "SSLv3/TLS read client hello"},
    {TLS_ST_SW_SRVR_HELLO, "TWSH", "SSLv3/TLS write server hello"},
    {TLS_ST_SW_CERT, "TWSC", "SSLv3/TLS write certificate"},
    {TLS_ST_SW_KEY_EXCH, "TWSKE", "SSLv3/TLS write key exchange"},
    {TLS_ST_SW_CERT_REQ, "TWCR", "SSLv3/TLS write certificate request"},
    {TLS_ST_SW_SESSION_TICKET, "TWST", "SSLv3/TLS write session ticket"},
    {TLS_ST_SW_CERT_STATUS, "TWCS", "SSLv3/TLS write certificate status"},
    {TLS_ST_SW_SRVR_DONE, "TWSD", "SSLv3/TLS write server done"},
    {TLS_ST_SR_CERT, "TRCC", "SSLv3/TLS read client certificate"},
    {TLS_ST_SR_KEY_EXCH, "TRCKE", "SSLv3/TLS read client key exchange"},
    {TLS_ST_SR_CERT_VRFY, "TRCV", "SSLv3/TLS read certificate verify"},
    {TLS_ST_CW_NEXT_PROTO, "TWNP", "SSLv3/TLS write next proto"},
    {TLS_ST_SR_NEXT_PROTO, "TRNP", "SSLv3/TLS read next proto"},
    {DTLS_ST_CR_HELLO_VERIFY_REQUEST, "DRCHV", "DTLS1 read hello verify request"},
    {DTLS_ST_SW_HELLO_VERIFY_REQUEST, "DWCHV", "DTLS1 write hello verify request"},
    {TLS_ST_SW_ENCRYPTED_EXTENSIONS, "TWEE", "TLSv1.3 write encrypted extensions"},
    {TLS_ST_CR_ENCRYPTED_EXTENSIONS, "TREE", "TLSv1.3 read encrypted extensions"},
    {TLS_ST_CR_CERT_VRFY, "TRSCV", "TLSv1.3 read server certificate verify"},
    {TLS_ST_SW_CERT_VRFY, "TRSCV", "TLSv1.3 write server certificate verify"},
    {TLS_ST_CR_HELLO_REQ, "TRHR", "SSLv3/TLS read hello request"},
    {TLS_ST_SW_KEY_UPDATE, "TWSKU", "TLSv1.3 write server key update"},
    {TLS_ST_CW_KEY_UPDATE, "TWCKU", "TLSv1.3 write client key update"},
    {TLS_ST_SR_KEY_UPDATE, "TRCKU", "TLSv1.3 read client key update"},
    {TLS_ST_CR_KEY_UPDATE, "TRSKU", "TLSv1.3 read server key update"},
    {TLS_ST_EARLY_DATA, "TED", "TLSv1.3 early data"},
    {TLS_ST_PENDING_EARLY_DATA_END, "TPEDE", "TLSv1.3 pending early data end"},
    {TLS_ST_CW_END_OF_EARLY_DATA, "TWEOED", "TLSv1.3 write end of early data"},
    {TLS_ST_SR_END_OF_EARLY_DATA, "TWEOED", "TLSv1.3 read end of early data"},
};

OSSL_HANDSHAKE_STATE SSL_get_state(const SSL *s)
{
    if (s->conn == NULL) {
        return TLS_ST_BEFORE;
    }
    return (OSSL_HANDSHAKE_STATE)clasp_conn_state_code(s->conn);
}

static int state_index(const SSL *s)
{
    OSSL_HANDSHAKE_STATE st = SSL_get_state(s);

    for (size_t i = 0; i < sizeof(state_table) / sizeof(state_table[0]); i++) {
        if (state_table[i].st == st) {
            return (int)i;
        }
    }
    return -1;
}

const char *SSL_state_string(const SSL *s)
{
    int i;

    if (s->failed) {
        return "SSLERR";
    }
    i = state_index(s);
    return i < 0 ? "UNKWN" : state_table[i].code;
}

const char *SSL_state_string_long(const SSL *s)
{
    int i;

    if (s->failed) {
        return "error";
    }
    i = state_index(s);
    return i < 0 ? "unknown state" : state_table[i].text;
}

/* Clasp's record reader has no exposed sub-state: between calls it is
 * always waiting for a record header. */
const char *SSL_rstate_string(const SSL *s)
{
    return "RH";
}

const char *SSL_rstate_string_long(const SSL *s)
{
    return "read header";
}

int SSL_in_before(const SSL *s)
{
    return s->conn == NULL || !clasp_conn_started(s->conn);
}

/* In OpenSSL a fatal error, and a queued KeyUpdate, put the SSL back
 * "in init". */
int SSL_in_init(const SSL *s)
{
    return s->failed || s->conn == NULL || !clasp_conn_handshake_done(s->conn)
           || s->key_update != SSL_KEY_UPDATE_NONE;
}

int SSL_is_init_finished(const SSL *s)
{
    return !SSL_in_init(s);
}

/* ---- versions ---------------------------------------------------------------------------- */

/* The negotiated version, or before that the highest the SSL may use
 * (OpenSSL reports TLS 1.3 for a fresh TLS_method() SSL, and a client's
 * highest configured version once its ClientHello is out). */
int SSL_version(const SSL *s)
{
    uint16_t v = s->conn == NULL ? 0 : clasp_conn_version(s->conn);

    if (v != 0) {
        return v;
    }
    if (s->conn != NULL && clasp_conn_started(s->conn) && !s->server) {
        return clasp_max_version(s);
    }
    return s->method->version != 0 ? s->method->version : TLS1_3_VERSION;
}

static const char *version_string(int v)
{
    switch (v) {
    case TLS1_3_VERSION:
        return "TLSv1.3";
    case TLS1_2_VERSION:
        return "TLSv1.2";
    case TLS1_1_VERSION:
        return "TLSv1.1";
    case TLS1_VERSION:
        return "TLSv1";
    case SSL3_VERSION:
        return "SSLv3";
    default:
        return "unknown";
    }
}

const char *SSL_get_version(const SSL *s)
{
    return version_string(SSL_version(s));
}

/* The ClientHello's legacy_version, which TLS 1.3 fixes at 0x0303
 * (RFC 9846 §4.2.2), once a handshake ran; before, OpenSSL reports the
 * method's version (TLS_ANY_VERSION for TLS_method()). */
int SSL_client_version(const SSL *s)
{
    if (s->conn == NULL || clasp_conn_version(s->conn) == 0) {
        return s->method->version != 0 ? s->method->version : TLS_ANY_VERSION;
    }
    return TLS1_2_VERSION;
}

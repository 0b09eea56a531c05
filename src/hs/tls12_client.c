/* The TLS 1.2 client state machine (RFC 5246 §7.3) for ECDHE with AEAD
 * suites (RFC 8422, RFC 5289, RFC 7905); RFC 5077 tickets are taken
 * (NewSessionTicket before the server's CCS) and offered again, and a
 * ServerHello echoing our session id starts the abbreviated handshake
 * (RFC 5246 §7.3: the server's CCS and Finished, then ours).
 *
 * Entered from the TLS 1.3 client when the ServerHello answering our
 * ClientHello (which offered TLS 1.2 too) has no supported_versions; that
 * ServerHello is read again here, by TLS 1.2's rules.  One do_* function
 * per state, each accepting only its own message (DESIGN.md principles 2
 * and 3); the server's ChangeCipherSpec arrives as a record through
 * clasp_tls12_client_ccs(). */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ext/ext.h"
#include "hs/conn.h"
#include "msg/msg.h"

typedef enum {
    C12_READ_SERVER_HELLO = 0,
    C12_READ_CERTIFICATE,
    C12_VERIFY_PEER,
    C12_READ_SERVER_KEY_EXCHANGE,
    C12_READ_SERVER_HELLO_DONE,
    C12_SEND_CERTIFICATE,
    C12_SEND_CLIENT_KEY_EXCHANGE,
    C12_SEND_CERTIFICATE_VERIFY,
    C12_SEND_CHANGE_CIPHER_SPEC,
    C12_SEND_FINISHED,
    C12_READ_NEW_SESSION_TICKET,
    C12_READ_CHANGE_CIPHER_SPEC,
    C12_READ_FINISHED,
    C12_DONE,
} client12_state;

/* RFC 8422 §5.4 ECCurveType named_curve. */
#define CURVE_TYPE_NAMED 3
/* RFC 5246 §7.4.4 ClientCertificateType; RFC 8422 §5.5. */
#define CERT_TYPE_RSA_SIGN 1
#define CERT_TYPE_ECDSA_SIGN 64

#define MAX_OFFERED_EXTS 8

/* RFC 9846 §4.2.3: what a TLS 1.3 server writes at the end of its random
 * when it negotiates TLS 1.2. */
static const uint8_t downgrade_tls12[8] = {'D', 'O', 'W', 'N', 'G', 'R', 'D', 1};

/* ---- ServerHello ------------------------------------------------------------------------ */

/* The extensions our ClientHello carried that a TLS 1.2 ServerHello may
 * answer (renegotiation_info answers the SCSV, RFC 5746 §3.6). */
static size_t offered_list(const clasp_conn *conn, uint16_t *out)
{
    size_t n = 0;

    if (conn->cfg.sni != NULL && conn->cfg.sni[0] != '\0') {
        out[n++] = CLASP_EXT_SERVER_NAME;
    }
    if (conn->cfg.alpn_len > 0) {
        out[n++] = CLASP_EXT_ALPN;
    }
    out[n++] = CLASP_EXT_EC_POINT_FORMATS;
    out[n++] = CLASP_EXT_EXTENDED_MASTER_SECRET;
    out[n++] = CLASP_EXT_RENEGOTIATION_INFO;
    if (!conn->cfg.no_tickets12) {
        out[n++] = CLASP_EXT_SESSION_TICKET;
    }
    return n;
}

/* Only TLS 1.2 exists below supported_versions for Clasp (RFC 9846
 * Appendix E.1: older versions get protocol_version).  RFC 9846 §4.2.3: a
 * client that offered TLS 1.3 refuses a TLS 1.2 answer carrying the
 * downgrade sentinel (as OpenSSL, with SSL_R_INAPPROPRIATE_FALLBACK). */
static int check_version(clasp_conn *conn, const clasp_server_hello *sh)
{
    if (sh->legacy_version != CLASP_TLS12) {
        return FAIL(conn, SSL_AD_PROTOCOL_VERSION, SSL_R_UNSUPPORTED_PROTOCOL);
    }
    if (conn->cfg.max_version >= CLASP_TLS13 &&
        CRYPTO_memcmp(sh->random + 24, downgrade_tls12, sizeof(downgrade_tls12)) == 0) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_INAPPROPRIATE_FALLBACK);
    }
    return 1;
}

/* A TLS 1.2 suite we offered (RFC 5246 §7.4.1.3), null compression. */
static int choose_suite(clasp_conn *conn, const clasp_server_hello *sh)
{
    const clasp_suite_info *s = clasp_suite12(sh->suite);

    if (s == NULL || !clasp_list_has(conn->cfg.suites12, conn->cfg.num_suites12, sh->suite) ||
        !clasp_aead_available(conn->cfg.crypto, s->aead)) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_WRONG_CIPHER_RETURNED);
    }
    if (sh->compression != 0) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_UNSUPPORTED_COMPRESSION_ALGORITHM);
    }
    conn->suite = s->id;
    conn->hash = s->hash;
    conn->aead = s->aead;
    return 1;
}

/* RFC 5746 §3.4: the server must answer our SCSV with an empty
 * renegotiation_info.  Without it, as OpenSSL 3.0 (no
 * SSL_OP_LEGACY_SERVER_CONNECT), the server is refused. */
static int read_renegotiation_info(clasp_conn *conn, const clasp_exts *x)
{
    if (!x->present[CLASP_X_RENEGOTIATION_INFO]) {
        return FAIL(conn, SSL_AD_HANDSHAKE_FAILURE, SSL_R_UNSAFE_LEGACY_RENEGOTIATION_DISABLED);
    }
    if (!clasp_tls12_reneg_info_empty(x->body[CLASP_X_RENEGOTIATION_INFO])) {
        return FAIL(conn, SSL_AD_HANDSHAKE_FAILURE, SSL_R_RENEGOTIATION_MISMATCH);
    }
    conn->hs->t12.secure_reneg = 1;
    conn->secure_reneg = 1;
    return 1;
}

/* RFC 7627 §5.2: used when the server echoes it (empty); a server without
 * it is accepted unless require_ems. */
static int read_extended_master_secret(clasp_conn *conn, const clasp_exts *x)
{
    if (!x->present[CLASP_X_EXTENDED_MASTER_SECRET]) {
        if (conn->cfg.require_ems) {
            return FAIL(conn, SSL_AD_HANDSHAKE_FAILURE, SSL_R_INCONSISTENT_EXTMS);
        }
        return 1;
    }
    if (clasp_rd_left(&x->body[CLASP_X_EXTENDED_MASTER_SECRET]) != 0) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    }
    conn->hs->t12.ems = 1;
    return 1;
}

/* The ServerHello's extensions, by the table's TLS 1.2 rules (only what we
 * offered, each where RFC allows it). */
static int read_extensions(clasp_conn *conn, const clasp_server_hello *sh)
{
    uint16_t offered[MAX_OFFERED_EXTS];
    size_t num_offered = offered_list(conn, offered);
    clasp_reader block = sh->extensions;
    clasp_exts x;
    int alert;
    int reason;

    if (!clasp_ext_parse(&block, CLASP_MSG_SH12, offered, num_offered, &x, &alert, &reason)) {
        return FAIL(conn, alert, reason);
    }
    /* RFC 6066 §3: the server's server_name is empty. */
    if (x.present[CLASP_X_SERVER_NAME] && clasp_rd_left(&x.body[CLASP_X_SERVER_NAME]) != 0) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    }
    /* RFC 8422 §5.2: the server's list must allow uncompressed points. */
    if (x.present[CLASP_X_EC_POINT_FORMATS] &&
        !clasp_tls12_point_formats_ok(x.body[CLASP_X_EC_POINT_FORMATS])) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_TLS_INVALID_ECPOINTFORMAT_LIST);
    }
    /* RFC 5077 §3.2: the server's session_ticket is empty and promises a
     * NewSessionTicket. */
    if (x.present[CLASP_X_SESSION_TICKET]) {
        if (clasp_rd_left(&x.body[CLASP_X_SESSION_TICKET]) != 0) {
            return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
        }
        conn->hs->t12.ticket_expected = 1;
    }
    return read_renegotiation_info(conn, &x) && read_extended_master_secret(conn, &x) &&
           clasp_read_selected_alpn(conn, &x);
}

/* The TLS 1.2 session offered in the ClientHello, or NULL. */
static const clasp_ticket *offered_session(const clasp_conn *conn)
{
    const clasp_ticket *t = conn->cfg.resume;

    return t != NULL && t->tls12 && !conn->cfg.no_tickets12 ? t : NULL;
}

/* RFC 5077 §3.4: the server accepted our ticket when it echoes the session
 * id we sent with it.  Then the suite must be the session's (RFC 5246
 * §7.4.1.3) and, RFC 7627 §5.3, extended_master_secret as the session had
 * it, or the handshake is aborted. */
static int read_resumption(clasp_conn *conn, const clasp_server_hello *sh)
{
    clasp_hs *hs = conn->hs;
    const clasp_ticket *t = offered_session(conn);

    if (t == NULL || hs->session_id_len == 0 || clasp_rd_left(&sh->session_id) != hs->session_id_len ||
        CRYPTO_memcmp(sh->session_id.ptr, hs->session_id, hs->session_id_len) != 0) {
        return 1;
    }
    if (sh->suite != t->suite || t->psk_len != CLASP_TLS12_MASTER_LEN) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_OLD_SESSION_CIPHER_NOT_RETURNED);
    }
    if (hs->t12.ems != t->ems) {
        return FAIL(conn, SSL_AD_HANDSHAKE_FAILURE, SSL_R_INCONSISTENT_EXTMS);
    }
    hs->t12.resuming = 1;
    hs->t12.resume_ems = t->ems;
    memcpy(hs->t12.resume_master, t->psk, CLASP_TLS12_MASTER_LEN);
    return 1;
}

/* Resuming, the master secret stands for the server's authentication: its
 * Finished proves it knows it (RFC 5246 §7.3; principle 8). */
static int start_resumption(clasp_conn *conn)
{
    if (!clasp_tls12_resume_keys(conn)) {
        return 0;
    }
    conn->hs->verified.psk = 1;
    conn->resumed = 1;
    return 1;
}

/* What the server sends next once we may expect its CCS: a
 * NewSessionTicket first when it promised one (RFC 5077 §3.3). */
static int after_our_finished(const clasp_conn *conn)
{
    return conn->hs->t12.ticket_expected ? C12_READ_NEW_SESSION_TICKET
                                         : C12_READ_CHANGE_CIPHER_SPEC;
}

static clasp_hs_status do_read_server_hello(clasp_conn *conn)
{
    clasp_reader body;
    clasp_server_hello sh;
    int reason;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_SERVER_HELLO, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (!clasp_sh_parse(&body, &sh, &reason)) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, reason);
    }
    /* The session id is the server's (RFC 5246 §7.4.1.3): ours echoed
     * means our ticket was accepted, anything else names a new session. */
    if (!check_version(conn, &sh) || !choose_suite(conn, &sh) || !read_extensions(conn, &sh) ||
        !read_resumption(conn, &sh)) {
        return CLASP_HS_FAIL;
    }
    memcpy(conn->server_random, sh.random, 32);
    if (!clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    if (conn->hs->t12.resuming) {
        if (!start_resumption(conn)) {
            return CLASP_HS_FAIL;
        }
        clasp_hs_set_state(conn, after_our_finished(conn), "SSLv3/TLS read server hello",
                           TLS_ST_CR_SRVR_HELLO);
        return CLASP_HS_CONTINUE;
    }
    clasp_hs_set_state(conn, C12_READ_CERTIFICATE, "SSLv3/TLS read server hello",
                       TLS_ST_CR_SRVR_HELLO);
    return CLASP_HS_CONTINUE;
}

/* ---- Certificate ------------------------------------------------------------------------ */

/* RFC 5246 §7.4.2: a non-empty chain whose leaf key the suite can use
 * (RFC 8422 §2: ECDSA/EdDSA keys for ECDHE_ECDSA, RSA keys for ECDHE_RSA). */
static clasp_hs_status do_read_certificate(clasp_conn *conn)
{
    clasp_reader body;
    X509 *leaf;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_CERTIFICATE, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (!clasp_tls12_read_certificate(conn, &body)) {
        return CLASP_HS_FAIL;
    }
    leaf = sk_X509_value(conn->peer_chain, 0);
    if (leaf == NULL) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, SSL_R_NO_CERTIFICATES_RETURNED);
    }
    if (!clasp_tls12_kind_fits_auth(clasp_sig_key_kind(X509_get0_pubkey(leaf)),
                                    clasp_suite12(conn->suite)->auth)) {
        return FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_WRONG_CERTIFICATE_TYPE);
    }
    if (!clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, C12_VERIFY_PEER, "SSLv3/TLS read server certificate", TLS_ST_CR_CERT);
    return CLASP_HS_CONTINUE;
}

/* The facade verifies the chain and answers with clasp_conn_verify_done(). */
static clasp_hs_status do_verify_peer(clasp_conn *conn)
{
    if (!conn->hs->verified.cert) {
        conn->wait = CLASP_WAIT_VERIFY_PEER;
        return CLASP_HS_WAIT;
    }
    conn->hs->state = C12_READ_SERVER_KEY_EXCHANGE; /* the verdict is no message */
    return CLASP_HS_CONTINUE;
}

/* ---- ServerKeyExchange ---------------------------------------------------------------- */

/* RFC 8422 §5.4: ServerECDHParams, then digitally-signed. */
typedef struct {
    clasp_reader params; /* the signed bytes: curve_type .. point */
    uint16_t group;
    clasp_reader point;
    uint16_t scheme;
    clasp_reader sig;
} server_key_exchange;

static int parse_ske(clasp_conn *conn, clasp_reader body, server_key_exchange *ske)
{
    clasp_reader whole = body;
    const uint8_t *params;
    uint8_t curve_type;

    if (!clasp_rd_u8(&body, &curve_type) || !clasp_rd_u16(&body, &ske->group) ||
        !clasp_rd_u8_prefixed(&body, &ske->point) || clasp_rd_left(&ske->point) == 0) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
    }
    /* The signed params: curve_type(1) + group(2) + point<1..2^8-1>. */
    if (!clasp_rd_bytes(&whole, &params, 4 + clasp_rd_left(&ske->point))) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    clasp_rd_init(&ske->params, params, 4 + clasp_rd_left(&ske->point));
    if (!clasp_rd_u16(&body, &ske->scheme) || !clasp_rd_u16_prefixed(&body, &ske->sig) ||
        !clasp_rd_done(&body)) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
    }
    /* Only named curves exist in Clasp's (and RFC 8422's) world. */
    if (curve_type != CURVE_TYPE_NAMED) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_WRONG_CURVE);
    }
    return 1;
}

/* The group must be one we offered (RFC 8422 §5.4); an ECDSA leaf's curve
 * too (§5.3); the scheme one we offered that fits the leaf key (RFC 5246
 * §7.4.1.4.1). */
static int check_ske_choices(clasp_conn *conn, const server_key_exchange *ske)
{
    EVP_PKEY *key = X509_get0_pubkey(sk_X509_value(conn->peer_chain, 0));
    uint16_t cert_group = clasp_sig_key_group(key);

    if (!clasp_list_has(conn->cfg.groups, conn->cfg.num_groups, ske->group) ||
        !clasp_kex_supported(ske->group)) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_WRONG_CURVE);
    }
    if (clasp_sig_key_kind(key) == CLASP_KEY_EC &&
        !clasp_list_has(conn->cfg.groups, conn->cfg.num_groups, cert_group)) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_WRONG_CURVE);
    }
    if (!clasp_list_has(conn->cfg.sigalgs, conn->cfg.num_sigalgs, ske->scheme) ||
        !clasp_sig_scheme_fits_key_tls12(ske->scheme, key)) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_WRONG_SIGNATURE_TYPE);
    }
    return 1;
}

/* Our ephemeral key for the server's group and the premaster secret (RFC
 * 8422 §5.10).  A point not on the curve, or an X25519 share giving the
 * all-zero secret, is illegal_parameter (RFC 8422 §5.11, RFC 7748 §6). */
static int key_exchange(clasp_conn *conn, const server_key_exchange *ske)
{
    clasp_hs *hs = conn->hs;
    clasp_tls12_hs *t = &hs->t12;

    clasp_kex_free(hs->kex);
    hs->kex = clasp_kex_generate(conn->cfg.crypto, ske->group, hs->peer_share, &hs->peer_share_len);
    if (hs->kex == NULL) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    t->pms_len = sizeof(t->pms);
    if (!clasp_kex_derive(hs->kex, ske->point.ptr, ske->point.len, t->pms, &t->pms_len)) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_ECPOINT);
    }
    hs->kex_group = ske->group;
    conn->group = ske->group;
    EVP_PKEY_free(conn->peer_tmp_key);
    conn->peer_tmp_key =
        clasp_kex_peer_pkey(conn->cfg.crypto, ske->group, ske->point.ptr, ske->point.len);
    return 1;
}

/* The signature is checked before the point is used (principle 8: the
 * server's chain was accepted before this state). */
static clasp_hs_status do_read_server_key_exchange(clasp_conn *conn)
{
    clasp_reader body;
    server_key_exchange ske;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_SERVER_KEY_EXCHANGE, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (!parse_ske(conn, body, &ske) || !check_ske_choices(conn, &ske) ||
        !clasp_tls12_check_params(conn, ske.scheme, ske.params.ptr, ske.params.len, ske.sig.ptr,
                                  ske.sig.len) ||
        !key_exchange(conn, &ske)) {
        return CLASP_HS_FAIL;
    }
    conn->peer_sigalg = ske.scheme;
    if (!clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, C12_READ_SERVER_HELLO_DONE, "SSLv3/TLS read server key exchange",
                       TLS_ST_CR_KEY_EXCH);
    return CLASP_HS_CONTINUE;
}

/* ---- CertificateRequest, ServerHelloDone ------------------------------------------------- */

static int cert_type_listed(clasp_reader types, clasp_key_kind kind)
{
    uint8_t want = kind == CLASP_KEY_RSA || kind == CLASP_KEY_RSA_PSS ? CERT_TYPE_RSA_SIGN
                                                                      : CERT_TYPE_ECDSA_SIGN;
    uint8_t t;

    while (clasp_rd_u8(&types, &t)) {
        if (t == want) {
            return 1;
        }
    }
    return 0;
}

/* The first configured identity of a listed type whose key can sign with a
 * listed scheme (RFC 5246 §7.4.6); none: an empty Certificate. */
static void choose_identity(clasp_conn *conn, clasp_reader types, const uint16_t *peer,
                            size_t num_peer)
{
    clasp_hs *hs = conn->hs;

    for (size_t i = 0; i < conn->cfg.num_client_ids; i++) {
        const clasp_identity *id = &conn->cfg.client_ids[i];
        uint16_t scheme;

        if (id->leaf == NULL || id->key == NULL || !cert_type_listed(types, id->kind)) {
            continue;
        }
        scheme = clasp_tls12_pick_sigalg(conn, id, peer, num_peer);
        if (scheme != 0) {
            hs->chosen_identity = *id;
            hs->identity = &hs->chosen_identity;
            conn->own_sigalg = scheme;
            return;
        }
    }
}

/* SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>:
 * keeps up to max entries. */
static int read_sigalg_list(clasp_reader *r, uint16_t *out, size_t max, size_t *num)
{
    clasp_reader vec;
    uint16_t v;

    *num = 0;
    if (!clasp_rd_u16_prefixed(r, &vec) || clasp_rd_left(&vec) == 0 ||
        clasp_rd_left(&vec) % 2 != 0) {
        return 0;
    }
    while (clasp_rd_u16(&vec, &v)) {
        if (*num < max) {
            out[(*num)++] = v;
        }
    }
    return 1;
}

/* RFC 5246 §7.4.4: certificate_types<1..2^8-1>, supported_signature_algorithms
 * <2..2^16-2>, certificate_authorities<0..2^16-1> (not acted on). */
static clasp_hs_status read_certificate_request(clasp_conn *conn, clasp_reader body)
{
    clasp_reader types;
    clasp_reader cas;
    uint16_t peer[CLASP_MAX_OFFERED];
    size_t num_peer = 0;

    if (conn->hs->cert_requested) {
        return FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_MESSAGE);
    }
    if (!clasp_rd_u8_prefixed(&body, &types) || clasp_rd_left(&types) == 0 ||
        !read_sigalg_list(&body, peer, CLASP_MAX_OFFERED, &num_peer) ||
        !clasp_rd_u16_prefixed(&body, &cas) || !clasp_rd_done(&body)) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
    }
    choose_identity(conn, types, peer, num_peer);
    conn->hs->cert_requested = 1;
    if (!clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, C12_READ_SERVER_HELLO_DONE,
                       "SSLv3/TLS read server certificate request", TLS_ST_CR_CERT_REQ);
    return CLASP_HS_CONTINUE;
}

static clasp_hs_status do_read_server_hello_done(clasp_conn *conn)
{
    uint8_t type;
    clasp_reader body;
    int got = clasp_hs_peek(conn, &type, &body);

    if (got <= 0) {
        return got == 0 ? CLASP_HS_READ : CLASP_HS_FAIL;
    }
    if (type == CLASP_HT_CERTIFICATE_REQUEST) {
        return read_certificate_request(conn, body);
    }
    if (type != CLASP_HT_SERVER_HELLO_DONE) {
        return FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_MESSAGE);
    }
    /* RFC 5246 §7.4.5: struct { } ServerHelloDone; */
    if (clasp_rd_left(&body) != 0) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
    }
    if (!clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(
        conn, conn->hs->cert_requested ? C12_SEND_CERTIFICATE : C12_SEND_CLIENT_KEY_EXCHANGE,
        "SSLv3/TLS read server done", TLS_ST_CR_SRVR_DONE);
    return CLASP_HS_CONTINUE;
}

/* ---- our flight --------------------------------------------------------------------------- */

static clasp_hs_status do_send_certificate(clasp_conn *conn)
{
    if (!clasp_tls12_send_certificate(conn, conn->hs->identity)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, C12_SEND_CLIENT_KEY_EXCHANGE, "SSLv3/TLS write client certificate",
                       TLS_ST_CW_CERT);
    return CLASP_HS_CONTINUE;
}

/* RFC 8422 §5.7: our ephemeral point; then the master secret (RFC 7627
 * §3: the session hash runs through this message) and the key block.
 * Principle 8: nothing is derived for a server not yet authenticated. */
static clasp_hs_status do_send_client_key_exchange(clasp_conn *conn)
{
    clasp_hs *hs = conn->hs;
    clasp_wr_mark mark;
    clasp_wr_mark point;
    clasp_writer *w;

    if (!hs->verified.cert || !hs->verified.cert_verify) {
        return FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    w = clasp_hs_begin(conn, CLASP_HT_CLIENT_KEY_EXCHANGE, &mark);
    clasp_wr_open_u8(w, &point);
    clasp_wr_bytes(w, hs->peer_share, hs->peer_share_len); /* our point, see key_exchange() */
    clasp_wr_close(w, &point);
    if (!clasp_hs_send(conn, &mark) || !clasp_tls12_derive_keys(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn,
                       hs->cert_requested && hs->identity != NULL ? C12_SEND_CERTIFICATE_VERIFY
                                                                  : C12_SEND_CHANGE_CIPHER_SPEC,
                       "SSLv3/TLS write client key exchange", TLS_ST_CW_KEY_EXCH);
    return CLASP_HS_CONTINUE;
}

/* RFC 5246 §7.4.8: our signature over the handshake messages so far. */
static clasp_hs_status do_send_certificate_verify(clasp_conn *conn)
{
    uint8_t sig[CLASP_MAX_SIG_LEN];
    size_t sig_len = sizeof(sig);
    clasp_wr_mark mark;
    clasp_wr_mark vec;
    clasp_writer *w;

    if (!clasp_tls12_sign_transcript(conn, conn->hs->identity->key, conn->own_sigalg, sig,
                                     &sig_len)) {
        return CLASP_HS_FAIL;
    }
    w = clasp_hs_begin(conn, CLASP_HT_CERTIFICATE_VERIFY, &mark);
    clasp_wr_u16(w, conn->own_sigalg);
    clasp_wr_open_u16(w, &vec);
    clasp_wr_bytes(w, sig, sig_len);
    clasp_wr_close(w, &vec);
    if (!clasp_hs_send(conn, &mark)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, C12_SEND_CHANGE_CIPHER_SPEC, "SSLv3/TLS write certificate verify",
                       TLS_ST_CW_CERT_VRFY);
    return CLASP_HS_CONTINUE;
}

static clasp_hs_status do_send_change_cipher_spec(clasp_conn *conn)
{
    if (!clasp_tls12_send_ccs(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, C12_SEND_FINISHED, "SSLv3/TLS write change cipher spec",
                       TLS_ST_CW_CHANGE);
    return CLASP_HS_CONTINUE;
}

static clasp_hs_status do_send_finished(clasp_conn *conn)
{
    if (!clasp_tls12_send_finished(conn)) {
        return CLASP_HS_FAIL;
    }
    if (conn->hs->t12.resuming) {
        /* RFC 5246 §7.3: our Finished ends the abbreviated handshake. */
        clasp_hs_set_state(conn, C12_DONE, "SSLv3/TLS write finished", TLS_ST_CW_FINISHED);
        return CLASP_HS_DONE;
    }
    clasp_hs_set_state(conn, after_our_finished(conn), "SSLv3/TLS write finished",
                       TLS_ST_CW_FINISHED);
    return CLASP_HS_CONTINUE;
}

/* ---- NewSessionTicket (RFC 5077 §3.3) ------------------------------------------------------ */

/* The ticket goes into conn->ticket with what resuming needs (suite,
 * master secret, RFC 7627 use); the facade takes it when the handshake
 * is done.  An empty ticket means the server changed its mind. */
static int take_ticket(clasp_conn *conn, uint32_t lifetime, clasp_reader ticket)
{
    clasp_ticket *t = &conn->ticket;
    size_t len = clasp_rd_left(&ticket);

    clasp_ticket_cleanup(t);
    conn->have_ticket = 0;
    if (len == 0) {
        return 1;
    }
    t->ticket = OPENSSL_malloc(len);
    if (t->ticket == NULL || !clasp_rd_copy(&ticket, t->ticket, len)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_MALLOC_FAILURE);
    }
    t->ticket_len = len;
    t->tls12 = 1;
    t->suite = conn->suite;
    t->ems = conn->ems;
    t->lifetime = lifetime;
    memcpy(t->psk, conn->master_secret, CLASP_TLS12_MASTER_LEN);
    t->psk_len = CLASP_TLS12_MASTER_LEN;
    conn->have_ticket = 1;
    return 1;
}

/* struct { uint32 ticket_lifetime_hint; opaque ticket<0..2^16-1>; } */
static clasp_hs_status do_read_new_session_ticket(clasp_conn *conn)
{
    clasp_reader body;
    clasp_reader ticket;
    uint32_t lifetime;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_NEW_SESSION_TICKET, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (!clasp_rd_u32(&body, &lifetime) || !clasp_rd_u16_prefixed(&body, &ticket) ||
        !clasp_rd_done(&body)) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
    }
    if (!take_ticket(conn, lifetime, ticket) || !clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, C12_READ_CHANGE_CIPHER_SPEC, "SSLv3/TLS read server session ticket",
                       TLS_ST_CR_SESSION_TICKET);
    return CLASP_HS_CONTINUE;
}

/* ---- the server's ChangeCipherSpec and Finished -------------------------------------------- */

/* The CCS is a record of its own (clasp_tls12_client_ccs); a handshake
 * message in its place is unexpected (RFC 5246 §7.1). */
static clasp_hs_status do_read_change_cipher_spec(clasp_conn *conn)
{
    if (clasp_hs_buffered(conn)) {
        return FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_MESSAGE);
    }
    return CLASP_HS_READ;
}

int clasp_tls12_client_ccs(clasp_conn *conn)
{
    const clasp_verified *v = &conn->hs->verified;

    if (conn->hs->state != C12_READ_CHANGE_CIPHER_SPEC) {
        return FAIL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_CCS_RECEIVED_EARLY);
    }
    if (!CLASP_PEER_AUTHENTICATED(v)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    if (!clasp_tls12_install_key(conn, 0)) {
        return 0;
    }
    clasp_hs_set_state(conn, C12_READ_FINISHED, "SSLv3/TLS read change cipher spec",
                       TLS_ST_CR_CHANGE);
    return 1;
}

/* RFC 5246 §7.4.9: the server's verify_data over everything through our
 * Finished; only then is the handshake done (principle 8). */
static clasp_hs_status do_read_finished(clasp_conn *conn)
{
    clasp_reader body;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_FINISHED, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (!clasp_tls12_check_finished(conn, &body) || !clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    if (conn->hs->t12.resuming) {
        /* RFC 5246 §7.3: resuming, the server finished first; now us. */
        clasp_hs_set_state(conn, C12_SEND_CHANGE_CIPHER_SPEC, "SSLv3/TLS read finished",
                           TLS_ST_CR_FINISHED);
        return CLASP_HS_CONTINUE;
    }
    clasp_hs_set_state(conn, C12_DONE, "SSLv3/TLS read finished", TLS_ST_CR_FINISHED);
    return CLASP_HS_DONE;
}

clasp_hs_status clasp_tls12_client_step(clasp_conn *conn)
{
    switch ((client12_state)conn->hs->state) {
    case C12_READ_SERVER_HELLO:
        return do_read_server_hello(conn);
    case C12_READ_CERTIFICATE:
        return do_read_certificate(conn);
    case C12_VERIFY_PEER:
        return do_verify_peer(conn);
    case C12_READ_SERVER_KEY_EXCHANGE:
        return do_read_server_key_exchange(conn);
    case C12_READ_SERVER_HELLO_DONE:
        return do_read_server_hello_done(conn);
    case C12_SEND_CERTIFICATE:
        return do_send_certificate(conn);
    case C12_SEND_CLIENT_KEY_EXCHANGE:
        return do_send_client_key_exchange(conn);
    case C12_SEND_CERTIFICATE_VERIFY:
        return do_send_certificate_verify(conn);
    case C12_SEND_CHANGE_CIPHER_SPEC:
        return do_send_change_cipher_spec(conn);
    case C12_SEND_FINISHED:
        return do_send_finished(conn);
    case C12_READ_NEW_SESSION_TICKET:
        return do_read_new_session_ticket(conn);
    case C12_READ_CHANGE_CIPHER_SPEC:
        return do_read_change_cipher_spec(conn);
    case C12_READ_FINISHED:
        return do_read_finished(conn);
    case C12_DONE:
        return CLASP_HS_DONE;
    default:
        return FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
}

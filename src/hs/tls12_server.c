/* The TLS 1.2 server state machine (RFC 5246 §7.3) for ECDHE with AEAD
 * suites (RFC 8422, RFC 5289, RFC 7905), with RFC 5077 session tickets.
 *
 *   ClientHello            -->
 *                          <--  ServerHello, Certificate, ServerKeyExchange,
 *                               [CertificateRequest], ServerHelloDone
 *   [Certificate], ClientKeyExchange, [CertificateVerify],
 *   ChangeCipherSpec, Finished -->
 *                          <--  [NewSessionTicket], ChangeCipherSpec, Finished
 *
 * and, for a ticket we sealed (RFC 5077 §3.1, RFC 5246 §7.3):
 *
 *   ClientHello + ticket   -->
 *                          <--  ServerHello, ChangeCipherSpec, Finished
 *   ChangeCipherSpec, Finished -->
 *
 * Entered from the TLS 1.3 server once version negotiation chose TLS 1.2
 * (SNI, ALPN, client_random and session id are already read there); one
 * do_* function per state, each accepting only its own message (DESIGN.md
 * principles 2 and 3). */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ext/ext.h"
#include "hs/conn.h"
#include "msg/msg.h"

typedef enum {
    S12_READ_CLIENT_HELLO = 0,
    S12_CLIENT_HELLO_DECISION,
    S12_SEND_SERVER_HELLO,
    S12_SEND_CERTIFICATE,
    S12_SEND_SERVER_KEY_EXCHANGE,
    S12_SEND_CERTIFICATE_REQUEST,
    S12_SEND_SERVER_HELLO_DONE,
    S12_READ_CLIENT_CERTIFICATE,
    S12_VERIFY_CLIENT,
    S12_READ_CLIENT_KEY_EXCHANGE,
    S12_READ_CERTIFICATE_VERIFY,
    S12_READ_CHANGE_CIPHER_SPEC,
    S12_READ_FINISHED,
    S12_SEND_FINISHED,
    S12_SEND_RESUMED_FINISHED,
    S12_DONE,
} server12_state;

/* Signalling cipher suite values (RFC 5746 §3.3, RFC 7507 §2). */
#define SCSV_RENEGOTIATION 0x00ff
#define SCSV_FALLBACK 0x5600

/* RFC 5246 §7.4.4 ClientCertificateType; RFC 8422 §5.5 (ecdsa_sign also
 * covers EdDSA). */
#define CERT_TYPE_RSA_SIGN 1
#define CERT_TYPE_ECDSA_SIGN 64

/* RFC 8422 §5.4 ECCurveType named_curve. */
#define CURVE_TYPE_NAMED 3

/* RFC 9846 §4.2.3: the last 8 bytes of a TLS 1.3 server's random when it
 * negotiates TLS 1.2. */
static const uint8_t downgrade_tls12[8] = {'D', 'O', 'W', 'N', 'G', 'R', 'D', 1};

/* ---- ClientHello ------------------------------------------------------------------ */

static int has_suite(clasp_reader suites, uint16_t v)
{
    uint16_t id;

    while (clasp_rd_u16(&suites, &id)) {
        if (id == v) {
            return 1;
        }
    }
    return 0;
}

/* RFC 5246 §7.4.1.2: the null method MUST be offered. */
static int check_compression(clasp_conn *conn, clasp_reader methods)
{
    uint8_t m;

    while (clasp_rd_u8(&methods, &m)) {
        if (m == 0) {
            return 1;
        }
    }
    return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_NO_COMPRESSION_SPECIFIED);
}

/* RFC 7507 §3: a fallback retry while we support a higher version. */
static int check_fallback(clasp_conn *conn, const clasp_client_hello *ch)
{
    if (has_suite(ch->suites, SCSV_FALLBACK) && conn->cfg.max_version > CLASP_TLS12) {
        return FAIL(conn, SSL_AD_INAPPROPRIATE_FALLBACK, SSL_R_INAPPROPRIATE_FALLBACK);
    }
    return 1;
}

/* RFC 5746 §3.6: the SCSV or an empty renegotiation_info says the client
 * supports secure renegotiation; a non-empty one on an initial handshake
 * is handshake_failure.  A client with neither is served (we never
 * renegotiate), without the extension in our reply. */
static int read_renegotiation_info(clasp_conn *conn, const clasp_client_hello *ch,
                                   const clasp_exts *x)
{
    clasp_tls12_hs *t = &conn->hs->t12;

    if (x->present[CLASP_X_RENEGOTIATION_INFO]) {
        if (!clasp_tls12_reneg_info_empty(x->body[CLASP_X_RENEGOTIATION_INFO])) {
            return FAIL(conn, SSL_AD_HANDSHAKE_FAILURE, SSL_R_RENEGOTIATION_MISMATCH);
        }
        t->secure_reneg = 1;
    }
    if (has_suite(ch->suites, SCSV_RENEGOTIATION)) {
        t->secure_reneg = 1;
    }
    conn->secure_reneg = t->secure_reneg;
    return 1;
}

/* RFC 7627 §5.1: extension_data is empty; we always use it when offered. */
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

/* RFC 8422 §5.1.2: a list without uncompressed is illegal_parameter. */
static int read_point_formats(clasp_conn *conn, const clasp_exts *x)
{
    if (!x->present[CLASP_X_EC_POINT_FORMATS]) {
        return 1;
    }
    if (!clasp_tls12_point_formats_ok(x->body[CLASP_X_EC_POINT_FORMATS])) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_TLS_INVALID_ECPOINTFORMAT_LIST);
    }
    conn->hs->t12.client_sent_point_formats = 1;
    return 1;
}

/* supported_groups (RFC 8422 §5.1.1) and signature_algorithms (RFC 5246
 * §7.4.1.4.1), kept for the decision.  Without signature_algorithms the
 * client would accept only SHA-1 signatures, which Clasp does not make:
 * the list stays empty and no suite can be served. */
static int read_lists(clasp_conn *conn, const clasp_exts *x)
{
    clasp_hs *hs = conn->hs;
    clasp_reader body;

    if (x->present[CLASP_X_SUPPORTED_GROUPS]) {
        body = x->body[CLASP_X_SUPPORTED_GROUPS];
        if (!clasp_u16_list_parse(&body, hs->t12.client_groups, CLASP_TLS12_MAX_LIST,
                                  &hs->t12.num_client_groups)) {
            return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
        }
        hs->t12.client_sent_groups = 1;
    }
    if (x->present[CLASP_X_SIGNATURE_ALGORITHMS]) {
        body = x->body[CLASP_X_SIGNATURE_ALGORITHMS];
        if (!clasp_u16_list_parse(&body, hs->client_sigalgs, CLASP_MAX_OFFERED,
                                  &hs->num_client_sigalgs)) {
            return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
        }
    }
    return 1;
}

/* The client's TLS 1.2 suites that Clasp knows, in its order (unknown
 * ones, CBC, RSA key exchange and the SCSVs are ignored: RFC 5246
 * §7.4.1.2). */
static void keep_suites(clasp_conn *conn, clasp_reader suites)
{
    clasp_tls12_hs *t = &conn->hs->t12;
    uint16_t id;

    t->num_client_suites = 0;
    while (clasp_rd_u16(&suites, &id) && t->num_client_suites < CLASP_TLS12_MAX_LIST) {
        if (clasp_suite12(id) != NULL) {
            t->client_suites[t->num_client_suites++] = id;
        }
    }
}

static int group_usable(const clasp_conn *conn, uint16_t g)
{
    return clasp_list_has(conn->cfg.groups, conn->cfg.num_groups, g) && clasp_kex_supported(g);
}

/* RFC 8422 §5.1.1: the ECDHE group comes from the client's list (its
 * order, or ours with SSL_OP_CIPHER_SERVER_PREFERENCE); a client without
 * the extension gets our first group (§4).  0 when none is shared. */
static uint16_t choose_group(const clasp_conn *conn)
{
    const clasp_tls12_hs *t = &conn->hs->t12;

    if (!t->client_sent_groups) {
        return conn->cfg.num_groups > 0 && group_usable(conn, conn->cfg.groups[0])
                   ? conn->cfg.groups[0]
                   : 0;
    }
    if (conn->cfg.server_prefer_own_suites) {
        for (size_t i = 0; i < conn->cfg.num_groups; i++) {
            uint16_t g = conn->cfg.groups[i];
            if (group_usable(conn, g) &&
                clasp_list_has(t->client_groups, t->num_client_groups, g)) {
                return g;
            }
        }
        return 0;
    }
    for (size_t i = 0; i < t->num_client_groups; i++) {
        if (group_usable(conn, t->client_groups[i])) {
            return t->client_groups[i];
        }
    }
    return 0;
}

/* The TLS 1.2 ClientHello (RFC 5246 §7.4.1.2): what the TLS 1.3 server has
 * not read yet. */
static const clasp_suite_info *suite_usable(const clasp_conn *conn, uint16_t id);

/* RFC 7627 §5.3: a session resumes only when both it and this
 * ClientHello used the extended master secret, or neither did; otherwise
 * the handshake is a full one. */
static int ticket_usable(const clasp_conn *conn, const clasp_tls12_ticket_state *st)
{
    uint64_t age_ms = conn->cfg.now_ms - st->issued_ms;

    return st->issued_ms <= conn->cfg.now_ms && age_ms <= (uint64_t)st->lifetime * 1000u &&
           suite_usable(conn, st->suite) != NULL && st->ems == conn->hs->t12.ems;
}

/* RFC 5077 §3.2: an empty session_ticket asks for a ticket; one of ours
 * that is still good resumes the session it seals; anything else is
 * ignored and the handshake is a full one (§3.4). */
static void read_session_ticket(clasp_conn *conn, const clasp_exts *x)
{
    clasp_tls12_hs *t = &conn->hs->t12;
    const clasp_reader *tk = &x->body[CLASP_X_SESSION_TICKET];
    clasp_tls12_ticket_state st;

    if (!x->present[CLASP_X_SESSION_TICKET] || conn->cfg.ticket_key == NULL ||
        conn->cfg.no_tickets12) {
        return;
    }
    t->client_sent_ticket = 1;
    if (clasp_rd_left(tk) > 0 &&
        clasp_tls12_open_ticket(conn->cfg.crypto, conn->cfg.ticket_key, tk->ptr,
                                clasp_rd_left(tk), &st) &&
        ticket_usable(conn, &st)) {
        t->resuming = 1;
        t->resume_suite = st.suite;
        t->resume_ems = st.ems;
        memcpy(t->resume_master, st.master, sizeof(st.master));
        /* Principle 8: only we can have sealed it; the Finished messages
         * prove the client holds its master secret. */
        conn->hs->verified.psk = 1;
    }
    OPENSSL_cleanse(&st, sizeof(st));
}

static int process_client_hello(clasp_conn *conn, clasp_reader *body)
{
    clasp_client_hello ch;
    clasp_exts x;
    clasp_reader block;
    int alert;
    int reason;

    if (!clasp_ch_parse(body, &ch, &reason)) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, reason);
    }
    block = ch.extensions;
    if (!clasp_ext_parse(&block, CLASP_MSG_CH, NULL, 0, &x, &alert, &reason)) {
        return FAIL(conn, alert, reason);
    }
    if (!check_compression(conn, ch.compression) || !check_fallback(conn, &ch) ||
        !read_renegotiation_info(conn, &ch, &x) || !read_extended_master_secret(conn, &x) ||
        !read_point_formats(conn, &x) || !read_lists(conn, &x)) {
        return 0;
    }
    keep_suites(conn, ch.suites);
    conn->hs->kex_group = choose_group(conn);
    read_session_ticket(conn, &x);
    return 1;
}

static clasp_hs_status do_read_client_hello(clasp_conn *conn)
{
    clasp_reader body;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_CLIENT_HELLO, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (!process_client_hello(conn, &body) || !clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, S12_CLIENT_HELLO_DECISION, "SSLv3/TLS read client hello",
                       TLS_ST_SR_CLNT_HELLO);
    return CLASP_HS_CONTINUE;
}

/* ---- the facade's decision: suite, identity, signature scheme ------------------------ */

/* RFC 8422 §5.3: an ECDSA certificate's curve must be one the client
 * listed (when it sent supported_groups). */
static int cert_curve_ok(const clasp_conn *conn, const clasp_identity *id)
{
    const clasp_tls12_hs *t = &conn->hs->t12;

    if (id->kind != CLASP_KEY_EC || !t->client_sent_groups) {
        return 1;
    }
    return id->group != 0 && clasp_list_has(t->client_groups, t->num_client_groups, id->group);
}

/* The first identity that can authenticate suite s, with its scheme. */
static const clasp_identity *identity_for(clasp_conn *conn, const clasp_suite_info *s,
                                          const clasp_identity *ids, size_t num_ids,
                                          uint16_t *scheme)
{
    clasp_hs *hs = conn->hs;

    for (size_t i = 0; i < num_ids; i++) {
        if (ids[i].leaf == NULL || ids[i].key == NULL ||
            !clasp_tls12_kind_fits_auth(ids[i].kind, s->auth) || !cert_curve_ok(conn, &ids[i])) {
            continue;
        }
        *scheme =
            clasp_tls12_pick_sigalg(conn, &ids[i], hs->client_sigalgs, hs->num_client_sigalgs);
        if (*scheme != 0) {
            return &ids[i];
        }
    }
    return NULL;
}

static const clasp_suite_info *suite_usable(const clasp_conn *conn, uint16_t id)
{
    const clasp_suite_info *s = clasp_suite12(id);

    if (s == NULL || !clasp_list_has(conn->cfg.suites12, conn->cfg.num_suites12, id) ||
        !clasp_list_has(conn->hs->t12.client_suites, conn->hs->t12.num_client_suites, id) ||
        !clasp_aead_available(conn->cfg.crypto, s->aead)) {
        return NULL;
    }
    return s;
}

/* Takes suite s with identity id: the choice is made. */
static void take(clasp_conn *conn, const clasp_suite_info *s, const clasp_identity *id,
                 uint16_t scheme)
{
    clasp_hs *hs = conn->hs;

    conn->suite = s->id;
    conn->hash = s->hash;
    conn->aead = s->aead;
    hs->t12.sig_scheme = scheme;
    hs->chosen_identity = *id;
    hs->identity = &hs->chosen_identity;
}

/* RFC 5246 §7.4.1.3: the client's suite order wins unless
 * SSL_OP_CIPHER_SERVER_PREFERENCE; a suite counts only when some identity
 * can serve it.  ECDHE needs a shared group too (RFC 8422 §5.1.1); as
 * OpenSSL, every failure here is "no shared cipher". */
int clasp_tls12_choose_identity(clasp_conn *conn, const clasp_identity *ids, size_t num_ids)
{
    const clasp_tls12_hs *t = &conn->hs->t12;
    int own = conn->cfg.server_prefer_own_suites;
    size_t n = own ? conn->cfg.num_suites12 : t->num_client_suites;

    for (size_t i = 0; conn->hs->kex_group != 0 && i < n; i++) {
        const clasp_suite_info *s =
            suite_usable(conn, own ? conn->cfg.suites12[i] : t->client_suites[i]);
        const clasp_identity *id;
        uint16_t scheme = 0;

        if (s == NULL) {
            continue;
        }
        id = identity_for(conn, s, ids, num_ids, &scheme);
        if (id != NULL) {
            take(conn, s, id, scheme);
            return 1;
        }
    }
    return FAIL(conn, SSL_AD_HANDSHAKE_FAILURE, SSL_R_NO_SHARED_CIPHER);
}

/* The facade (SNI, client hello and ALPN callbacks, certificates) answers
 * with clasp_conn_client_hello_done(), which lands in
 * clasp_tls12_choose_identity(); hs->identity marks the decision. */
static clasp_hs_status do_client_hello_decision(clasp_conn *conn)
{
    if (conn->hs->identity == NULL) {
        conn->wait = CLASP_WAIT_CLIENT_HELLO;
        return CLASP_HS_WAIT;
    }
    conn->hs->state = S12_SEND_SERVER_HELLO; /* the verdict is no message */
    return CLASP_HS_CONTINUE;
}

/* ---- ServerHello ------------------------------------------------------------------------ */

static void put_empty_ext(clasp_writer *w, uint16_t type)
{
    clasp_wr_u16(w, type);
    clasp_wr_u16(w, 0);
}

/* 1 when the ServerHello answers at least one extension. */
static int any_extension(const clasp_conn *conn)
{
    const clasp_tls12_hs *t = &conn->hs->t12;

    return (conn->have_sni && conn->hs->sni_ack) || t->secure_reneg || t->ems ||
           t->client_sent_point_formats || conn->alpn_len > 0 || t->send_ticket;
}

/* The extensions answering the client's (RFC 5246 §7.4.1.4: only those it
 * offered); no block at all when there is none. */
static void put_extensions(clasp_conn *conn, clasp_writer *w)
{
    const clasp_tls12_hs *t = &conn->hs->t12;
    clasp_wr_mark exts;

    if (!any_extension(conn)) {
        return;
    }
    clasp_wr_open_u16(w, &exts);
    if (conn->have_sni && conn->hs->sni_ack) {
        put_empty_ext(w, CLASP_EXT_SERVER_NAME); /* RFC 6066 §3 */
    }
    if (t->secure_reneg) {
        clasp_wr_u16(w, CLASP_EXT_RENEGOTIATION_INFO); /* RFC 5746 §3.6 */
        clasp_wr_u16(w, 1);
        clasp_wr_u8(w, 0);
    }
    if (t->ems) {
        put_empty_ext(w, CLASP_EXT_EXTENDED_MASTER_SECRET);
    }
    if (t->send_ticket) {
        put_empty_ext(w, CLASP_EXT_SESSION_TICKET); /* RFC 5077 §3.2 */
    }
    if (t->client_sent_point_formats) {
        clasp_wr_u16(w, CLASP_EXT_EC_POINT_FORMATS); /* RFC 8422 §5.2 */
        clasp_wr_u16(w, 2);
        clasp_wr_u8(w, 1);
        clasp_wr_u8(w, 0); /* uncompressed */
    }
    if (conn->alpn_len > 0) {
        clasp_wr_u16(w, CLASP_EXT_ALPN); /* RFC 7301 §3.1: one name */
        clasp_wr_u16(w, (uint16_t)(conn->alpn_len + 3));
        clasp_wr_u16(w, (uint16_t)(conn->alpn_len + 1));
        clasp_wr_u8(w, (uint8_t)conn->alpn_len);
        clasp_wr_bytes(w, conn->alpn, conn->alpn_len);
    }
    clasp_wr_close(w, &exts);
}

/* Our random; a server that also speaks TLS 1.3 marks it (RFC 9846 §4.2.3)
 * so that a TLS 1.3 client notices a downgrade. */
static int make_server_random(clasp_conn *conn)
{
    if (!clasp_rand_bytes(conn->cfg.crypto, conn->server_random, 32)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    if (conn->cfg.max_version >= CLASP_TLS13) {
        memcpy(conn->server_random + 24, downgrade_tls12, sizeof(downgrade_tls12));
    }
    return 1;
}

/* RFC 5077 §3.4: resuming, the ServerHello echoes the client's session id
 * (that is how the client learns its ticket was accepted) and carries the
 * session's suite.  A full handshake sends an empty session id: sessions
 * live in tickets only, nothing is cached. */
static void choose_session(clasp_conn *conn)
{
    clasp_tls12_hs *t = &conn->hs->t12;
    const clasp_suite_info *s = t->resuming ? clasp_suite12(t->resume_suite) : NULL;

    if (s != NULL) {
        conn->suite = s->id;
        conn->hash = s->hash;
        conn->aead = s->aead;
    }
    t->send_ticket = t->client_sent_ticket && !t->resuming && conn->cfg.num_tickets > 0;
}

/* RFC 5246 §7.4.1.3. */
static clasp_hs_status do_send_server_hello(clasp_conn *conn)
{
    clasp_hs *hs = conn->hs;
    size_t sid_len = hs->t12.resuming ? hs->session_id_len : 0;
    clasp_wr_mark mark;
    clasp_writer *w;

    if (!make_server_random(conn)) {
        return CLASP_HS_FAIL;
    }
    choose_session(conn);
    w = clasp_hs_begin(conn, CLASP_HT_SERVER_HELLO, &mark);
    clasp_wr_u16(w, CLASP_TLS12);
    clasp_wr_bytes(w, conn->server_random, 32);
    clasp_wr_u8(w, (uint8_t)sid_len);
    clasp_wr_bytes(w, hs->session_id, sid_len);
    clasp_wr_u16(w, conn->suite);
    clasp_wr_u8(w, 0); /* compression_method null */
    put_extensions(conn, w);
    if (!clasp_hs_send(conn, &mark)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, hs->t12.resuming ? S12_SEND_RESUMED_FINISHED : S12_SEND_CERTIFICATE,
                       "SSLv3/TLS write server hello", TLS_ST_SW_SRVR_HELLO);
    return CLASP_HS_CONTINUE;
}

/* RFC 5246 §7.3 abbreviated handshake: the server's CCS and Finished come
 * right after the ServerHello, under keys from the session's master
 * secret and the new randoms. */
static clasp_hs_status do_send_resumed_finished(clasp_conn *conn)
{
    if (!conn->hs->verified.psk) {
        return FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    if (!clasp_tls12_resume_keys(conn) || !clasp_tls12_send_ccs(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, S12_SEND_RESUMED_FINISHED, "SSLv3/TLS write change cipher spec",
                       TLS_ST_SW_CHANGE);
    if (!clasp_tls12_send_finished(conn)) {
        return CLASP_HS_FAIL;
    }
    conn->resumed = 1;
    clasp_hs_set_state(conn, S12_READ_CHANGE_CIPHER_SPEC, "SSLv3/TLS write finished",
                       TLS_ST_SW_FINISHED);
    return CLASP_HS_CONTINUE;
}

/* ---- Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone ---------------- */

static clasp_hs_status do_send_certificate(clasp_conn *conn)
{
    if (!clasp_tls12_send_certificate(conn, conn->hs->identity)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, S12_SEND_SERVER_KEY_EXCHANGE, "SSLv3/TLS write certificate",
                       TLS_ST_SW_CERT);
    return CLASP_HS_CONTINUE;
}

/* RFC 8422 §5.4: ServerECDHParams = ECParameters (named_curve, the group)
 * + ECPoint (our ephemeral public key).  Returns its length, 0 after
 * FATAL. */
static size_t make_params(clasp_conn *conn, uint8_t *params, size_t cap)
{
    clasp_hs *hs = conn->hs;
    uint8_t pub[CLASP_MAX_KEX_PUB_LEN];
    size_t pub_len = 0;
    clasp_writer w;
    clasp_wr_mark point;

    clasp_kex_free(hs->kex);
    hs->kex = clasp_kex_generate(conn->cfg.crypto, hs->kex_group, pub, &pub_len);
    if (hs->kex == NULL) {
        return (size_t)FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    clasp_wr_init_fixed(&w, params, cap);
    clasp_wr_u8(&w, CURVE_TYPE_NAMED);
    clasp_wr_u16(&w, hs->kex_group);
    clasp_wr_open_u8(&w, &point);
    clasp_wr_bytes(&w, pub, pub_len);
    clasp_wr_close(&w, &point);
    if (!clasp_wr_ok(&w)) {
        return (size_t)FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    conn->group = hs->kex_group;
    return w.len;
}

/* RFC 8422 §5.4: params, then digitally-signed (scheme + signature over
 * client_random + server_random + params, RFC 5246 §7.4.1.4.1). */
static clasp_hs_status do_send_server_key_exchange(clasp_conn *conn)
{
    clasp_hs *hs = conn->hs;
    uint8_t params[4 + CLASP_MAX_KEX_PUB_LEN];
    uint8_t sig[CLASP_MAX_SIG_LEN];
    size_t sig_len = sizeof(sig);
    size_t params_len = make_params(conn, params, sizeof(params));
    clasp_wr_mark mark;
    clasp_wr_mark vec;
    clasp_writer *w;

    if (params_len == 0 || !clasp_tls12_sign_params(conn, hs->identity->key, hs->t12.sig_scheme,
                                                    params, params_len, sig, &sig_len)) {
        return CLASP_HS_FAIL;
    }
    w = clasp_hs_begin(conn, CLASP_HT_SERVER_KEY_EXCHANGE, &mark);
    clasp_wr_bytes(w, params, params_len);
    clasp_wr_u16(w, hs->t12.sig_scheme);
    clasp_wr_open_u16(w, &vec);
    clasp_wr_bytes(w, sig, sig_len);
    clasp_wr_close(w, &vec);
    if (!clasp_hs_send(conn, &mark)) {
        return CLASP_HS_FAIL;
    }
    conn->own_sigalg = hs->t12.sig_scheme;
    clasp_hs_set_state(conn,
                       conn->cfg.request_client_cert ? S12_SEND_CERTIFICATE_REQUEST
                                                     : S12_SEND_SERVER_HELLO_DONE,
                       "SSLv3/TLS write key exchange", TLS_ST_SW_KEY_EXCH);
    return CLASP_HS_CONTINUE;
}

/* RFC 5246 §7.4.4: certificate types, our signature schemes, no CA names
 * (as OpenSSL without a client CA list). */
static clasp_hs_status do_send_certificate_request(clasp_conn *conn)
{
    clasp_wr_mark mark;
    clasp_wr_mark list;
    clasp_writer *w = clasp_hs_begin(conn, CLASP_HT_CERTIFICATE_REQUEST, &mark);

    clasp_wr_u8(w, 2);
    clasp_wr_u8(w, CERT_TYPE_RSA_SIGN);
    clasp_wr_u8(w, CERT_TYPE_ECDSA_SIGN);
    clasp_wr_open_u16(w, &list);
    for (size_t i = 0; i < conn->cfg.num_sigalgs; i++) {
        clasp_wr_u16(w, conn->cfg.sigalgs[i]);
    }
    clasp_wr_close(w, &list);
    clasp_wr_u16(w, 0); /* certificate_authorities */
    if (!clasp_hs_send(conn, &mark)) {
        return CLASP_HS_FAIL;
    }
    conn->hs->cert_requested = 1;
    clasp_hs_set_state(conn, S12_SEND_SERVER_HELLO_DONE, "SSLv3/TLS write certificate request",
                       TLS_ST_SW_CERT_REQ);
    return CLASP_HS_CONTINUE;
}

static clasp_hs_status do_send_server_hello_done(clasp_conn *conn)
{
    clasp_wr_mark mark;

    clasp_hs_begin(conn, CLASP_HT_SERVER_HELLO_DONE, &mark);
    if (!clasp_hs_send(conn, &mark)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(
        conn, conn->hs->cert_requested ? S12_READ_CLIENT_CERTIFICATE : S12_READ_CLIENT_KEY_EXCHANGE,
        "SSLv3/TLS write server done", TLS_ST_SW_SRVR_DONE);
    return CLASP_HS_CONTINUE;
}

/* ---- the client's flight ---------------------------------------------------------------- */

/* RFC 5246 §7.4.6: an empty list when the client has no suitable
 * certificate; with SSL_VERIFY_FAIL_IF_NO_PEER_CERT that is
 * handshake_failure (as OpenSSL in TLS 1.2). */
static clasp_hs_status do_read_client_certificate(clasp_conn *conn)
{
    clasp_reader body;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_CERTIFICATE, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (!clasp_tls12_read_certificate(conn, &body)) {
        return CLASP_HS_FAIL;
    }
    if (sk_X509_num(conn->peer_chain) == 0 && conn->cfg.require_client_cert) {
        return FATAL(conn, SSL_AD_HANDSHAKE_FAILURE, SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE);
    }
    if (!clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(
        conn, sk_X509_num(conn->peer_chain) > 0 ? S12_VERIFY_CLIENT : S12_READ_CLIENT_KEY_EXCHANGE,
        "SSLv3/TLS read client certificate", TLS_ST_SR_CERT);
    return CLASP_HS_CONTINUE;
}

/* The facade verifies the chain and answers with clasp_conn_verify_done(). */
static clasp_hs_status do_verify_client(clasp_conn *conn)
{
    if (!conn->hs->verified.cert) {
        conn->wait = CLASP_WAIT_VERIFY_PEER;
        return CLASP_HS_WAIT;
    }
    conn->hs->state = S12_READ_CLIENT_KEY_EXCHANGE; /* the verdict is no message */
    return CLASP_HS_CONTINUE;
}

/* RFC 8422 §5.7: struct { opaque point <1..2^8-1>; } ClientECDiffieHellmanPublic.
 * A point that is not on the curve, or an X25519 share giving the all-zero
 * secret, is illegal_parameter (RFC 8422 §5.11, RFC 7748 §6). */
static int read_client_point(clasp_conn *conn, clasp_reader *body)
{
    clasp_hs *hs = conn->hs;
    clasp_reader point;

    if (!clasp_rd_u8_prefixed(body, &point) || !clasp_rd_done(body) || clasp_rd_left(&point) == 0) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
    }
    hs->t12.pms_len = sizeof(hs->t12.pms);
    if (!clasp_kex_derive(hs->kex, point.ptr, point.len, hs->t12.pms, &hs->t12.pms_len)) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_ECPOINT);
    }
    EVP_PKEY_free(conn->peer_tmp_key);
    conn->peer_tmp_key = clasp_kex_peer_pkey(conn->cfg.crypto, hs->kex_group, point.ptr, point.len);
    return 1;
}

static clasp_hs_status do_read_client_key_exchange(clasp_conn *conn)
{
    clasp_reader body;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_CLIENT_KEY_EXCHANGE, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    /* RFC 7627 §3: the session hash runs through ClientKeyExchange. */
    if (!read_client_point(conn, &body) || !clasp_hs_consume(conn) ||
        !clasp_tls12_derive_keys(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn,
                       sk_X509_num(conn->peer_chain) > 0 ? S12_READ_CERTIFICATE_VERIFY
                                                         : S12_READ_CHANGE_CIPHER_SPEC,
                       "SSLv3/TLS read client key exchange", TLS_ST_SR_KEY_EXCH);
    return CLASP_HS_CONTINUE;
}

/* RFC 5246 §7.4.8: a scheme our CertificateRequest listed that fits the
 * client's key, over the handshake messages through ClientKeyExchange. */
static clasp_hs_status do_read_certificate_verify(clasp_conn *conn)
{
    clasp_reader body;
    clasp_reader sig;
    uint16_t scheme;
    X509 *leaf = sk_X509_value(conn->peer_chain, 0);
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_CERTIFICATE_VERIFY, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (!clasp_rd_u16(&body, &scheme) || !clasp_rd_u16_prefixed(&body, &sig) ||
        !clasp_rd_done(&body)) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
    }
    if (leaf == NULL || !clasp_list_has(conn->cfg.sigalgs, conn->cfg.num_sigalgs, scheme) ||
        !clasp_sig_scheme_fits_key_tls12(scheme, X509_get0_pubkey(leaf))) {
        return FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_WRONG_SIGNATURE_TYPE);
    }
    if (!clasp_tls12_check_transcript(conn, scheme, sig.ptr, sig.len) || !clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    conn->peer_sigalg = scheme;
    clasp_hs_set_state(conn, S12_READ_CHANGE_CIPHER_SPEC, "SSLv3/TLS read certificate verify",
                       TLS_ST_SR_CERT_VRFY);
    return CLASP_HS_CONTINUE;
}

/* The CCS is a record of its own (clasp_tls12_server_ccs); a handshake
 * message in its place is unexpected (RFC 5246 §7.1). */
static clasp_hs_status do_read_change_cipher_spec(clasp_conn *conn)
{
    if (clasp_hs_buffered(conn)) {
        return FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_MESSAGE);
    }
    return CLASP_HS_READ;
}

/* Principle 8: a client certificate counts only with its chain accepted
 * and its CertificateVerify checked. */
static int client_auth_verified(const clasp_conn *conn)
{
    const clasp_verified *v = &conn->hs->verified;

    if (sk_X509_num(conn->peer_chain) > 0) {
        return v->cert && v->cert_verify;
    }
    return !conn->cfg.require_client_cert || !conn->hs->cert_requested;
}

int clasp_tls12_server_ccs(clasp_conn *conn)
{
    if (conn->hs->state != S12_READ_CHANGE_CIPHER_SPEC) {
        return FAIL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_CCS_RECEIVED_EARLY);
    }
    if (!client_auth_verified(conn)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    if (!clasp_tls12_install_key(conn, 0)) {
        return 0;
    }
    clasp_hs_set_state(conn, S12_READ_FINISHED, "SSLv3/TLS read change cipher spec",
                       TLS_ST_SR_CHANGE);
    return 1;
}

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
        /* RFC 5246 §7.3: the client's Finished ends the abbreviated handshake. */
        clasp_hs_set_state(conn, S12_DONE, "SSLv3/TLS read finished", TLS_ST_SR_FINISHED);
        return CLASP_HS_DONE;
    }
    clasp_hs_set_state(conn, S12_SEND_FINISHED, "SSLv3/TLS read finished", TLS_ST_SR_FINISHED);
    return CLASP_HS_CONTINUE;
}

/* RFC 5077 §3.3: NewSessionTicket { uint32 ticket_lifetime_hint;
 * opaque ticket<0..2^16-1>; }, before our CCS, sealing this session. */
static int send_new_session_ticket(clasp_conn *conn)
{
    clasp_tls12_ticket_state st = {
        .suite = conn->suite,
        .issued_ms = conn->cfg.now_ms,
        .lifetime = conn->cfg.ticket_lifetime,
        .ems = conn->ems,
    };
    uint8_t ticket[CLASP_TLS12_TICKET_MAX];
    size_t len;
    clasp_wr_mark mark;
    clasp_writer *w;
    int ok;

    memcpy(st.master, conn->master_secret, sizeof(st.master));
    len = clasp_tls12_seal_ticket(conn->cfg.crypto, conn->cfg.ticket_key, &st, ticket);
    OPENSSL_cleanse(&st, sizeof(st));
    if (len == 0) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    w = clasp_hs_begin(conn, CLASP_HT_NEW_SESSION_TICKET, &mark);
    clasp_wr_u32(w, conn->cfg.ticket_lifetime);
    clasp_wr_u16(w, (uint16_t)len);
    clasp_wr_bytes(w, ticket, len);
    ok = clasp_hs_send(conn, &mark);
    OPENSSL_cleanse(ticket, sizeof(ticket));
    return ok;
}

/* Our CCS and Finished (over the transcript through the client's
 * Finished), once everything the client sent is verified. */
static clasp_hs_status do_send_finished(clasp_conn *conn)
{
    if (!conn->hs->verified.finished || !client_auth_verified(conn)) {
        return FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    if (conn->hs->t12.send_ticket && !send_new_session_ticket(conn)) {
        return CLASP_HS_FAIL;
    }
    if (!clasp_tls12_send_ccs(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, S12_SEND_FINISHED, "SSLv3/TLS write change cipher spec",
                       TLS_ST_SW_CHANGE);
    if (!clasp_tls12_send_finished(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, S12_DONE, "SSLv3/TLS write finished", TLS_ST_SW_FINISHED);
    return CLASP_HS_DONE;
}

clasp_hs_status clasp_tls12_server_step(clasp_conn *conn)
{
    switch ((server12_state)conn->hs->state) {
    case S12_READ_CLIENT_HELLO:
        return do_read_client_hello(conn);
    case S12_CLIENT_HELLO_DECISION:
        return do_client_hello_decision(conn);
    case S12_SEND_SERVER_HELLO:
        return do_send_server_hello(conn);
    case S12_SEND_CERTIFICATE:
        return do_send_certificate(conn);
    case S12_SEND_SERVER_KEY_EXCHANGE:
        return do_send_server_key_exchange(conn);
    case S12_SEND_CERTIFICATE_REQUEST:
        return do_send_certificate_request(conn);
    case S12_SEND_SERVER_HELLO_DONE:
        return do_send_server_hello_done(conn);
    case S12_READ_CLIENT_CERTIFICATE:
        return do_read_client_certificate(conn);
    case S12_VERIFY_CLIENT:
        return do_verify_client(conn);
    case S12_READ_CLIENT_KEY_EXCHANGE:
        return do_read_client_key_exchange(conn);
    case S12_READ_CERTIFICATE_VERIFY:
        return do_read_certificate_verify(conn);
    case S12_READ_CHANGE_CIPHER_SPEC:
        return do_read_change_cipher_spec(conn);
    case S12_READ_FINISHED:
        return do_read_finished(conn);
    case S12_SEND_FINISHED:
        return do_send_finished(conn);
    case S12_SEND_RESUMED_FINISHED:
        return do_send_resumed_finished(conn);
    case S12_DONE:
        return CLASP_HS_DONE;
    default:
        return FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
}

/* The TLS 1.3 client state machine (RFC 9846 §2, Appendix A.1).
 * One do_* function per state; only the current state's function assigns
 * the next state (DESIGN.md principle 2). */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ext/ext.h"
#include "hs/conn.h"
#include "msg/msg.h"

typedef enum {
    CST_SEND_CLIENT_HELLO = 0,
    CST_READ_SERVER_HELLO,
    CST_READ_ENCRYPTED_EXTENSIONS,
    CST_READ_CERTIFICATE,
    CST_VERIFY_PEER,
    CST_READ_CERTIFICATE_VERIFY,
    CST_READ_FINISHED,
    CST_SEND_FINISHED,
} client_state;

#define MAX_OFFERED_EXTS 16

/* Signalling cipher suite values (RFC 5746 §3.3, RFC 7507 §2). */
#define SCSV_RENEGOTIATION 0x00ff
#define SCSV_FALLBACK 0x5600

/* The versions this ClientHello offers: TLS 1.3 and/or TLS 1.2, from the
 * configured range. */
static int offers13(const clasp_conn *conn)
{
    return conn->cfg.min_version <= CLASP_TLS13 && conn->cfg.max_version >= CLASP_TLS13;
}

static int offers12(const clasp_conn *conn)
{
    return conn->cfg.min_version <= CLASP_TLS12 && conn->cfg.max_version >= CLASP_TLS12;
}

/* ---- ClientHello ---------------------------------------------------------- */

static void put_u16_list_ext(clasp_writer *w, uint16_t type, const uint16_t *list, size_t n)
{
    clasp_wr_mark ext;
    clasp_wr_mark vec;

    clasp_wr_u16(w, type);
    clasp_wr_open_u16(w, &ext);
    clasp_wr_open_u16(w, &vec);
    for (size_t i = 0; i < n; i++) {
        clasp_wr_u16(w, list[i]);
    }
    clasp_wr_close(w, &vec);
    clasp_wr_close(w, &ext);
}

/* RFC 6066 §3: ServerNameList with one host_name entry. */
static void put_server_name(clasp_writer *w, const char *host)
{
    clasp_wr_mark ext;
    clasp_wr_mark list;
    clasp_wr_mark name;

    clasp_wr_u16(w, CLASP_EXT_SERVER_NAME);
    clasp_wr_open_u16(w, &ext);
    clasp_wr_open_u16(w, &list);
    clasp_wr_u8(w, 0 /* host_name */);
    clasp_wr_open_u16(w, &name);
    clasp_wr_bytes(w, (const uint8_t *)host, strlen(host));
    clasp_wr_close(w, &name);
    clasp_wr_close(w, &list);
    clasp_wr_close(w, &ext);
}

/* RFC 9846 §4.3.8: one KeyShareEntry, for the group we expect. */
static int put_key_share(clasp_conn *conn, clasp_writer *w)
{
    clasp_hs *hs = conn->hs;
    uint8_t pub[CLASP_MAX_KEX_PUB_LEN];
    size_t pub_len = 0;
    clasp_wr_mark ext;
    clasp_wr_mark list;
    clasp_wr_mark share;

    clasp_kex_free(hs->kex);
    hs->kex = clasp_kex_generate(conn->cfg.crypto, hs->kex_group, pub, &pub_len);
    if (hs->kex == NULL) {
        return 0;
    }
    clasp_wr_u16(w, CLASP_EXT_KEY_SHARE);
    clasp_wr_open_u16(w, &ext);
    clasp_wr_open_u16(w, &list);
    clasp_wr_u16(w, hs->kex_group);
    clasp_wr_open_u16(w, &share);
    clasp_wr_bytes(w, pub, pub_len);
    clasp_wr_close(w, &share);
    clasp_wr_close(w, &list);
    clasp_wr_close(w, &ext);
    return 1;
}

static void put_alpn(clasp_writer *w, const uint8_t *alpn, size_t len)
{
    clasp_wr_mark ext;
    clasp_wr_mark list;

    clasp_wr_u16(w, CLASP_EXT_ALPN);
    clasp_wr_open_u16(w, &ext);
    clasp_wr_open_u16(w, &list);
    clasp_wr_bytes(w, alpn, len);
    clasp_wr_close(w, &list);
    clasp_wr_close(w, &ext);
}

/* RFC 9846 §4.3.1: the versions offered, highest first.  A client that
 * offers only TLS 1.2 sends none (RFC 5246 has no such extension). */
static void put_supported_versions(const clasp_conn *conn, clasp_writer *w)
{
    clasp_wr_mark ext;
    clasp_wr_mark list;

    if (!offers13(conn)) {
        return;
    }
    clasp_wr_u16(w, CLASP_EXT_SUPPORTED_VERSIONS);
    clasp_wr_open_u16(w, &ext);
    clasp_wr_open_u8(w, &list);
    clasp_wr_u16(w, CLASP_TLS13);
    if (offers12(conn)) {
        clasp_wr_u16(w, CLASP_TLS12);
    }
    clasp_wr_close(w, &list);
    clasp_wr_close(w, &ext);
}

/* What TLS 1.2 needs in the ClientHello: ec_point_formats with
 * uncompressed only (RFC 8422 §5.1.2) and extended_master_secret (RFC
 * 7627 §5.1).  Secure renegotiation is signalled with the SCSV. */
static void put_tls12_extensions(const clasp_conn *conn, clasp_writer *w)
{
    const clasp_ticket *t = conn->cfg.resume;
    clasp_wr_mark ext;

    if (!offers12(conn)) {
        return;
    }
    clasp_wr_u16(w, CLASP_EXT_EC_POINT_FORMATS);
    clasp_wr_u16(w, 2);
    clasp_wr_u8(w, 1);
    clasp_wr_u8(w, 0);
    clasp_wr_u16(w, CLASP_EXT_EXTENDED_MASTER_SECRET);
    clasp_wr_u16(w, 0);
    if (conn->cfg.no_tickets12) {
        return;
    }
    /* RFC 5077 §3.2: empty asks for a ticket; a session's ticket asks to
     * resume it. */
    clasp_wr_u16(w, CLASP_EXT_SESSION_TICKET);
    clasp_wr_open_u16(w, &ext);
    if (t != NULL && t->tls12) {
        clasp_wr_bytes(w, t->ticket, t->ticket_len);
    }
    clasp_wr_close(w, &ext);
}

static void put_cookie(clasp_conn *conn, clasp_writer *w)
{
    clasp_wr_mark ext;
    clasp_wr_mark cookie;

    clasp_wr_u16(w, CLASP_EXT_COOKIE);
    clasp_wr_open_u16(w, &ext);
    clasp_wr_open_u16(w, &cookie);
    clasp_wr_bytes(w, conn->hs->cookie, conn->hs->cookie_len);
    clasp_wr_close(w, &cookie);
    clasp_wr_close(w, &ext);
}

static int put_extensions(clasp_conn *conn, clasp_writer *w)
{
    const clasp_config *cfg = &conn->cfg;
    clasp_wr_mark exts;

    clasp_wr_open_u16(w, &exts);
    if (cfg->sni != NULL && cfg->sni[0] != '\0') {
        put_server_name(w, cfg->sni);
    }
    put_u16_list_ext(w, CLASP_EXT_SUPPORTED_GROUPS, cfg->groups, cfg->num_groups);
    put_u16_list_ext(w, CLASP_EXT_SIGNATURE_ALGORITHMS, cfg->sigalgs, cfg->num_sigalgs);
    if (cfg->alpn_len > 0) {
        put_alpn(w, cfg->alpn, cfg->alpn_len);
    }
    if (conn->hs->cookie_len > 0) {
        put_cookie(conn, w);
    }
    put_tls12_extensions(conn, w);
    put_supported_versions(conn, w);
    if (offers13(conn) && !put_key_share(conn, w)) {
        return 0;
    }
    /* RFC 9846 §4.3.11: pre_shared_key goes last. */
    conn->hs->psk_offered = 0;
    if (clasp_psk_client_can_offer(conn) && !clasp_psk_client_put_extensions(conn, w)) {
        return 0;
    }
    return clasp_wr_close(w, &exts);
}

/* The extension types this client sends (fixed by its configuration). */
static size_t offered_list(const clasp_conn *conn, uint16_t *out)
{
    size_t n = 0;

    if (conn->cfg.sni != NULL && conn->cfg.sni[0] != '\0') {
        out[n++] = CLASP_EXT_SERVER_NAME;
    }
    out[n++] = CLASP_EXT_SUPPORTED_GROUPS;
    out[n++] = CLASP_EXT_SIGNATURE_ALGORITHMS;
    if (conn->cfg.alpn_len > 0) {
        out[n++] = CLASP_EXT_ALPN;
    }
    if (offers13(conn)) {
        out[n++] = CLASP_EXT_SUPPORTED_VERSIONS;
        out[n++] = CLASP_EXT_KEY_SHARE;
    }
    if (conn->hs->psk_offered) {
        out[n++] = CLASP_EXT_PRE_SHARED_KEY;
    }
    if (offers12(conn)) {
        out[n++] = CLASP_EXT_EC_POINT_FORMATS;
        out[n++] = CLASP_EXT_EXTENDED_MASTER_SECRET;
        if (!conn->cfg.no_tickets12) {
            out[n++] = CLASP_EXT_SESSION_TICKET;
        }
        /* RFC 5746 §3.6: the answer to the SCSV. */
        out[n++] = CLASP_EXT_RENEGOTIATION_INFO;
    }
    return n;
}

/* The configured suites of one version that libcrypto can run. */
static size_t put_suite_list(clasp_conn *conn, clasp_writer *w, const uint16_t *ids, size_t num,
                             const clasp_suite_info *(*lookup)(uint16_t))
{
    size_t n = 0;

    for (size_t i = 0; i < num; i++) {
        const clasp_suite_info *s = lookup(ids[i]);
        if (s != NULL && clasp_aead_available(conn->cfg.crypto, s->aead)) {
            clasp_wr_u16(w, s->id);
            n++;
        }
    }
    return n;
}

/* TLS 1.3 suites, then TLS 1.2's, then the signalling values: secure
 * renegotiation (RFC 5746 §3.4) and, when asked, TLS_FALLBACK_SCSV (RFC
 * 7507 §4).  Returns 0 when no real suite is offered. */
static int put_suites(clasp_conn *conn, clasp_writer *w)
{
    const clasp_config *cfg = &conn->cfg;
    clasp_wr_mark list;
    size_t n = 0;

    clasp_wr_open_u16(w, &list);
    if (offers13(conn)) {
        n += put_suite_list(conn, w, cfg->suites, cfg->num_suites, clasp_suite13);
    }
    if (offers12(conn)) {
        n += put_suite_list(conn, w, cfg->suites12, cfg->num_suites12, clasp_suite12);
        clasp_wr_u16(w, SCSV_RENEGOTIATION);
    }
    if (cfg->send_fallback_scsv) {
        clasp_wr_u16(w, SCSV_FALLBACK);
    }
    clasp_wr_close(w, &list);
    return n > 0;
}

static clasp_hs_status send_client_hello(clasp_conn *conn)
{
    clasp_hs *hs = conn->hs;
    clasp_wr_mark mark;
    clasp_writer *w = clasp_hs_begin(conn, CLASP_HT_CLIENT_HELLO, &mark);

    clasp_wr_u16(w, CLASP_TLS12); /* legacy_version, RFC 9846 §4.2.2 */
    clasp_wr_bytes(w, conn->client_random, 32);
    clasp_wr_u8(w, (uint8_t)hs->session_id_len);
    clasp_wr_bytes(w, hs->session_id, hs->session_id_len);
    if (!put_suites(conn, w)) {
        return FATAL(conn, -1, SSL_R_NO_CIPHERS_AVAILABLE);
    }
    clasp_wr_u8(w, 1);
    clasp_wr_u8(w, 0); /* legacy_compression_methods: null only */
    if (!put_extensions(conn, w)) {
        return FATAL(conn, -1, ERR_R_INTERNAL_ERROR);
    }
    /* RFC 9846 §4.3.11.2: the binder covers the message as built. */
    if (hs->psk_offered && !clasp_psk_client_bind(conn, w)) {
        return CLASP_HS_FAIL;
    }
    if (!clasp_hs_send(conn, &mark)) {
        return CLASP_HS_FAIL;
    }
    conn->rec.write_version = CLASP_TLS12;
    return CLASP_HS_CONTINUE;
}

/* The random and, when one is sent, the session id come from one draw:
 * each call into the DRBG takes its lock and checks for a fork. */
static int client_randomness(clasp_conn *conn)
{
    uint8_t fresh[64];
    size_t sid_len = conn->hs->session_id_len;
    int ok = clasp_rand_bytes(conn->cfg.crypto, fresh, 32 + sid_len);

    if (ok) {
        memcpy(conn->client_random, fresh, 32);
        memcpy(conn->hs->session_id, fresh + 32, sid_len);
    }
    OPENSSL_cleanse(fresh, sizeof(fresh));
    return ok;
}

static clasp_hs_status do_send_client_hello(clasp_conn *conn)
{
    clasp_hs *hs = conn->hs;
    const clasp_config *cfg = &conn->cfg;

    if (!offers13(conn) && !offers12(conn)) {
        return FATAL(conn, -1, SSL_R_NO_PROTOCOLS_AVAILABLE);
    }
    if (cfg->num_groups == 0 || (offers13(conn) && !clasp_kex_supported(cfg->groups[0]))) {
        return FATAL(conn, -1, SSL_R_NO_SUITABLE_GROUPS);
    }
    hs->kex_group = cfg->groups[0];
    /* RFC 9846 Appendix E.4: middlebox compatibility sends a fresh
     * 32-byte legacy_session_id (a TLS 1.3 offer only). */
    /* RFC 5077 §3.4: with a TLS 1.2 ticket, a session id of our own tells
     * whether the server accepted it (it echoes the id). */
    if ((cfg->middlebox_compat && offers13(conn)) ||
        (offers12(conn) && !cfg->no_tickets12 && cfg->resume != NULL && cfg->resume->tls12)) {
        hs->session_id_len = 32;
    }
    if (!client_randomness(conn)) {
        return FATAL(conn, -1, ERR_R_INTERNAL_ERROR);
    }
    /* RFC 9846 §5.1: the initial ClientHello may use record version 0x0301. */
    conn->rec.write_version = 0x0301;
    if (send_client_hello(conn) != CLASP_HS_CONTINUE) {
        return CLASP_HS_FAIL;
    }
    hs->ccs_allowed = 1;
    clasp_hs_set_state(conn, CST_READ_SERVER_HELLO, "SSLv3/TLS write client hello",
                       TLS_ST_CW_CLNT_HELLO);
    return CLASP_HS_CONTINUE;
}

/* ---- ServerHello / HelloRetryRequest --------------------------------------- */

/* RFC 9846 §4.3.1: the server's supported_versions must select TLS 1.3. */
static int check_selected_version(clasp_conn *conn, const clasp_exts *exts)
{
    clasp_reader r = exts->body[CLASP_X_SUPPORTED_VERSIONS];
    uint16_t v;

    if (!exts->present[CLASP_X_SUPPORTED_VERSIONS]) {
        /* A TLS 1.2 (or older) ServerHello where TLS 1.2 was not offered,
         * or after our HelloRetryRequest chose TLS 1.3. */
        FATAL(conn, SSL_AD_PROTOCOL_VERSION, SSL_R_UNSUPPORTED_PROTOCOL);
        return 0;
    }
    if (!clasp_rd_u16(&r, &v) || !clasp_rd_done(&r)) {
        FATAL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
        return 0;
    }
    if (v != CLASP_TLS13) {
        FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_WRONG_SSL_VERSION);
        return 0;
    }
    return 1;
}

/* Checks what every ServerHello and HelloRetryRequest must satisfy
 * (RFC 9846 §4.2.3) and parses its extensions into exts. */
static int check_server_hello_common(clasp_conn *conn, const clasp_server_hello *sh,
                                     clasp_exts *exts)
{
    clasp_hs *hs = conn->hs;
    uint16_t offered[MAX_OFFERED_EXTS];
    size_t num_offered = offered_list(conn, offered);
    clasp_reader block = sh->extensions;
    int alert;
    int reason;

    if (hs->cookie_len == 0 && num_offered < MAX_OFFERED_EXTS) {
        offered[num_offered++] = CLASP_EXT_COOKIE;
    }
    if (!clasp_ext_parse(&block, sh->is_hrr ? CLASP_MSG_HRR : CLASP_MSG_SH, offered,
                         num_offered, exts, &alert, &reason)) {
        FATAL(conn, alert, reason);
        return 0;
    }
    if (!check_selected_version(conn, exts)) {
        return 0;
    }
    if (sh->legacy_version != CLASP_TLS12 || sh->compression != 0) {
        FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_PACKET);
        return 0;
    }
    if (clasp_rd_left(&sh->session_id) != hs->session_id_len ||
        CRYPTO_memcmp(sh->session_id.ptr, hs->session_id, hs->session_id_len) != 0) {
        FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_INVALID_SESSION_ID);
        return 0;
    }
    return 1;
}

/* The cipher suite must be one we offered; after a HelloRetryRequest the
 * ServerHello must repeat the HRR's suite (RFC 9846 §4.2.4). */
static int choose_suite(clasp_conn *conn, uint16_t suite)
{
    const clasp_suite_info *info = clasp_suite13(suite);

    if (info == NULL || !clasp_list_has(conn->cfg.suites, conn->cfg.num_suites, suite) ||
        (conn->suite != 0 && conn->suite != suite)) {
        FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_WRONG_CIPHER_RETURNED);
        return 0;
    }
    conn->suite = suite;
    conn->hash = info->hash;
    conn->aead = info->aead;
    if (!clasp_transcript_set_hash(&conn->hs->transcript, conn->cfg.crypto, info->hash)) {
        FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    return 1;
}

static int read_hrr_cookie(clasp_conn *conn, const clasp_exts *exts)
{
    clasp_reader r = exts->body[CLASP_X_COOKIE];
    clasp_reader cookie;

    if (!exts->present[CLASP_X_COOKIE]) {
        return 1;
    }
    if (!clasp_rd_u16_prefixed(&r, &cookie) || !clasp_rd_done(&r) ||
        clasp_rd_left(&cookie) == 0 || clasp_rd_left(&cookie) > sizeof(conn->hs->cookie)) {
        FATAL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
        return 0;
    }
    conn->hs->cookie_len = clasp_rd_left(&cookie);
    return clasp_rd_copy(&cookie, conn->hs->cookie, conn->hs->cookie_len);
}

/* RFC 9846 §4.3.8: the HRR's selected_group must be one we support and
 * not the one we already sent a share for. */
static int read_hrr_group(clasp_conn *conn, const clasp_exts *exts, int *changed)
{
    clasp_reader r = exts->body[CLASP_X_KEY_SHARE];
    uint16_t group;

    *changed = 0;
    if (!exts->present[CLASP_X_KEY_SHARE]) {
        return 1;
    }
    if (!clasp_rd_u16(&r, &group) || !clasp_rd_done(&r)) {
        FATAL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
        return 0;
    }
    if (!clasp_list_has(conn->cfg.groups, conn->cfg.num_groups, group) ||
        !clasp_kex_supported(group) || group == conn->hs->kex_group) {
        FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_KEY_SHARE);
        return 0;
    }
    conn->hs->kex_group = group;
    *changed = 1;
    return 1;
}

static clasp_hs_status process_hrr(clasp_conn *conn, const clasp_server_hello *sh,
                                   const clasp_exts *exts)
{
    clasp_hs *hs = conn->hs;
    int group_changed;

    /* RFC 9846 §4.2.4: a second HelloRetryRequest is unexpected_message. */
    if (hs->hrr_done) {
        return FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_MESSAGE);
    }
    if (!choose_suite(conn, sh->suite) || !read_hrr_group(conn, exts, &group_changed) ||
        !read_hrr_cookie(conn, exts)) {
        return CLASP_HS_FAIL;
    }
    /* An HRR that would not change the ClientHello is illegal_parameter. */
    if (!group_changed && !exts->present[CLASP_X_COOKIE]) {
        return FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_HELLO_REQUEST);
    }
    if (!clasp_transcript_hrr_restart(&hs->transcript, conn->cfg.crypto) ||
        !clasp_hs_consume(conn)) {
        return FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    hs->hrr_done = 1;
    conn->did_hrr = 1;
    if (!clasp_hs_send_ccs(conn) || send_client_hello(conn) != CLASP_HS_CONTINUE) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, CST_READ_SERVER_HELLO, "SSLv3/TLS write client hello",
                       TLS_ST_CW_CLNT_HELLO);
    return CLASP_HS_CONTINUE;
}

/* RFC 9846 §4.3.8: the server's KeyShareEntry is for our group; derive
 * the (EC)DHE secret from it. */
static int read_server_share(clasp_conn *conn, const clasp_exts *exts, uint8_t *secret,
                             size_t *secret_len)
{
    clasp_hs *hs = conn->hs;
    clasp_reader r = exts->body[CLASP_X_KEY_SHARE];
    clasp_reader share;
    uint16_t group;

    if (!exts->present[CLASP_X_KEY_SHARE]) {
        FATAL(conn, SSL_AD_MISSING_EXTENSION, SSL_R_NO_SUITABLE_KEY_SHARE);
        return 0;
    }
    if (!clasp_rd_u16(&r, &group) || !clasp_rd_u16_prefixed(&r, &share) ||
        !clasp_rd_done(&r)) {
        FATAL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
        return 0;
    }
    if (group != hs->kex_group) {
        FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_KEY_SHARE);
        return 0;
    }
    if (!clasp_kex_derive(hs->kex, share.ptr, share.len, secret, secret_len)) {
        FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_ECPOINT);
        return 0;
    }
    conn->group = group;
    conn->peer_tmp_key = clasp_kex_peer_pkey(conn->cfg.crypto, group, share.ptr, share.len);
    return 1;
}

static int derive_handshake_keys(clasp_conn *conn, const uint8_t *ecdhe, size_t ecdhe_len)
{
    clasp_hs *hs = conn->hs;
    uint8_t th[CLASP_MAX_HASH_LEN];

    /* RFC 9846 §7.1: the Early Secret from the PSK when resuming. */
    if (!clasp_transcript_hash(&hs->transcript, th) ||
        !clasp_ks_init(&hs->ks, conn->cfg.crypto, conn->hash,
                       hs->psk_selected ? hs->psk : NULL, hs->psk_selected ? hs->psk_len : 0) ||
        !clasp_ks_handshake(&hs->ks, conn->cfg.crypto, ecdhe, ecdhe_len, th,
                            hs->client_hs_secret, hs->server_hs_secret)) {
        FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    clasp_keylog(conn, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", hs->client_hs_secret);
    clasp_keylog(conn, "SERVER_HANDSHAKE_TRAFFIC_SECRET", hs->server_hs_secret);
    return clasp_install_key(conn, hs->server_hs_secret, 0) &&
           clasp_install_key(conn, hs->client_hs_secret, 1);
}

static clasp_hs_status process_server_hello(clasp_conn *conn, const clasp_server_hello *sh,
                                            const clasp_exts *exts)
{
    uint8_t ecdhe[CLASP_MAX_KEX_SECRET_LEN];
    size_t ecdhe_len = 0;
    int ok;

    if (!choose_suite(conn, sh->suite) || !clasp_psk_client_read_selected(conn, exts) ||
        !read_server_share(conn, exts, ecdhe, &ecdhe_len)) {
        return CLASP_HS_FAIL;
    }
    conn->resumed = conn->hs->psk_selected;
    memcpy(conn->server_random, sh->random, 32);
    conn->version = CLASP_TLS13;
    ok = clasp_hs_consume(conn) && derive_handshake_keys(conn, ecdhe, ecdhe_len);
    OPENSSL_cleanse(ecdhe, sizeof(ecdhe));
    if (!ok) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, CST_READ_ENCRYPTED_EXTENSIONS, "SSLv3/TLS read server hello",
                       TLS_ST_CR_SRVR_HELLO);
    return CLASP_HS_CONTINUE;
}

/* 1 when the extensions block has no supported_versions: the ServerHello
 * of a TLS 1.2 (or older) server (RFC 9846 §4.3.1).  A malformed block
 * counts as TLS 1.3 here; the TLS 1.3 checks then report it. */
static int is_legacy_server_hello(clasp_reader block)
{
    while (!clasp_rd_done(&block)) {
        uint16_t type;
        clasp_reader body;

        if (!clasp_rd_u16(&block, &type) || !clasp_rd_u16_prefixed(&block, &body)) {
            return 0;
        }
        if (type == CLASP_EXT_SUPPORTED_VERSIONS) {
            return 0;
        }
    }
    return 1;
}

static clasp_hs_status do_read_server_hello(clasp_conn *conn)
{
    clasp_reader body;
    clasp_server_hello sh;
    clasp_exts exts;
    int reason;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_SERVER_HELLO, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (!clasp_sh_parse(&body, &sh, &reason)) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, reason);
    }
    /* A TLS 1.2 answer to a ClientHello that offered TLS 1.2 (and not to
     * the ClientHello our HelloRetryRequest asked for): tls12_client.c
     * reads this ServerHello again from its first state. */
    if (offers12(conn) && !conn->hs->hrr_done && is_legacy_server_hello(sh.extensions)) {
        conn->version = CLASP_TLS12;
        conn->hs->state = 0;
        return CLASP_HS_CONTINUE;
    }
    if (!check_server_hello_common(conn, &sh, &exts)) {
        return CLASP_HS_FAIL;
    }
    if (sh.is_hrr) {
        return process_hrr(conn, &sh, &exts);
    }
    return process_server_hello(conn, &sh, &exts);
}

/* ---- EncryptedExtensions ------------------------------------------------------ */

static clasp_hs_status do_read_encrypted_extensions(clasp_conn *conn)
{
    clasp_reader body;
    clasp_reader block;
    clasp_exts exts;
    uint16_t offered[MAX_OFFERED_EXTS];
    size_t num_offered = offered_list(conn, offered);
    int alert;
    int reason;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_ENCRYPTED_EXTENSIONS, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (!clasp_ee_parse(&body, &block, &reason)) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, reason);
    }
    if (!clasp_ext_parse(&block, CLASP_MSG_EE, offered, num_offered, &exts, &alert, &reason)) {
        return FATAL(conn, alert, reason);
    }
    /* RFC 6066 §3: the server's server_name is empty. */
    if (exts.present[CLASP_X_SERVER_NAME] && exts.body[CLASP_X_SERVER_NAME].len != 0) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    }
    if (!clasp_read_selected_alpn(conn, &exts) || !clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    /* RFC 9846 §2.2: a PSK handshake has no Certificate or
     * CertificateVerify (and no CertificateRequest, §4.4.2). */
    clasp_hs_set_state(conn,
                       conn->hs->psk_selected ? CST_READ_FINISHED : CST_READ_CERTIFICATE,
                       "TLSv1.3 read encrypted extensions", TLS_ST_CR_ENCRYPTED_EXTENSIONS);
    return CLASP_HS_CONTINUE;
}

/* ---- CertificateRequest / Certificate ------------------------------------------ */

/* RFC 9846 §4.4.2: the CertificateRequest's extensions.  signature_algorithms
 * is required; the others (certificate_authorities, oid_filters, …) are not
 * acted on, and unknown ones are ignored ("Clients MUST ignore unrecognized
 * extensions"), so this walks the block itself instead of the response rules
 * of clasp_ext_parse().  *sigalgs gets the signature_algorithms body. */
static int read_cr_extensions(clasp_conn *conn, clasp_reader block, clasp_reader *sigalgs)
{
    int have_sigalgs = 0;

    while (!clasp_rd_done(&block)) {
        uint16_t type;
        clasp_reader body;

        if (!clasp_rd_u16(&block, &type) || !clasp_rd_u16_prefixed(&block, &body)) {
            FATAL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
            return 0;
        }
        if (type != CLASP_EXT_SIGNATURE_ALGORITHMS) {
            continue;
        }
        /* RFC 9846 §4.3: no extension twice in one block. */
        if (have_sigalgs) {
            FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_EXTENSION);
            return 0;
        }
        have_sigalgs = 1;
        *sigalgs = body;
    }
    if (!have_sigalgs) {
        FATAL(conn, SSL_AD_MISSING_EXTENSION, SSL_R_MISSING_SIGALGS_EXTENSION);
        return 0;
    }
    return 1;
}

/* The first configured identity whose key can sign with a scheme the
 * server listed (RFC 9846 §4.5.1.2, §4.5.2); none: an empty Certificate
 * will be sent (§4.5.1).  Sets hs->identity and conn->own_sigalg. */
static void choose_client_identity(clasp_conn *conn, const uint16_t *peer, size_t num_peer)
{
    clasp_hs *hs = conn->hs;

    for (size_t i = 0; i < conn->cfg.num_client_ids; i++) {
        const clasp_identity *id = &conn->cfg.client_ids[i];
        uint16_t scheme;

        if (id->leaf == NULL || id->key == NULL) {
            continue;
        }
        scheme = clasp_pick_sigalg(conn, id, peer, num_peer);
        if (scheme != 0) {
            hs->chosen_identity = *id;
            hs->identity = &hs->chosen_identity;
            conn->own_sigalg = scheme;
            return;
        }
    }
}

static clasp_hs_status read_certificate_request(clasp_conn *conn, clasp_reader *body)
{
    clasp_cert_request cr;
    clasp_reader sigalgs;
    uint16_t peer[CLASP_MAX_OFFERED];
    size_t num_peer = 0;
    int reason;

    if (conn->hs->cert_requested) {
        return FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_MESSAGE);
    }
    if (!clasp_cr_parse(body, &cr, &reason)) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, reason);
    }
    if (!read_cr_extensions(conn, cr.extensions, &sigalgs)) {
        return CLASP_HS_FAIL;
    }
    if (!clasp_u16_list_parse(&sigalgs, peer, CLASP_MAX_OFFERED, &num_peer)) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_LENGTH);
    }
    choose_client_identity(conn, peer, num_peer);
    conn->hs->cert_requested = 1;
    /* Echoed in our Certificate (RFC 9846 §4.5.1); as OpenSSL, a non-empty
     * context during the handshake is accepted and echoed. */
    conn->hs->cert_req_context_len = cr.context.len;
    if (!clasp_rd_copy(&cr.context, conn->hs->cert_req_context, cr.context.len) ||
        !clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, CST_READ_CERTIFICATE, "SSLv3/TLS read server certificate request",
                       TLS_ST_CR_CERT_REQ);
    return CLASP_HS_CONTINUE;
}

static clasp_hs_status read_certificate(clasp_conn *conn, clasp_reader *body)
{
    clasp_certificate cert;
    int reason;

    if (!clasp_cert_parse(body, &cert, &reason)) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, reason);
    }
    /* RFC 9846 §4.5.1: the server's context is empty; §4.5.1.3: an empty
     * server Certificate is decode_error. */
    if (cert.context.len != 0) {
        return FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_INVALID_CONTEXT);
    }
    if (clasp_rd_done(&cert.entries)) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, SSL_R_NO_CERTIFICATES_RETURNED);
    }
    if (!clasp_auth_read_cert_entries(conn, &cert.entries) || !clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, CST_VERIFY_PEER, "SSLv3/TLS read server certificate",
                       TLS_ST_CR_CERT);
    return CLASP_HS_CONTINUE;
}

static clasp_hs_status do_read_certificate(clasp_conn *conn)
{
    uint8_t type;
    clasp_reader body;
    int got = clasp_hs_peek(conn, &type, &body);

    if (got <= 0) {
        return got == 0 ? CLASP_HS_READ : CLASP_HS_FAIL;
    }
    if (type == CLASP_HT_CERTIFICATE_REQUEST) {
        return read_certificate_request(conn, &body);
    }
    if (type != CLASP_HT_CERTIFICATE) {
        return FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_MESSAGE);
    }
    return read_certificate(conn, &body);
}

/* The facade verifies the chain (X509_STORE, callbacks) and answers with
 * clasp_conn_verify_done(); the engine waits here until it has. */
static clasp_hs_status do_verify_peer(clasp_conn *conn)
{
    if (!conn->hs->verified.cert) {
        conn->wait = CLASP_WAIT_VERIFY_PEER;
        return CLASP_HS_WAIT;
    }
    clasp_hs_set_state(conn, CST_READ_CERTIFICATE_VERIFY, "SSLv3/TLS read server certificate",
                       TLS_ST_CR_CERT);
    return CLASP_HS_CONTINUE;
}

/* ---- CertificateVerify ------------------------------------------------------- */

static clasp_hs_status do_read_certificate_verify(clasp_conn *conn)
{
    clasp_reader body;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_CERTIFICATE_VERIFY, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (!clasp_auth_read_cert_verify(conn, &body, 1) || !clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, CST_READ_FINISHED, "TLSv1.3 read server certificate verify",
                       TLS_ST_CR_CERT_VRFY);
    return CLASP_HS_CONTINUE;
}

/* ---- Finished ----------------------------------------------------------------- */

static int derive_application_keys(clasp_conn *conn, uint8_t *client_ap)
{
    clasp_hs *hs = conn->hs;
    uint8_t th[CLASP_MAX_HASH_LEN];
    uint8_t server_ap[CLASP_MAX_HASH_LEN];
    int ok;

    ok = clasp_transcript_hash(&hs->transcript, th) &&
         clasp_ks_master(&hs->ks, conn->cfg.crypto, th, client_ap, server_ap,
                         conn->exporter_secret);
    if (!ok) {
        OPENSSL_cleanse(server_ap, sizeof(server_ap));
        FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    clasp_keylog(conn, "SERVER_TRAFFIC_SECRET_0", server_ap);
    clasp_keylog(conn, "CLIENT_TRAFFIC_SECRET_0", client_ap);
    clasp_keylog(conn, "EXPORTER_SECRET", conn->exporter_secret);
    ok = clasp_install_key(conn, server_ap, 0);
    OPENSSL_cleanse(server_ap, sizeof(server_ap));
    return ok;
}

static clasp_hs_status do_read_finished(clasp_conn *conn)
{
    clasp_hs *hs = conn->hs;
    clasp_reader body;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_FINISHED, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (body.len != clasp_hash_len(conn->hash)) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
    }
    if (!clasp_finished_check(conn, hs->server_hs_secret, body.ptr, body.len)) {
        return FATAL(conn, SSL_AD_DECRYPT_ERROR, SSL_R_DIGEST_CHECK_FAILED);
    }
    if (!clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    hs->ccs_allowed = 0; /* RFC 9846 §5: not after the peer's Finished */
    clasp_hs_set_state(conn, CST_SEND_FINISHED, "SSLv3/TLS read finished",
                       TLS_ST_CR_FINISHED);
    return CLASP_HS_CONTINUE;
}

/* RFC 9846 §4.5.1: the request's context echoed, then our leaf and its
 * chain, or no entry at all without a usable certificate. */
static int send_certificate(clasp_conn *conn)
{
    clasp_hs *hs = conn->hs;

    if (!clasp_auth_send_certificate(conn, hs->cert_req_context, hs->cert_req_context_len,
                                     hs->identity)) {
        return 0;
    }
    clasp_hs_set_state(conn, CST_SEND_FINISHED, "SSLv3/TLS write client certificate",
                       TLS_ST_CW_CERT);
    return 1;
}

/* RFC 9846 §4.5.2: our signature over the transcript through our
 * Certificate, with the scheme chosen when the request arrived. */
static int send_certificate_verify(clasp_conn *conn)
{
    if (!clasp_auth_send_cert_verify(conn, conn->hs->identity->key, conn->own_sigalg, 0)) {
        return 0;
    }
    clasp_hs_set_state(conn, CST_SEND_FINISHED, "SSLv3/TLS write certificate verify",
                       TLS_ST_CW_CERT_VRFY);
    return 1;
}

/* The client's authentication messages, when the server asked for them
 * (RFC 9846 §4.5.2: Certificate, then CertificateVerify if it was not empty). */
static int send_client_auth(clasp_conn *conn)
{
    if (!conn->hs->cert_requested) {
        return 1;
    }
    if (!send_certificate(conn)) {
        return 0;
    }
    return conn->hs->identity == NULL || send_certificate_verify(conn);
}

static clasp_hs_status do_send_finished(clasp_conn *conn)
{
    clasp_hs *hs = conn->hs;
    uint8_t client_ap[CLASP_MAX_HASH_LEN];
    int ok;

    /* Principle 8: application keys only after the server authenticated
     * (certificate and CertificateVerify, or the resumption PSK) and its
     * Finished verified. */
    if (!CLASP_PEER_AUTHENTICATED(&hs->verified) || !hs->verified.finished) {
        return FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    if (!derive_application_keys(conn, client_ap)) {
        return CLASP_HS_FAIL;
    }
    /* The resumption master secret covers our Finished (RFC 9846 §7.1). */
    ok = clasp_hs_send_ccs(conn) && send_client_auth(conn) &&
         clasp_auth_send_finished(conn, hs->client_hs_secret) &&
         clasp_psk_derive_resumption(conn) && clasp_install_key(conn, client_ap, 1);
    OPENSSL_cleanse(client_ap, sizeof(client_ap));
    if (!ok) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, CST_SEND_FINISHED, "SSLv3/TLS write finished", TLS_ST_CW_FINISHED);
    return CLASP_HS_DONE;
}

clasp_hs_status clasp_tls13_client_step(clasp_conn *conn)
{
    switch ((client_state)conn->hs->state) {
    case CST_SEND_CLIENT_HELLO:
        return do_send_client_hello(conn);
    case CST_READ_SERVER_HELLO:
        return do_read_server_hello(conn);
    case CST_READ_ENCRYPTED_EXTENSIONS:
        return do_read_encrypted_extensions(conn);
    case CST_READ_CERTIFICATE:
        return do_read_certificate(conn);
    case CST_VERIFY_PEER:
        return do_verify_peer(conn);
    case CST_READ_CERTIFICATE_VERIFY:
        return do_read_certificate_verify(conn);
    case CST_READ_FINISHED:
        return do_read_finished(conn);
    case CST_SEND_FINISHED:
        return do_send_finished(conn);
    default:
        return FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
}

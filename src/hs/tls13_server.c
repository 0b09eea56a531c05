/* The TLS 1.3 server state machine (RFC 9846 §2, Appendix A.2).
 * One do_* function per state; only the current state's function assigns
 * the next state (DESIGN.md principle 2).  Each state peeks at a message,
 * checks its type, processes it and only then consumes it (principle 3).
 *
 * The full (EC)DHE + certificate handshake, with optional certificate-based
 * client authentication, and resumption with a ticket's PSK and (EC)DHE
 * (psk_dhe_ke; tls13_psk.c checks the offer), which skips Certificate and
 * CertificateVerify.  No 0-RTT: an early_data offer is ignored (RFC 9846
 * §4.3.10: a server may always decline it; our tickets never allow it). */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ext/ext.h"
#include "hs/conn.h"
#include "msg/msg.h"

typedef enum {
    SST_READ_CLIENT_HELLO = 0,
    SST_CLIENT_HELLO_DECISION,
    SST_SEND_HELLO_RETRY_REQUEST,
    SST_READ_SECOND_CLIENT_HELLO,
    SST_SEND_SERVER_HELLO,
    SST_SEND_ENCRYPTED_EXTENSIONS,
    SST_SEND_CERTIFICATE_REQUEST,
    SST_SEND_CERTIFICATE,
    SST_SEND_CERTIFICATE_VERIFY,
    SST_SEND_FINISHED,
    SST_READ_CLIENT_CERTIFICATE,
    SST_VERIFY_CLIENT,
    SST_READ_CLIENT_CERTIFICATE_VERIFY,
    SST_READ_CLIENT_FINISHED,
    SST_DONE,
} server_state;

/* FATAL for helpers that return 1 / 0: raises the error, evaluates to 0. */

/* RFC 6066 §3 NameType host_name. */
#define SNI_HOST_NAME 0

/* One ClientHello being checked: its fields, its extensions, and whether
 * it is the second one (the answer to our HelloRetryRequest). */
typedef struct {
    clasp_client_hello ch;
    clasp_exts exts;
    int second;
} client_hello;

/* ---- small list helpers ------------------------------------------------------ */

/* Position of v in a list of u16 values (a copy of the reader is walked),
 * or -1 when absent. */
static int u16_index(clasp_reader list, uint16_t v)
{
    uint16_t x;

    for (int i = 0; clasp_rd_u16(&list, &x); i++) {
        if (x == v) {
            return i;
        }
    }
    return -1;
}

/* Reads a u16-prefixed, non-empty list of u16 values that fills body
 * exactly (supported_groups' NamedGroupList, RFC 9846 §4.3.7). */
static int read_u16_vector(clasp_reader body, clasp_reader *list)
{
    return clasp_rd_u16_prefixed(&body, list) && clasp_rd_done(&body) &&
           clasp_rd_left(list) >= 2 && clasp_rd_left(list) % 2 == 0;
}

/* ---- ClientHello: version, compression, cipher suite ------------------------- */

static int version_allowed(const clasp_config *cfg, uint16_t v)
{
    return cfg->min_version <= v && v <= cfg->max_version;
}

/* No supported_versions: a TLS 1.2 or older client, whose legacy_version is
 * its highest version (RFC 5246 Appendix E.1; RFC 9846 §4.3.1: such a
 * ClientHello negotiates TLS 1.2 or prior, even with legacy_version
 * 0x0304).  Below TLS 1.2 Clasp has nothing: protocol_version (§E.2). */
static int choose_legacy_version(clasp_conn *conn, const client_hello *c)
{
    if (!c->second && c->ch.legacy_version >= CLASP_TLS12 &&
        version_allowed(&conn->cfg, CLASP_TLS12)) {
        conn->version = CLASP_TLS12;
        return 1;
    }
    return FAIL(conn, SSL_AD_PROTOCOL_VERSION, SSL_R_UNSUPPORTED_PROTOCOL);
}

/* RFC 9846 §4.3.1: supported_versions alone decides when present: TLS 1.3
 * when it is offered and our range allows it, else TLS 1.2 on the same
 * terms (conn->version = 0x0303 hands the ClientHello to tls12_server.c);
 * nothing shared is protocol_version.  The answer to our HelloRetryRequest
 * must stay with TLS 1.3. */
static int check_version(clasp_conn *conn, const client_hello *c)
{
    const clasp_config *cfg = &conn->cfg;
    clasp_reader body = c->exts.body[CLASP_X_SUPPORTED_VERSIONS];
    clasp_reader list;

    if (c->ch.legacy_version < 0x0300) {
        return FAIL(conn, SSL_AD_PROTOCOL_VERSION, SSL_R_BAD_LEGACY_VERSION);
    }
    if (!c->exts.present[CLASP_X_SUPPORTED_VERSIONS]) {
        return choose_legacy_version(conn, c);
    }
    /* ProtocolVersion versions<2..254>; unknown versions are ignored. */
    if (!clasp_rd_u8_prefixed(&body, &list) || !clasp_rd_done(&body) ||
        clasp_rd_left(&list) < 2 || clasp_rd_left(&list) % 2 != 0) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    }
    if (u16_index(list, CLASP_TLS13) < 0 || !version_allowed(cfg, CLASP_TLS13)) {
        if (!c->second && u16_index(list, CLASP_TLS12) >= 0 &&
            version_allowed(cfg, CLASP_TLS12)) {
            conn->version = CLASP_TLS12;
            return 1;
        }
        return FAIL(conn, SSL_AD_PROTOCOL_VERSION, SSL_R_UNSUPPORTED_PROTOCOL);
    }
    /* RFC 9846 §4.2.2: a TLS 1.3 ClientHello has legacy_version 0x0303. */
    if (c->ch.legacy_version != CLASP_TLS12) {
        return FAIL(conn, SSL_AD_PROTOCOL_VERSION, SSL_R_BAD_LEGACY_VERSION);
    }
    return 1;
}

/* RFC 9846 §4.2.2: legacy_compression_methods is exactly one zero byte. */
static int check_compression(clasp_conn *conn, const client_hello *c)
{
    clasp_reader r = c->ch.compression;
    uint8_t method;

    if (!clasp_rd_u8(&r, &method) || method != 0 || !clasp_rd_done(&r)) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_INVALID_COMPRESSION_ALGORITHM);
    }
    return 1;
}

/* A TLS 1.3 suite we are configured for and libcrypto offers.  The
 * signalling suites (TLS_EMPTY_RENEGOTIATION_INFO_SCSV, TLS_FALLBACK_SCSV)
 * and TLS 1.2 suites are not TLS 1.3 suites, so they are skipped here. */
static int suite_usable(const clasp_conn *conn, uint16_t id)
{
    const clasp_suite_info *info = clasp_suite13(id);

    return info != NULL && clasp_list_has(conn->cfg.suites, conn->cfg.num_suites, id) &&
           clasp_aead_available(conn->cfg.crypto, info->aead);
}

/* RFC 9846 §4.2.2: unknown suites are ignored.  The client's order wins
 * unless SSL_OP_CIPHER_SERVER_PREFERENCE.  Returns 0 when none is shared. */
static uint16_t pick_suite(const clasp_conn *conn, clasp_reader offered)
{
    uint16_t id;

    if (conn->cfg.server_prefer_own_suites) {
        for (size_t i = 0; i < conn->cfg.num_suites; i++) {
            id = conn->cfg.suites[i];
            if (suite_usable(conn, id) && u16_index(offered, id) >= 0) {
                return id;
            }
        }
        return 0;
    }
    while (clasp_rd_u16(&offered, &id)) {
        if (suite_usable(conn, id)) {
            return id;
        }
    }
    return 0;
}

static int choose_suite(clasp_conn *conn, const client_hello *c)
{
    const clasp_suite_info *info;
    uint16_t id;

    /* RFC 9846 §4.2.4: the updated ClientHello must still offer the suite
     * of our HelloRetryRequest, which we keep. */
    if (c->second) {
        if (u16_index(c->ch.suites, conn->suite) < 0) {
            return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_CIPHER);
        }
        return 1;
    }
    id = pick_suite(conn, c->ch.suites);
    if (id == 0) {
        return FAIL(conn, SSL_AD_HANDSHAKE_FAILURE, SSL_R_NO_SHARED_CIPHER);
    }
    info = clasp_suite13(id);
    conn->suite = id;
    conn->hash = info->hash;
    conn->aead = info->aead;
    if (!clasp_transcript_set_hash(&conn->hs->transcript, conn->cfg.crypto, info->hash)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    return 1;
}

/* ---- ClientHello: extensions -------------------------------------------------- */

/* Rules on extensions we otherwise decline (PSK, 0-RTT). */
static int check_extension_rules(clasp_conn *conn, const client_hello *c)
{
    const clasp_exts *x = &c->exts;

    /* RFC 9846 §4.3.11: pre_shared_key MUST be the last extension. */
    if (x->present[CLASP_X_PRE_SHARED_KEY] && x->last_type != CLASP_EXT_PRE_SHARED_KEY) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_EXTENSION);
    }
    /* RFC 9846 §4.3.9: a PSK offer without psk_key_exchange_modes aborts. */
    if (x->present[CLASP_X_PRE_SHARED_KEY] && !x->present[CLASP_X_PSK_KEY_EXCHANGE_MODES]) {
        return FAIL(conn, SSL_AD_MISSING_EXTENSION, SSL_R_MISSING_PSK_KEX_MODES_EXTENSION);
    }
    /* RFC 9846 §4.2.2, §4.3.10: no early_data after a HelloRetryRequest. */
    if (c->second && x->present[CLASP_X_EARLY_DATA]) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_EXTENSION);
    }
    return 1;
}

/* RFC 9846 §4.3.3, §9.2: without a PSK, signature_algorithms is required.
 * Kept (up to CLASP_MAX_OFFERED schemes) to pick the identity and the
 * CertificateVerify scheme. */
static int read_sigalgs(clasp_conn *conn, const client_hello *c)
{
    clasp_hs *hs = conn->hs;
    clasp_reader body = c->exts.body[CLASP_X_SIGNATURE_ALGORITHMS];

    if (!c->exts.present[CLASP_X_SIGNATURE_ALGORITHMS]) {
        return FAIL(conn, SSL_AD_MISSING_EXTENSION, SSL_R_MISSING_SIGALGS_EXTENSION);
    }
    if (!clasp_u16_list_parse(&body, hs->client_sigalgs, CLASP_MAX_OFFERED,
                              &hs->num_client_sigalgs)) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    }
    return 1;
}

static int group_usable(const clasp_conn *conn, uint16_t group)
{
    return clasp_list_has(conn->cfg.groups, conn->cfg.num_groups, group) &&
           clasp_kex_supported(group);
}

/* struct { NamedGroup group; opaque key_exchange<1..2^16-1>; } KeyShareEntry;
 * Returns 1 with an entry, 0 at the end of the list, -1 on a decode error. */
static int next_share(clasp_reader *shares, uint16_t *group, clasp_reader *key)
{
    if (clasp_rd_done(shares)) {
        return 0;
    }
    if (!clasp_rd_u16(shares, group) || !clasp_rd_u16_prefixed(shares, key) ||
        clasp_rd_left(key) == 0) {
        return -1;
    }
    return 1;
}

/* The shares of a ClientHello: how many, and the first one (client order)
 * for a group we use (*group = 0 when none). */
typedef struct {
    size_t num;
    uint16_t group;
    clasp_reader key;
} share_scan;

/* Walks KeyShareClientHello.  RFC 9846 §4.3.8: each share's group is in
 * supported_groups and in the same order (so no group twice); servers may
 * enforce this with illegal_parameter, and we do. */
static int scan_shares(clasp_conn *conn, clasp_reader groups, clasp_reader shares,
                       share_scan *out)
{
    int last = -1;
    uint16_t group;
    clasp_reader key;
    int r;

    memset(out, 0, sizeof(*out));
    while ((r = next_share(&shares, &group, &key)) == 1) {
        int idx = u16_index(groups, group);
        if (idx <= last) {
            return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_KEY_SHARE);
        }
        last = idx;
        out->num++;
        if (out->group == 0 && group_usable(conn, group)) {
            out->group = group;
            out->key = key;
        }
    }
    if (r < 0) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
    }
    return 1;
}

static int keep_peer_share(clasp_conn *conn, uint16_t group, clasp_reader key)
{
    clasp_hs *hs = conn->hs;

    /* Longer than any point of a group we support: not a valid share. */
    if (clasp_rd_left(&key) > sizeof(hs->peer_share)) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_KEY_SHARE);
    }
    hs->kex_group = group;
    hs->peer_share_len = clasp_rd_left(&key);
    return clasp_rd_copy(&key, hs->peer_share, hs->peer_share_len);
}

/* No usable share: the first of our groups the client supports, for a
 * HelloRetryRequest (RFC 9846 §4.2.1); none → handshake_failure. */
static int choose_retry_group(clasp_conn *conn, clasp_reader groups)
{
    for (size_t i = 0; i < conn->cfg.num_groups; i++) {
        uint16_t g = conn->cfg.groups[i];
        if (clasp_kex_supported(g) && u16_index(groups, g) >= 0) {
            conn->hs->kex_group = g;
            conn->hs->peer_share_len = 0;
            return 1;
        }
    }
    return FAIL(conn, SSL_AD_HANDSHAKE_FAILURE, SSL_R_NO_SUITABLE_KEY_SHARE);
}

/* RFC 9846 §4.3.7, §4.3.8, §9.2: without a PSK both supported_groups and
 * key_share are required.  Takes the first share (client order) for a
 * group we use; otherwise asks for one with a HelloRetryRequest.  The
 * second ClientHello must carry exactly one share, for the group we asked
 * for (§4.3.8); anything else is illegal_parameter, a second retry is not
 * possible. */
static int choose_group(clasp_conn *conn, const client_hello *c)
{
    clasp_reader groups;
    clasp_reader body = c->exts.body[CLASP_X_KEY_SHARE];
    clasp_reader shares;
    share_scan scan;

    if (!c->exts.present[CLASP_X_KEY_SHARE]) {
        return FAIL(conn, SSL_AD_MISSING_EXTENSION, SSL_R_NO_SUITABLE_KEY_SHARE);
    }
    if (!c->exts.present[CLASP_X_SUPPORTED_GROUPS]) {
        return FAIL(conn, SSL_AD_MISSING_EXTENSION, SSL_R_MISSING_SUPPORTED_GROUPS_EXTENSION);
    }
    if (!read_u16_vector(c->exts.body[CLASP_X_SUPPORTED_GROUPS], &groups)) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    }
    if (!clasp_rd_u16_prefixed(&body, &shares) || !clasp_rd_done(&body)) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
    }
    if (!scan_shares(conn, groups, shares, &scan)) {
        return 0;
    }
    if (c->second) {
        if (scan.num != 1 || scan.group != conn->hs->kex_group) {
            return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_KEY_SHARE);
        }
        return keep_peer_share(conn, scan.group, scan.key);
    }
    if (scan.group != 0) {
        return keep_peer_share(conn, scan.group, scan.key);
    }
    return choose_retry_group(conn, groups);
}

/* RFC 6066 §3: ServerNameList server_name_list<1..2^16-1> of
 * { NameType name_type; HostName host_name<1..2^16-1>; }.  As OpenSSL, we
 * accept exactly one host_name entry.  A host name is at most 255 bytes
 * (RFC 1035) and contains no NUL. */
static int read_server_name(clasp_conn *conn, const client_hello *c)
{
    clasp_reader body = c->exts.body[CLASP_X_SERVER_NAME];
    clasp_reader list;
    clasp_reader name;
    uint8_t type;

    if (!c->exts.present[CLASP_X_SERVER_NAME]) {
        return 1;
    }
    if (!clasp_rd_u16_prefixed(&body, &list) || !clasp_rd_done(&body) ||
        !clasp_rd_u8(&list, &type) || type != SNI_HOST_NAME ||
        !clasp_rd_u16_prefixed(&list, &name) || !clasp_rd_done(&list) ||
        clasp_rd_left(&name) == 0) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    }
    if (clasp_rd_left(&name) > CLASP_MAX_HOSTNAME ||
        memchr(name.ptr, 0, clasp_rd_left(&name)) != NULL) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_SSL3_EXT_INVALID_SERVERNAME);
    }
    if (c->second) {
        return 1; /* the name the facade decided on stays */
    }
    conn->have_sni = 1;
    conn->sni[clasp_rd_left(&name)] = '\0';
    return clasp_rd_copy(&name, (uint8_t *)conn->sni, clasp_rd_left(&name));
}

/* Copies the whole names of a checked ProtocolNameList that fit our
 * buffer (a longer list loses its tail, never half a name). */
static void keep_client_alpn(clasp_hs *hs, clasp_reader list)
{
    clasp_writer w;
    clasp_reader name;

    clasp_wr_init_fixed(&w, hs->client_alpn, sizeof(hs->client_alpn));
    while (clasp_rd_u8_prefixed(&list, &name)) {
        if (w.len + 1 + clasp_rd_left(&name) > sizeof(hs->client_alpn)) {
            break;
        }
        clasp_wr_u8(&w, (uint8_t)clasp_rd_left(&name));
        clasp_wr_bytes(&w, name.ptr, clasp_rd_left(&name));
    }
    hs->client_alpn_len = w.len;
    hs->client_sent_alpn = 1;
}

/* RFC 7301 §3.1: ProtocolName protocol_name_list<2..2^16-1>, each
 * ProtocolName opaque<1..2^8-1>; anything else is decode_error. */
static int read_alpn(clasp_conn *conn, const client_hello *c)
{
    clasp_reader body = c->exts.body[CLASP_X_ALPN];
    clasp_reader list;
    clasp_reader walk;
    clasp_reader name;

    if (!c->exts.present[CLASP_X_ALPN]) {
        return 1;
    }
    if (!clasp_rd_u16_prefixed(&body, &list) || !clasp_rd_done(&body) ||
        clasp_rd_left(&list) == 0) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    }
    walk = list;
    while (!clasp_rd_done(&walk)) {
        if (!clasp_rd_u8_prefixed(&walk, &name) || clasp_rd_left(&name) == 0) {
            return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
        }
    }
    if (!c->second) {
        keep_client_alpn(conn->hs, list);
    }
    return 1;
}

/* legacy_session_id is echoed (RFC 9846 §4.2.3); the second ClientHello
 * repeats the first one's (§4.2.2: "the same ClientHello"). */
static int read_session_id(clasp_conn *conn, const client_hello *c)
{
    clasp_hs *hs = conn->hs;
    clasp_reader sid = c->ch.session_id;

    if (c->second) {
        if (clasp_rd_left(&sid) != hs->session_id_len ||
            CRYPTO_memcmp(sid.ptr, hs->session_id, hs->session_id_len) != 0) {
            return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_INVALID_SESSION_ID);
        }
        return 1;
    }
    hs->session_id_len = clasp_rd_left(&sid);
    memcpy(conn->client_random, c->ch.random, 32);
    return clasp_rd_copy(&sid, hs->session_id, hs->session_id_len);
}

/* Parses and checks a ClientHello (RFC 9846 §4.2.2) and records what the
 * client offered in conn and conn->hs.  Returns 1, or 0 after FATAL. */
static int process_client_hello(clasp_conn *conn, clasp_reader *body, int second)
{
    client_hello c;
    clasp_reader block;
    clasp_reader whole = *body; /* for the PSK binder (RFC 9846 §4.3.11.2) */
    int alert;
    int reason;

    c.second = second;
    if (!clasp_ch_parse(body, &c.ch, &reason)) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, reason);
    }
    block = c.ch.extensions;
    if (!clasp_ext_parse(&block, CLASP_MSG_CH, NULL, 0, &c.exts, &alert, &reason)) {
        return FAIL(conn, alert, reason);
    }
    if (!check_version(conn, &c)) {
        return 0;
    }
    /* TLS 1.2: what both versions read alike is read here; the rest of the
     * ClientHello is tls12_server.c's (RFC 5246 §7.4.1.2). */
    if (conn->version == CLASP_TLS12) {
        return read_server_name(conn, &c) && read_alpn(conn, &c) && read_session_id(conn, &c);
    }
    return check_compression(conn, &c) && choose_suite(conn, &c) &&
           check_extension_rules(conn, &c) && read_sigalgs(conn, &c) &&
           choose_group(conn, &c) && read_server_name(conn, &c) && read_alpn(conn, &c) &&
           read_session_id(conn, &c) && clasp_psk_server_select(conn, &whole, &c.exts);
}

/* ---- reading the ClientHello(s) ------------------------------------------------- */

static clasp_hs_status do_read_client_hello(clasp_conn *conn)
{
    clasp_reader body;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_CLIENT_HELLO, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (!process_client_hello(conn, &body, 0)) {
        return CLASP_HS_FAIL;
    }
    /* TLS 1.2 negotiated: clasp_tls12_server_step() starts over with this
     * ClientHello, still unconsumed, in its first state. */
    if (conn->version == CLASP_TLS12) {
        conn->hs->state = 0;
        return CLASP_HS_CONTINUE;
    }
    if (!clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    /* RFC 9846 §5: from the first ClientHello on, a peer CCS is dropped. */
    conn->hs->ccs_allowed = 1;
    clasp_hs_set_state(conn, SST_CLIENT_HELLO_DECISION, "SSLv3/TLS read client hello",
                       TLS_ST_SR_CLNT_HELLO);
    return CLASP_HS_CONTINUE;
}

/* The facade (SNI, client hello and ALPN callbacks, certificate choice)
 * decides through clasp_conn_client_hello_done(); hs->identity is set once
 * it has decided. */
static clasp_hs_status do_client_hello_decision(clasp_conn *conn)
{
    clasp_hs *hs = conn->hs;

    if (hs->identity == NULL) {
        conn->wait = CLASP_WAIT_CLIENT_HELLO;
        return CLASP_HS_WAIT;
    }
    /* Same reported state as before the decision: no new info callback. */
    hs->state = hs->peer_share_len == 0 ? SST_SEND_HELLO_RETRY_REQUEST : SST_SEND_SERVER_HELLO;
    return CLASP_HS_CONTINUE;
}

static clasp_hs_status do_read_second_client_hello(clasp_conn *conn)
{
    clasp_reader body;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_CLIENT_HELLO, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (!process_client_hello(conn, &body, 1) || !clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, SST_SEND_SERVER_HELLO, "SSLv3/TLS read client hello",
                       TLS_ST_SR_CLNT_HELLO);
    return CLASP_HS_CONTINUE;
}

/* ---- the facade's decision ------------------------------------------------------- */

/* RFC 7301 §3.2: the protocol selected must be one the client offered.
 * A selection when the client sent no ALPN is ignored (nothing to answer). */
static int accept_alpn(clasp_conn *conn, const uint8_t *alpn, size_t alpn_len)
{
    clasp_hs *hs = conn->hs;
    clasp_reader list;
    clasp_reader name;

    if (alpn == NULL || alpn_len == 0 || !hs->client_sent_alpn) {
        return 1;
    }
    clasp_rd_init(&list, hs->client_alpn, hs->client_alpn_len);
    while (clasp_rd_u8_prefixed(&list, &name)) {
        if (clasp_rd_left(&name) == alpn_len && memcmp(name.ptr, alpn, alpn_len) == 0) {
            memcpy(conn->alpn, alpn, alpn_len);
            conn->alpn_len = alpn_len;
            return 1;
        }
    }
    return FAIL(conn, SSL_AD_INTERNAL_ERROR, SSL_R_NO_APPLICATION_PROTOCOL);
}

/* RFC 9846 §4.5.1.2: the first identity whose key can make a signature
 * the client accepts.  The identity is copied: the facade's array may be
 * temporary (the objects it points to live until the handshake ends). */
static int choose_identity(clasp_conn *conn, const clasp_identity *ids, size_t num_ids)
{
    clasp_hs *hs = conn->hs;

    for (size_t i = 0; i < num_ids; i++) {
        if (ids[i].leaf == NULL || ids[i].key == NULL) {
            continue;
        }
        if (clasp_pick_sigalg(conn, &ids[i], hs->client_sigalgs, hs->num_client_sigalgs)) {
            hs->chosen_identity = ids[i];
            hs->identity = &hs->chosen_identity;
            return 1;
        }
    }
    /* As OpenSSL: no certificate at all is reported the same way. */
    return FAIL(conn, SSL_AD_HANDSHAKE_FAILURE, SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM);
}

void clasp_conn_client_hello_done(clasp_conn *conn, const clasp_identity *ids, size_t num_ids,
                                  const uint8_t *alpn, size_t alpn_len, int alert, int reason)
{
    if (conn->wait != CLASP_WAIT_CLIENT_HELLO || conn->hs == NULL || conn->failed) {
        return;
    }
    conn->wait = CLASP_WAIT_INPUT;
    if (alert != 0) {
        FATAL(conn, alert, reason);
        return;
    }
    /* The identity goes last: hs->identity marks the decision as made. */
    if (!accept_alpn(conn, alpn, alpn_len)) {
        return;
    }
    if (conn->version == CLASP_TLS12) {
        clasp_tls12_choose_identity(conn, ids, num_ids);
        return;
    }
    choose_identity(conn, ids, num_ids);
}

/* ---- ServerHello and HelloRetryRequest -------------------------------------------- */

/* The fields a ServerHello and a HelloRetryRequest share (RFC 9846 §4.2.3),
 * up to the extensions. */
static void put_hello_head(clasp_conn *conn, clasp_writer *w, const uint8_t *random)
{
    clasp_hs *hs = conn->hs;

    clasp_wr_u16(w, CLASP_TLS12); /* legacy_version */
    clasp_wr_bytes(w, random, 32);
    clasp_wr_u8(w, (uint8_t)hs->session_id_len); /* legacy_session_id_echo */
    clasp_wr_bytes(w, hs->session_id, hs->session_id_len);
    clasp_wr_u16(w, conn->suite);
    clasp_wr_u8(w, 0); /* legacy_compression_method */
}

/* RFC 9846 §4.3.1: supported_versions with selected_version. */
static void put_selected_version(clasp_writer *w)
{
    clasp_wr_u16(w, CLASP_EXT_SUPPORTED_VERSIONS);
    clasp_wr_u16(w, 2);
    clasp_wr_u16(w, CLASP_TLS13);
}

/* RFC 9846 Appendix E.4: when the client sent a session id, a CCS follows
 * our first handshake message (ServerHello or HelloRetryRequest); once. */
static int send_compat_ccs(clasp_conn *conn, int next)
{
    if (conn->hs->session_id_len == 0 || conn->hs->ccs_sent || !conn->cfg.middlebox_compat) {
        return 1;
    }
    if (!clasp_hs_send_ccs(conn)) {
        return 0;
    }
    clasp_hs_set_state(conn, next, "SSLv3/TLS write change cipher spec", TLS_ST_SW_CHANGE);
    return 1;
}

/* RFC 9846 §4.2.4: a ServerHello with the special random, our suite and
 * the group we want a share for.  The transcript first replaces
 * ClientHello1 by its hash (§4.1). */
static clasp_hs_status do_send_hello_retry_request(clasp_conn *conn)
{
    clasp_hs *hs = conn->hs;
    clasp_wr_mark mark;
    clasp_wr_mark exts;
    clasp_writer *w;

    if (!clasp_transcript_hrr_restart(&hs->transcript, conn->cfg.crypto)) {
        return FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    w = clasp_hs_begin(conn, CLASP_HT_SERVER_HELLO, &mark);
    put_hello_head(conn, w, clasp_hrr_random);
    clasp_wr_open_u16(w, &exts);
    put_selected_version(w);
    clasp_wr_u16(w, CLASP_EXT_KEY_SHARE); /* KeyShareHelloRetryRequest */
    clasp_wr_u16(w, 2);
    clasp_wr_u16(w, hs->kex_group);
    clasp_wr_close(w, &exts);
    if (!clasp_hs_send(conn, &mark)) {
        return CLASP_HS_FAIL;
    }
    hs->hrr_done = 1;
    conn->did_hrr = 1;
    conn->version = CLASP_TLS13;
    clasp_hs_set_state(conn, SST_READ_SECOND_CLIENT_HELLO, "SSLv3/TLS write server hello",
                       TLS_ST_SW_SRVR_HELLO);
    return send_compat_ccs(conn, SST_READ_SECOND_CLIENT_HELLO) ? CLASP_HS_CONTINUE
                                                               : CLASP_HS_FAIL;
}

/* Our ephemeral key for the chosen group and the (EC)DHE shared secret
 * with the client's share (RFC 9846 §4.3.8, §7.4).  A share that is not a
 * valid point is illegal_parameter (§4.3.8.2). */
static int key_exchange(clasp_conn *conn, uint8_t *pub, size_t *pub_len, uint8_t *secret,
                        size_t *secret_len)
{
    clasp_hs *hs = conn->hs;

    clasp_kex_free(hs->kex);
    hs->kex = clasp_kex_generate(conn->cfg.crypto, hs->kex_group, pub, pub_len);
    if (hs->kex == NULL) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    if (!clasp_kex_derive(hs->kex, hs->peer_share, hs->peer_share_len, secret, secret_len)) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_KEY_SHARE);
    }
    conn->group = hs->kex_group;
    EVP_PKEY_free(conn->peer_tmp_key);
    conn->peer_tmp_key = clasp_kex_peer_pkey(conn->cfg.crypto, hs->kex_group, hs->peer_share,
                                             hs->peer_share_len);
    return 1;
}

static int send_server_hello(clasp_conn *conn, const uint8_t *pub, size_t pub_len)
{
    clasp_wr_mark mark;
    clasp_wr_mark exts;
    clasp_wr_mark ext;
    clasp_wr_mark share;
    clasp_writer *w;

    if (!clasp_rand_bytes(conn->cfg.crypto, conn->server_random, 32)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    w = clasp_hs_begin(conn, CLASP_HT_SERVER_HELLO, &mark);
    put_hello_head(conn, w, conn->server_random);
    clasp_wr_open_u16(w, &exts);
    put_selected_version(w);
    clasp_wr_u16(w, CLASP_EXT_KEY_SHARE); /* KeyShareServerHello */
    clasp_wr_open_u16(w, &ext);
    clasp_wr_u16(w, conn->hs->kex_group);
    clasp_wr_open_u16(w, &share);
    clasp_wr_bytes(w, pub, pub_len);
    clasp_wr_close(w, &share);
    clasp_wr_close(w, &ext);
    /* RFC 9846 §4.3.11: the identity we accepted. */
    if (conn->hs->psk_selected) {
        clasp_wr_u16(w, CLASP_EXT_PRE_SHARED_KEY);
        clasp_wr_u16(w, 2);
        clasp_wr_u16(w, conn->hs->psk_identity);
    }
    clasp_wr_close(w, &exts);
    conn->version = CLASP_TLS13;
    conn->resumed = conn->hs->psk_selected;
    return clasp_hs_send(conn, &mark);
}

/* RFC 9846 §7.1: handshake traffic secrets from Transcript-Hash(ClientHello
 * .. ServerHello); we write with ours from now on and read the client's. */
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
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    clasp_keylog(conn, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", hs->client_hs_secret);
    clasp_keylog(conn, "SERVER_HANDSHAKE_TRAFFIC_SECRET", hs->server_hs_secret);
    return clasp_install_key(conn, hs->server_hs_secret, 1) &&
           clasp_install_key(conn, hs->client_hs_secret, 0);
}

static clasp_hs_status do_send_server_hello(clasp_conn *conn)
{
    uint8_t pub[CLASP_MAX_KEX_PUB_LEN];
    size_t pub_len = 0;
    uint8_t ecdhe[CLASP_MAX_KEX_SECRET_LEN];
    size_t ecdhe_len = 0;
    int ok;

    if (!key_exchange(conn, pub, &pub_len, ecdhe, &ecdhe_len)) {
        OPENSSL_cleanse(ecdhe, sizeof(ecdhe));
        return CLASP_HS_FAIL;
    }
    ok = send_server_hello(conn, pub, pub_len);
    if (ok) {
        clasp_hs_set_state(conn, SST_SEND_ENCRYPTED_EXTENSIONS, "SSLv3/TLS write server hello",
                           TLS_ST_SW_SRVR_HELLO);
        /* The CCS goes out in plaintext, before the handshake keys. */
        ok = send_compat_ccs(conn, SST_SEND_ENCRYPTED_EXTENSIONS) &&
             derive_handshake_keys(conn, ecdhe, ecdhe_len);
    }
    OPENSSL_cleanse(ecdhe, sizeof(ecdhe));
    return ok ? CLASP_HS_CONTINUE : CLASP_HS_FAIL;
}

/* ---- the encrypted flight ----------------------------------------------------------- */

/* RFC 9846 §4.4.1: what is not needed for the key exchange.  An empty
 * server_name acknowledges the client's name (RFC 6066 §3); ALPN carries
 * the one protocol selected (RFC 7301 §3.1). */
static clasp_hs_status do_send_encrypted_extensions(clasp_conn *conn)
{
    clasp_wr_mark mark;
    clasp_wr_mark exts;
    clasp_wr_mark ext;
    clasp_wr_mark list;
    clasp_writer *w = clasp_hs_begin(conn, CLASP_HT_ENCRYPTED_EXTENSIONS, &mark);

    clasp_wr_open_u16(w, &exts);
    if (conn->have_sni && conn->hs->sni_ack) {
        clasp_wr_u16(w, CLASP_EXT_SERVER_NAME);
        clasp_wr_u16(w, 0);
    }
    if (conn->alpn_len > 0) {
        clasp_wr_u16(w, CLASP_EXT_ALPN);
        clasp_wr_open_u16(w, &ext);
        clasp_wr_open_u16(w, &list);
        clasp_wr_u8(w, (uint8_t)conn->alpn_len);
        clasp_wr_bytes(w, conn->alpn, conn->alpn_len);
        clasp_wr_close(w, &list);
        clasp_wr_close(w, &ext);
    }
    clasp_wr_close(w, &exts);
    if (!clasp_hs_send(conn, &mark)) {
        return CLASP_HS_FAIL;
    }
    /* RFC 9846 §2.2: with a PSK, no Certificate or CertificateVerify;
     * §4.4.2: no CertificateRequest either (post-handshake only). */
    clasp_hs_set_state(conn,
                       conn->hs->psk_selected        ? SST_SEND_FINISHED
                       : conn->cfg.request_client_cert ? SST_SEND_CERTIFICATE_REQUEST
                                                       : SST_SEND_CERTIFICATE,
                       "TLSv1.3 write encrypted extensions", TLS_ST_SW_ENCRYPTED_EXTENSIONS);
    return CLASP_HS_CONTINUE;
}

/* RFC 9846 §4.4.2: an empty certificate_request_context (this is not
 * post-handshake authentication) and signature_algorithms with our list,
 * as OpenSSL sends it.  certificate_authorities is not sent (OpenSSL sends
 * it only when a client CA list is configured). */
static clasp_hs_status do_send_certificate_request(clasp_conn *conn)
{
    clasp_wr_mark mark;
    clasp_wr_mark exts;
    clasp_wr_mark ext;
    clasp_wr_mark list;
    clasp_writer *w = clasp_hs_begin(conn, CLASP_HT_CERTIFICATE_REQUEST, &mark);

    clasp_wr_u8(w, 0);
    clasp_wr_open_u16(w, &exts);
    clasp_wr_u16(w, CLASP_EXT_SIGNATURE_ALGORITHMS);
    clasp_wr_open_u16(w, &ext);
    clasp_wr_open_u16(w, &list);
    for (size_t i = 0; i < conn->cfg.num_sigalgs; i++) {
        clasp_wr_u16(w, conn->cfg.sigalgs[i]);
    }
    clasp_wr_close(w, &list);
    clasp_wr_close(w, &ext);
    clasp_wr_close(w, &exts);
    if (!clasp_hs_send(conn, &mark)) {
        return CLASP_HS_FAIL;
    }
    conn->hs->cert_requested = 1;
    clasp_hs_set_state(conn, SST_SEND_CERTIFICATE, "SSLv3/TLS write certificate request",
                       TLS_ST_SW_CERT_REQ);
    return CLASP_HS_CONTINUE;
}

/* RFC 9846 §4.5.1: empty certificate_request_context, the leaf first,
 * then each certificate of the chain. */
static clasp_hs_status do_send_certificate(clasp_conn *conn)
{
    if (!clasp_auth_send_certificate(conn, NULL, 0, conn->hs->identity)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, SST_SEND_CERTIFICATE_VERIFY, "SSLv3/TLS write certificate",
                       TLS_ST_SW_CERT);
    return CLASP_HS_CONTINUE;
}

/* RFC 9846 §4.5.2: a signature over the transcript up to Certificate with
 * our preferred scheme among the client's. */
static clasp_hs_status do_send_certificate_verify(clasp_conn *conn)
{
    clasp_hs *hs = conn->hs;
    uint16_t scheme = clasp_pick_sigalg(conn, hs->identity, hs->client_sigalgs,
                                        hs->num_client_sigalgs);

    if (scheme == 0) {
        return FATAL(conn, SSL_AD_HANDSHAKE_FAILURE, SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM);
    }
    if (!clasp_auth_send_cert_verify(conn, hs->identity->key, scheme, 1)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, SST_SEND_FINISHED, "TLSv1.3 write server certificate verify",
                       TLS_ST_SW_CERT_VRFY);
    return CLASP_HS_CONTINUE;
}

/* RFC 9846 §7.1: the application traffic secrets and the exporter secret
 * come from Transcript-Hash(ClientHello .. server Finished), so they are
 * derived right after our Finished, before a client Certificate and
 * CertificateVerify join the transcript.  They wait in conn->read_secret /
 * write_secret (where KeyUpdate finds them later).
 *
 * The client switches to our application key when it has our Finished, so
 * every record we send from now on, an alert about its flight included
 * (certificate_required, §4.5.1.3), must use it: the write direction
 * switches here.  Nothing but an alert can use it before the handshake is
 * done (the engine takes application data only then: no 0.5-RTT data);
 * the read key, the keylog lines and the handshake's end wait until the
 * client's flight verified (principle 8). */
static int derive_application_secrets(clasp_conn *conn)
{
    clasp_hs *hs = conn->hs;
    uint8_t th[CLASP_MAX_HASH_LEN];
    uint8_t server_ap[CLASP_MAX_HASH_LEN];
    int ok;

    if (!clasp_transcript_hash(&hs->transcript, th) ||
        !clasp_ks_master(&hs->ks, conn->cfg.crypto, th, conn->read_secret, conn->write_secret,
                         conn->exporter_secret)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    memcpy(server_ap, conn->write_secret, sizeof(server_ap));
    ok = clasp_install_key(conn, server_ap, 1);
    OPENSSL_cleanse(server_ap, sizeof(server_ap));
    return ok;
}

/* RFC 9846 §4.5.3: verify_data over the transcript up to CertificateVerify. */
static clasp_hs_status do_send_finished(clasp_conn *conn)
{
    if (!clasp_auth_send_finished(conn, conn->hs->server_hs_secret) ||
        !derive_application_secrets(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, SST_READ_CLIENT_FINISHED, "SSLv3/TLS write finished",
                       TLS_ST_SW_FINISHED);
    /* As OpenSSL, the server then sits in its early-data state until the
     * client's flight arrives (even when no 0-RTT was offered). */
    clasp_hs_set_state(conn,
                       conn->hs->cert_requested ? SST_READ_CLIENT_CERTIFICATE
                                                : SST_READ_CLIENT_FINISHED,
                       "TLSv1.3 early data", TLS_ST_EARLY_DATA);
    return CLASP_HS_CONTINUE;
}

/* ---- the client's Certificate and CertificateVerify ------------------------------------ */

/* RFC 9846 §4.5.1: the context echoes our (empty) one, else
 * illegal_parameter.  §4.5.1.3: an empty Certificate is certificate_required
 * when we insist on one; otherwise the client Finished follows directly
 * (no CertificateVerify). */
static clasp_hs_status do_read_client_certificate(clasp_conn *conn)
{
    clasp_reader body;
    clasp_certificate cert;
    int reason;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_CERTIFICATE, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (!clasp_cert_parse(&body, &cert, &reason)) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, reason);
    }
    if (clasp_rd_left(&cert.context) != 0) {
        return FATAL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_INVALID_CONTEXT);
    }
    if (clasp_rd_done(&cert.entries) && conn->cfg.require_client_cert) {
        return FATAL(conn, SSL_AD_CERTIFICATE_REQUIRED, SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE);
    }
    if (!clasp_auth_read_cert_entries(conn, &cert.entries) || !clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn,
                       sk_X509_num(conn->peer_chain) > 0 ? SST_VERIFY_CLIENT
                                                          : SST_READ_CLIENT_FINISHED,
                       "SSLv3/TLS read client certificate", TLS_ST_SR_CERT);
    return CLASP_HS_CONTINUE;
}

/* The facade verifies the chain (purpose ssl_client, callbacks) and
 * answers with clasp_conn_verify_done(); the engine waits until it has. */
static clasp_hs_status do_verify_client(clasp_conn *conn)
{
    if (!conn->hs->verified.cert) {
        conn->wait = CLASP_WAIT_VERIFY_PEER;
        return CLASP_HS_WAIT;
    }
    /* Same reported state: the verdict is no message. */
    conn->hs->state = SST_READ_CLIENT_CERTIFICATE_VERIFY;
    return CLASP_HS_CONTINUE;
}

/* RFC 9846 §4.5.2: the scheme must be one our CertificateRequest listed,
 * valid for TLS 1.3 and fit the client's key; the signature covers the
 * transcript through the client's Certificate. */
static clasp_hs_status do_read_client_certificate_verify(clasp_conn *conn)
{
    clasp_reader body;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_CERTIFICATE_VERIFY, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (!clasp_auth_read_cert_verify(conn, &body, 0) || !clasp_hs_consume(conn)) {
        return CLASP_HS_FAIL;
    }
    clasp_hs_set_state(conn, SST_READ_CLIENT_FINISHED, "SSLv3/TLS read certificate verify",
                       TLS_ST_SR_CERT_VRFY);
    return CLASP_HS_CONTINUE;
}

/* ---- the client's Finished ------------------------------------------------------------ */

/* Principle 8: the client's Finished verified and, when it sent a
 * certificate, its chain and CertificateVerify too. */
static int client_flight_verified(const clasp_conn *conn)
{
    const clasp_verified *v = &conn->hs->verified;

    if (!v->finished) {
        return 0;
    }
    if (sk_X509_num(conn->peer_chain) > 0) {
        return v->cert && v->cert_verify;
    }
    return !conn->cfg.require_client_cert || !conn->hs->cert_requested;
}

/* Logs the application secrets derived after our Finished and installs
 * the client's (the read direction). */
static int install_application_keys(clasp_conn *conn)
{
    uint8_t client_ap[CLASP_MAX_HASH_LEN];
    int ok;

    if (!client_flight_verified(conn)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    memcpy(client_ap, conn->read_secret, sizeof(client_ap));
    clasp_keylog(conn, "SERVER_TRAFFIC_SECRET_0", conn->write_secret);
    clasp_keylog(conn, "CLIENT_TRAFFIC_SECRET_0", client_ap);
    clasp_keylog(conn, "EXPORTER_SECRET", conn->exporter_secret);
    ok = clasp_install_key(conn, client_ap, 0);
    OPENSSL_cleanse(client_ap, sizeof(client_ap));
    return ok;
}

/* Checks the client's Finished (RFC 9846 §4.5.3: over the transcript
 * through its Certificate and CertificateVerify, if any), consumes it and
 * switches both directions to the application keys.  The read key changes
 * only after the message is consumed (§5.1: nothing may be left in the old
 * key). */
static int finish_client_finished(clasp_conn *conn, const clasp_reader *body)
{
    if (!clasp_finished_check(conn, conn->hs->client_hs_secret, body->ptr, body->len)) {
        return FAIL(conn, SSL_AD_DECRYPT_ERROR, SSL_R_DIGEST_CHECK_FAILED);
    }
    return clasp_hs_consume(conn) && install_application_keys(conn);
}

/* Only Finished may come now: without a CertificateRequest a client
 * Certificate is unexpected_message (RFC 9846 §4.5.1); with one, the
 * Certificate was read before. */
static clasp_hs_status do_read_client_finished(clasp_conn *conn)
{
    clasp_reader body;
    clasp_hs_status st = clasp_hs_expect(conn, CLASP_HT_FINISHED, &body);

    if (st != CLASP_HS_CONTINUE) {
        return st;
    }
    if (clasp_rd_left(&body) != clasp_hash_len(conn->hash)) {
        return FATAL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
    }
    if (!finish_client_finished(conn, &body)) {
        return CLASP_HS_FAIL;
    }
    conn->hs->ccs_allowed = 0; /* RFC 9846 §5: not after the peer's Finished */
    /* RFC 9846 §4.7.1: tickets go out once the client's Finished is in the
     * transcript (the resumption master secret covers it), under the
     * application key. */
    if (conn->cfg.ticket_key != NULL && conn->cfg.num_tickets > 0) {
        if (!clasp_psk_derive_resumption(conn) || !clasp_psk_send_tickets(conn)) {
            return CLASP_HS_FAIL;
        }
        clasp_hs_set_state(conn, SST_DONE, "SSLv3/TLS write session ticket",
                           TLS_ST_SW_SESSION_TICKET);
    }
    clasp_hs_set_state(conn, SST_DONE, "SSLv3/TLS read finished", TLS_ST_SR_FINISHED);
    return CLASP_HS_DONE;
}

clasp_hs_status clasp_tls13_server_step(clasp_conn *conn)
{
    switch ((server_state)conn->hs->state) {
    case SST_READ_CLIENT_HELLO:
        return do_read_client_hello(conn);
    case SST_CLIENT_HELLO_DECISION:
        return do_client_hello_decision(conn);
    case SST_SEND_HELLO_RETRY_REQUEST:
        return do_send_hello_retry_request(conn);
    case SST_READ_SECOND_CLIENT_HELLO:
        return do_read_second_client_hello(conn);
    case SST_SEND_SERVER_HELLO:
        return do_send_server_hello(conn);
    case SST_SEND_ENCRYPTED_EXTENSIONS:
        return do_send_encrypted_extensions(conn);
    case SST_SEND_CERTIFICATE_REQUEST:
        return do_send_certificate_request(conn);
    case SST_SEND_CERTIFICATE:
        return do_send_certificate(conn);
    case SST_SEND_CERTIFICATE_VERIFY:
        return do_send_certificate_verify(conn);
    case SST_SEND_FINISHED:
        return do_send_finished(conn);
    case SST_READ_CLIENT_CERTIFICATE:
        return do_read_client_certificate(conn);
    case SST_VERIFY_CLIENT:
        return do_verify_client(conn);
    case SST_READ_CLIENT_CERTIFICATE_VERIFY:
        return do_read_client_certificate_verify(conn);
    case SST_READ_CLIENT_FINISHED:
        return do_read_client_finished(conn);
    case SST_DONE:
        return CLASP_HS_DONE;
    default:
        return FATAL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
}

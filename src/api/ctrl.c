/* SSL_ctrl / SSL_CTX_ctrl / SSL_callback_ctrl / SSL_CTX_callback_ctrl:
 * every SSL_CTRL_* the public headers' macros use (DESIGN.md principle 12:
 * macros over the ctrl functions stay macros, so these numbers are ABI).
 *
 * Three kinds of answers: done (as OpenSSL); accepted without effect where
 * that is harmless (no error queued); refused loudly (ERR_R_UNSUPPORTED and
 * a failure return) where Clasp cannot do what is asked.  docs/compat.md
 * lists each command. */
#include <string.h>

#include "api/internal.h"

/* A request Clasp cannot honour. */
static long unsupported(void)
{
    CLASP_RAISE(ERR_R_UNSUPPORTED);
    return 0;
}

/* ---- protocol versions ------------------------------------------------------------- */

/* SSL_CTX_set_min_proto_version(3): 0 or a TLS version; an invalid one
 * fails (quietly, as OpenSSL).  Going below TLS 1.2 is harmless for a
 * lower bound; an upper bound below TLS 1.2 cannot be honoured. */
static long set_version(const SSL_METHOD *m, int *bound, long v, int is_max)
{
    if (v != 0 && (v < SSL3_VERSION || v > TLS1_3_VERSION)) {
        return 0;
    }
    if (is_max && v != 0 && v < TLS1_2_VERSION) {
        CLASP_RAISE(SSL_R_UNSUPPORTED_PROTOCOL);
        return 0;
    }
    if (m->version == 0) { /* a fixed-version method ignores bounds */
        *bound = (int)v;
    }
    return 1;
}

/* ---- commands shared by SSL and SSL_CTX (their clasp_prefs) ------------------------------ */

static long set_groups_list(clasp_prefs *p, const char *str)
{
    return clasp_parse_groups(str, p->groups, &p->num_groups);
}

static long prefs_ctrl(clasp_prefs *p, const SSL_METHOD *m, int cmd, long larg, void *parg,
                       int *handled)
{
    long old;

    *handled = 1;
    switch (cmd) {
    case SSL_CTRL_MODE:
        return p->mode |= (uint32_t)larg;
    case SSL_CTRL_CLEAR_MODE:
        return p->mode &= ~(uint32_t)larg;
    case SSL_CTRL_GET_READ_AHEAD:
        return p->read_ahead;
    case SSL_CTRL_SET_READ_AHEAD: /* Clasp always reads ahead */
        old = p->read_ahead;
        p->read_ahead = (int)larg;
        return old;
    case SSL_CTRL_SET_MSG_CALLBACK_ARG:
        p->msg_cb_arg = parg;
        return 1;
    case SSL_CTRL_GET_MAX_CERT_LIST:
        return p->max_cert_list;
    case SSL_CTRL_SET_MAX_CERT_LIST:
        if (larg < 0) {
            return 0;
        }
        old = p->max_cert_list;
        p->max_cert_list = larg;
        return old;
    case SSL_CTRL_SET_MAX_SEND_FRAGMENT: /* records stay <= 2^14: harmless */
        return larg >= 512 && larg <= 16384;
    case SSL_CTRL_SET_SPLIT_SEND_FRAGMENT:
        return larg >= 512 && larg <= 16384;
    case SSL_CTRL_SET_MAX_PIPELINES:
        return larg >= 1 && larg <= SSL_MAX_PIPELINES;
    case SSL_CTRL_CLASP_REQUIRE_EXTMS:
        old = p->require_extms;
        p->require_extms = larg != 0;
        return old;
    case SSL_CTRL_SET_MIN_PROTO_VERSION:
        return set_version(m, &p->min_version, larg, 0);
    case SSL_CTRL_SET_MAX_PROTO_VERSION:
        return set_version(m, &p->max_version, larg, 1);
    case SSL_CTRL_GET_MIN_PROTO_VERSION:
        return p->min_version;
    case SSL_CTRL_GET_MAX_PROTO_VERSION:
        return p->max_version;
    case SSL_CTRL_SET_GROUPS:
        return clasp_set_groups_nids(parg, (size_t)larg, p->groups, &p->num_groups);
    case SSL_CTRL_SET_GROUPS_LIST:
        return set_groups_list(p, parg);
    case SSL_CTRL_SET_SIGALGS:
        return clasp_set_sigalgs_nids(parg, (size_t)larg, p->sigalgs, &p->num_sigalgs);
    case SSL_CTRL_SET_SIGALGS_LIST:
        return clasp_parse_sigalgs(parg, p->sigalgs, &p->num_sigalgs);
    case SSL_CTRL_CHAIN:
    case SSL_CTRL_CHAIN_CERT:
    case SSL_CTRL_GET_CHAIN_CERTS:
    case SSL_CTRL_SELECT_CURRENT_CERT:
    case SSL_CTRL_SET_CURRENT_CERT:
        return clasp_ctrl_chain(&p->certs, cmd, larg, parg);
    case SSL_CTRL_SET_VERIFY_CERT_STORE:
        if (larg != 0 && parg != NULL) {
            X509_STORE_up_ref(parg);
        }
        X509_STORE_free(p->verify_store);
        p->verify_store = parg;
        return 1;
    case SSL_CTRL_GET_VERIFY_CERT_STORE:
        *(X509_STORE **)parg = p->verify_store;
        return 1;
    /* Harmless: Clasp never uses finite-field DH, TLS 1.2 client certificate
     * types or certificate flags. */
    case SSL_CTRL_SET_TMP_DH:
    case SSL_CTRL_SET_TMP_ECDH:
    case SSL_CTRL_SET_DH_AUTO:
    case SSL_CTRL_SET_CLIENT_CERT_TYPES:
    case SSL_CTRL_CERT_FLAGS:
    case SSL_CTRL_CLEAR_CERT_FLAGS:
        return 1;
    /* Not implemented: refuse rather than pretend. */
    case SSL_CTRL_SET_CLIENT_SIGALGS:
    case SSL_CTRL_SET_CLIENT_SIGALGS_LIST:
    case SSL_CTRL_BUILD_CERT_CHAIN:
    case SSL_CTRL_SET_CHAIN_CERT_STORE:
    case SSL_CTRL_GET_CHAIN_CERT_STORE:
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_TYPE:
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_OCSP_RESP:
    case SSL_CTRL_SET_TLS_EXT_SRP_USERNAME:
    case SSL_CTRL_SET_TLS_EXT_SRP_STRENGTH:
    case SSL_CTRL_SET_TLS_EXT_SRP_PASSWORD:
    case SSL_CTRL_SET_MTU:
        return unsupported();
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_TYPE:
        return -1; /* nothing requested */
    default:
        *handled = 0;
        return 0;
    }
}

/* ---- SSL_ctrl ----------------------------------------------------------------------- */

/* SSL_set_tlsext_host_name(): a client's SNI (RFC 6066 §3); NULL clears. */
static long set_hostname(SSL *s, long type, const char *name)
{
    size_t len;
    char *copy;

    if (type != TLSEXT_NAMETYPE_host_name) {
        CLASP_RAISE(SSL_R_SSL3_EXT_INVALID_SERVERNAME_TYPE);
        return 0;
    }
    OPENSSL_free(s->hostname);
    s->hostname = NULL;
    if (name == NULL) {
        return 1;
    }
    len = strlen(name);
    if (len == 0 || len > TLSEXT_MAXLEN_host_name) {
        CLASP_RAISE(SSL_R_SSL3_EXT_INVALID_SERVERNAME);
        return 0;
    }
    copy = OPENSSL_strdup(name);
    if (copy == NULL) {
        CLASP_RAISE(ERR_R_INTERNAL_ERROR);
        return 0;
    }
    s->hostname = copy;
    return 1;
}

static long peer_signature_nid(const SSL *s, int own, int *out)
{
    uint16_t code;
    int type, hash;

    if (s->conn == NULL) {
        return 0;
    }
    code = own ? clasp_conn_own_sigalg(s->conn) : clasp_conn_peer_sigalg(s->conn);
    if (code == 0 || !clasp_sigalg_nids(code, &type, &hash)) {
        return 0;
    }
    *out = hash;
    return 1;
}

/* SSL_get_shared_group(): Clasp knows the group it agreed on, not the
 * whole intersection: n == -1 counts it, n == 0 names it. */
static long shared_group(const SSL *s, long n)
{
    uint16_t g = s->conn == NULL ? 0 : clasp_conn_group(s->conn);

    if (n == -1) {
        return g != 0;
    }
    return n == 0 && g != 0 ? clasp_group_nid(g) : 0;
}

static long ssl_only_ctrl(SSL *s, int cmd, long larg, void *parg)
{
    switch (cmd) {
    case SSL_CTRL_SET_TLSEXT_HOSTNAME:
        return set_hostname(s, larg, parg);
    case SSL_CTRL_GET_NEGOTIATED_GROUP:
        return s->conn == NULL ? 0 : clasp_group_nid(clasp_conn_group(s->conn));
    case SSL_CTRL_GET_SHARED_GROUP:
        return shared_group(s, larg);
    case SSL_CTRL_GET_PEER_SIGNATURE_NID:
        return peer_signature_nid(s, 0, parg);
    case SSL_CTRL_GET_SIGNATURE_NID:
        return peer_signature_nid(s, 1, parg);
    case SSL_CTRL_GET_PEER_TMP_KEY: {
        EVP_PKEY *k = s->conn == NULL ? NULL : clasp_conn_peer_tmp_key(s->conn);

        *(EVP_PKEY **)parg = k; /* a new reference for the caller */
        return k != NULL;
    }
    case SSL_CTRL_GET_NUM_RENEGOTIATIONS: /* never renegotiated */
    case SSL_CTRL_CLEAR_NUM_RENEGOTIATIONS:
    case SSL_CTRL_GET_TOTAL_RENEGOTIATIONS:
    case SSL_CTRL_GET_CLIENT_CERT_REQUEST:
    case SSL_CTRL_GET_FLAGS:
        return 0;
    case SSL_CTRL_GET_RI_SUPPORT: /* RFC 5746, TLS 1.2 only */
        return s->conn != NULL && clasp_conn_secure_renegotiation(s->conn);
    case SSL_CTRL_GET_EXTMS_SUPPORT: /* RFC 7627, TLS 1.2 only */
        if (s->conn == NULL || !clasp_conn_handshake_done(s->conn)) {
            return -1;
        }
        return clasp_conn_ems(s->conn);
    case SSL_CTRL_GET_EC_POINT_FORMATS: /* none are exchanged in TLS 1.3 */
        *(const unsigned char **)parg = NULL;
        return 0;
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_OCSP_RESP:
        *(const unsigned char **)parg = NULL;
        return -1;
    /* What the engine does not report (yet). */
    case SSL_CTRL_GET_TMP_KEY:
    case SSL_CTRL_GET_GROUPS:
    case SSL_CTRL_GET_RAW_CIPHERLIST:
    case SSL_CTRL_GET_CLIENT_CERT_TYPES:
    case SSL_CTRL_SET_RETRY_VERIFY:
        return unsupported();
    default:
        return unsupported();
    }
}

long SSL_ctrl(SSL *s, int cmd, long larg, void *parg)
{
    int handled;
    long r;

    if (s == NULL) {
        return 0;
    }
    r = prefs_ctrl(&s->p, s->method, cmd, larg, parg, &handled);
    return handled ? r : ssl_only_ctrl(s, cmd, larg, parg);
}

long SSL_callback_ctrl(SSL *s, int cmd, void (*fp)(void))
{
    switch (cmd) {
    case SSL_CTRL_SET_MSG_CALLBACK:
        s->p.msg_cb = (clasp_msg_cb)fp;
        return 1;
    case SSL_CTRL_SET_TLSEXT_DEBUG_CB: /* only prints extensions: harmless */
        return 1;
    default:
        return unsupported();
    }
}

/* ---- SSL_CTX_ctrl --------------------------------------------------------------------- */

static long extra_chain_ctrl(SSL_CTX *ctx, int cmd, long larg, void *parg)
{
    clasp_cert_slot *slot;

    switch (cmd) {
    case SSL_CTRL_EXTRA_CHAIN_CERT: /* takes ownership of parg */
        if (ctx->extra_certs == NULL && (ctx->extra_certs = sk_X509_new_null()) == NULL) {
            return 0;
        }
        return sk_X509_push(ctx->extra_certs, parg) > 0;
    case SSL_CTRL_GET_EXTRA_CHAIN_CERTS:
        /* larg 0: with no extra certificates, the current chain (OpenSSL). */
        slot = clasp_certs_current(&ctx->p.certs);
        if (ctx->extra_certs == NULL && larg == 0 && slot != NULL) {
            *(STACK_OF(X509) **)parg = slot->chain;
        } else {
            *(STACK_OF(X509) **)parg = ctx->extra_certs;
        }
        return 1;
    default: /* SSL_CTRL_CLEAR_EXTRA_CHAIN_CERTS */
        sk_X509_pop_free(ctx->extra_certs, X509_free);
        ctx->extra_certs = NULL;
        return 1;
    }
}

static long swap_long(long *field, long v)
{
    long old = *field;

    *field = v;
    return old;
}

static long ctx_only_ctrl(SSL_CTX *ctx, int cmd, long larg, void *parg)
{
    switch (cmd) {
    case SSL_CTRL_EXTRA_CHAIN_CERT:
    case SSL_CTRL_GET_EXTRA_CHAIN_CERTS:
    case SSL_CTRL_CLEAR_EXTRA_CHAIN_CERTS:
        return extra_chain_ctrl(ctx, cmd, larg, parg);
    case SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG:
        ctx->servername_arg = parg;
        return 1;
    /* The session cache: no resumption yet, so it stays empty. */
    case SSL_CTRL_SESS_NUMBER:
    case SSL_CTRL_SESS_CONNECT:
    case SSL_CTRL_SESS_CONNECT_GOOD:
    case SSL_CTRL_SESS_CONNECT_RENEGOTIATE:
    case SSL_CTRL_SESS_ACCEPT:
    case SSL_CTRL_SESS_ACCEPT_GOOD:
    case SSL_CTRL_SESS_ACCEPT_RENEGOTIATE:
    case SSL_CTRL_SESS_HIT:
    case SSL_CTRL_SESS_CB_HIT:
    case SSL_CTRL_SESS_MISSES:
    case SSL_CTRL_SESS_TIMEOUTS:
    case SSL_CTRL_SESS_CACHE_FULL:
        return 0;
    case SSL_CTRL_SET_SESS_CACHE_SIZE:
        return larg < 0 ? 0 : swap_long(&ctx->session_cache_size, larg);
    case SSL_CTRL_GET_SESS_CACHE_SIZE:
        return ctx->session_cache_size;
    case SSL_CTRL_SET_SESS_CACHE_MODE:
        return swap_long(&ctx->session_cache_mode, larg);
    case SSL_CTRL_GET_SESS_CACHE_MODE:
        return ctx->session_cache_mode;
    /* The keys that seal TLS 1.3 tickets (name and AES key used; the
     * HMAC part is kept and reported). */
    case SSL_CTRL_SET_TLSEXT_TICKET_KEYS:
        if (parg == NULL || larg != (long)sizeof(ctx->ticket_keys)) {
            CLASP_RAISE(SSL_R_INVALID_TICKET_KEYS_LENGTH);
            return 0;
        }
        memcpy(ctx->ticket_keys, parg, sizeof(ctx->ticket_keys));
        return 1;
    case SSL_CTRL_GET_TLSEXT_TICKET_KEYS:
        if (parg == NULL) {
            return (long)sizeof(ctx->ticket_keys);
        }
        if (larg != (long)sizeof(ctx->ticket_keys)) {
            CLASP_RAISE(SSL_R_INVALID_TICKET_KEYS_LENGTH);
            return 0;
        }
        memcpy(parg, ctx->ticket_keys, sizeof(ctx->ticket_keys));
        return 1;
    /* OCSP stapling by a server: never stapled; the handshake is unchanged. */
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB_ARG:
        ctx->status_arg = parg;
        return 1;
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_CB_ARG:
        *(void **)parg = ctx->status_arg;
        return 1;
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_CB:
        *(void (**)(void))parg = ctx->status_cb;
        return 1;
    default:
        return unsupported();
    }
}

long SSL_CTX_ctrl(SSL_CTX *ctx, int cmd, long larg, void *parg)
{
    int handled;
    long r;

    if (ctx == NULL) {
        return 0;
    }
    r = prefs_ctrl(&ctx->p, ctx->method, cmd, larg, parg, &handled);
    return handled ? r : ctx_only_ctrl(ctx, cmd, larg, parg);
}

long SSL_CTX_callback_ctrl(SSL_CTX *ctx, int cmd, void (*fp)(void))
{
    switch (cmd) {
    case SSL_CTRL_SET_MSG_CALLBACK:
        ctx->p.msg_cb = (clasp_msg_cb)fp;
        return 1;
    case SSL_CTRL_SET_TLSEXT_SERVERNAME_CB:
        ctx->servername_cb = (clasp_servername_cb)fp;
        return 1;
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB: /* kept; never called (no stapling) */
        ctx->status_cb = fp;
        return 1;
    case SSL_CTRL_SET_TLSEXT_TICKET_KEY_CB: /* no tickets: never called */
    case SSL_CTRL_SET_TLSEXT_DEBUG_CB:
    case SSL_CTRL_SET_NOT_RESUMABLE_SESS_CB:
        return 1;
    default:
        return unsupported();
    }
}

/* ---- server name (RFC 6066 §3) --------------------------------------------------------- */

/* Client: the name set for SNI; server: the name the client sent (known
 * from the servername callback on). */
const char *SSL_get_servername(const SSL *s, const int type)
{
    if (type != TLSEXT_NAMETYPE_host_name) {
        return NULL;
    }
    return s->hostname;
}

int SSL_get_servername_type(const SSL *s)
{
    return SSL_get_servername(s, TLSEXT_NAMETYPE_host_name) != NULL ? TLSEXT_NAMETYPE_host_name
                                                                    : -1;
}

/* ---- negotiated signature (OpenSSL 3.0 functions) ------------------------------------------ */

static int signature_type(const SSL *s, int own, int *pnid)
{
    uint16_t code;
    int type, hash;

    if (s->conn == NULL) {
        return 0;
    }
    code = own ? clasp_conn_own_sigalg(s->conn) : clasp_conn_peer_sigalg(s->conn);
    if (code == 0 || !clasp_sigalg_nids(code, &type, &hash)) {
        return 0;
    }
    *pnid = type;
    return 1;
}

int SSL_get_peer_signature_type_nid(const SSL *s, int *pnid)
{
    return signature_type(s, 0, pnid);
}

int SSL_get_signature_type_nid(const SSL *s, int *pnid)
{
    return signature_type(s, 1, pnid);
}

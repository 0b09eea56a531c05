/* SSL_CTX: lifecycle, options, ALPN, callbacks, ex_data and the small
 * settings SSL_new() inherits.  Defaults are OpenSSL 3.0's (SSL_CTX_new(3)). */
#include <string.h>

#include "api/internal.h"

/* OpenSSL 3.0's SSL_CTX_new() turns these on. */
#define DEFAULT_OPTIONS (SSL_OP_NO_COMPRESSION | SSL_OP_ENABLE_MIDDLEBOX_COMPAT)
#define DEFAULT_TIMEOUT 7200 /* seconds, TLS_method()'s session timeout */

/* ---- inherited settings ---------------------------------------------------------- */

static int prefs_init(clasp_prefs *p)
{
    memset(p, 0, sizeof(*p));
    p->options = DEFAULT_OPTIONS;
    p->mode = SSL_MODE_AUTO_RETRY;
    p->max_cert_list = SSL_MAX_CERT_LIST_DEFAULT;
    p->security_level = 2; /* what the system libssl (Debian 12) reports */
    p->num_tickets = 2;
    clasp_certs_init(&p->certs);
    if (!clasp_groups_default(p->groups, &p->num_groups)
        || !clasp_sigalgs_default(p->sigalgs, &p->num_sigalgs)) {
        return 0;
    }
    p->param = X509_VERIFY_PARAM_new();
    if (p->param == NULL) {
        CLASP_RAISE(ERR_R_MALLOC_FAILURE);
        return 0;
    }
    return 1;
}

int clasp_prefs_copy(clasp_prefs *dst, const clasp_prefs *src)
{
    *dst = *src;
    dst->alpn = NULL;
    dst->param = NULL;
    dst->verify_store = NULL;
    clasp_certs_init(&dst->certs);
    if (src->alpn != NULL) {
        dst->alpn = OPENSSL_memdup(src->alpn, src->alpn_len);
        if (dst->alpn == NULL) {
            CLASP_RAISE(ERR_R_MALLOC_FAILURE);
            return 0;
        }
    }
    /* SSL_new(): a fresh parameter set inheriting the CTX's. */
    dst->param = X509_VERIFY_PARAM_new();
    if (dst->param == NULL || !X509_VERIFY_PARAM_inherit(dst->param, src->param)) {
        CLASP_RAISE(ERR_R_MALLOC_FAILURE);
        return 0;
    }
    if (src->verify_store != NULL && X509_STORE_up_ref(src->verify_store)) {
        dst->verify_store = src->verify_store;
    }
    return clasp_certs_copy(&dst->certs, &src->certs);
}

void clasp_prefs_cleanup(clasp_prefs *p)
{
    OPENSSL_free(p->alpn);
    p->alpn = NULL;
    X509_VERIFY_PARAM_free(p->param);
    p->param = NULL;
    X509_STORE_free(p->verify_store);
    p->verify_store = NULL;
    clasp_certs_cleanup(&p->certs);
}

/* ---- lifecycle ------------------------------------------------------------------ */

static int ctx_init(SSL_CTX *ctx, OSSL_LIB_CTX *libctx, const char *propq)
{
    ctx->libctx = libctx;
    if (propq != NULL) {
        ctx->propq = OPENSSL_strdup(propq);
        if (ctx->propq == NULL) {
            CLASP_RAISE(ERR_R_MALLOC_FAILURE);
            return 0;
        }
    }
    /* Algorithms are fetched once per SSL_CTX (DESIGN.md principle 9). */
    ctx->crypto = clasp_crypto_new(libctx, propq);
    if (ctx->crypto == NULL) {
        CLASP_RAISE(SSL_R_LIBRARY_HAS_NO_CIPHERS);
        return 0;
    }
    ctx->store = X509_STORE_new();
    ctx->session_cache_mode = SSL_SESS_CACHE_SERVER;
    ctx->session_cache_size = SSL_SESSION_CACHE_MAX_SIZE_DEFAULT;
    ctx->timeout = DEFAULT_TIMEOUT;
    /* TLS 1.3 tickets are sealed with a random per-SSL_CTX key (laid out
     * as OpenSSL's 80 bytes: name, HMAC key, AES key; Clasp uses the name
     * and the AES key).  SSL_CTX_set_tlsext_ticket_keys replaces it. */
    if (!clasp_rand_bytes(ctx->crypto, ctx->ticket_keys, sizeof(ctx->ticket_keys))) {
        CLASP_RAISE(ERR_R_INTERNAL_ERROR);
        return 0;
    }
    if (ctx->store == NULL) {
        CLASP_RAISE(ERR_R_MALLOC_FAILURE);
        return 0;
    }
    if (!prefs_init(&ctx->p) || !clasp_ciphers_default(&ctx->ciphers)) {
        return 0;
    }
    return CRYPTO_new_ex_data(CRYPTO_EX_INDEX_SSL_CTX, ctx, &ctx->ex_data);
}

SSL_CTX *SSL_CTX_new_ex(OSSL_LIB_CTX *libctx, const char *propq, const SSL_METHOD *meth)
{
    SSL_CTX *ctx;

    if (meth == NULL) {
        CLASP_RAISE(SSL_R_NULL_SSL_METHOD_PASSED);
        return NULL;
    }
    if (!OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS, NULL)) {
        return NULL;
    }
    ctx = OPENSSL_zalloc(sizeof(*ctx));
    if (ctx == NULL) {
        CLASP_RAISE(ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    atomic_init(&ctx->references, 1);
    ctx->method = meth;
    if (!ctx_init(ctx, libctx, propq)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

SSL_CTX *SSL_CTX_new(const SSL_METHOD *meth)
{
    return SSL_CTX_new_ex(NULL, NULL, meth);
}

int SSL_CTX_up_ref(SSL_CTX *ctx)
{
    atomic_fetch_add(&ctx->references, 1);
    return 1;
}

void SSL_CTX_free(SSL_CTX *ctx)
{
    if (ctx == NULL || atomic_fetch_sub(&ctx->references, 1) > 1) {
        return;
    }
    CRYPTO_free_ex_data(CRYPTO_EX_INDEX_SSL_CTX, ctx, &ctx->ex_data);
    clasp_prefs_cleanup(&ctx->p);
    clasp_ciphers_cleanup(&ctx->ciphers);
    X509_STORE_free(ctx->store);
    sk_X509_pop_free(ctx->extra_certs, X509_free);
    sk_X509_NAME_pop_free(ctx->client_ca, X509_NAME_free);
    clasp_crypto_free(ctx->crypto);
    OPENSSL_free(ctx->propq);
    OPENSSL_clear_free(ctx, sizeof(*ctx)); /* the ticket keys with it */
}

/* ---- options --------------------------------------------------------------------- */

uint64_t SSL_CTX_get_options(const SSL_CTX *ctx)
{
    return ctx->p.options;
}

uint64_t SSL_CTX_set_options(SSL_CTX *ctx, uint64_t op)
{
    return ctx->p.options |= op;
}

uint64_t SSL_CTX_clear_options(SSL_CTX *ctx, uint64_t op)
{
    return ctx->p.options &= ~op;
}

void SSL_CTX_set_quiet_shutdown(SSL_CTX *ctx, int mode)
{
    ctx->p.quiet_shutdown = mode;
}

int SSL_CTX_get_quiet_shutdown(const SSL_CTX *ctx)
{
    return ctx->p.quiet_shutdown;
}

/* Recorded and reported; Clasp's own floor (TLS 1.2, no keys under 2048
 * bits is NOT enforced) is described in docs/compat.md. */
void SSL_CTX_set_security_level(SSL_CTX *ctx, int level)
{
    ctx->p.security_level = level;
}

int SSL_CTX_get_security_level(const SSL_CTX *ctx)
{
    return ctx->p.security_level;
}

/* Post-handshake client authentication is not implemented: the setting is
 * kept (a client then simply does not offer it, which RFC 9846 §4.3.6
 * allows). */
void SSL_CTX_set_post_handshake_auth(SSL_CTX *ctx, int val)
{
    ctx->p.pha = val;
}

/* ---- ALPN (RFC 7301) ---------------------------------------------------------------- */

/* 1 when protos is a well-formed, non-empty ProtocolNameList body. */
static int alpn_list_ok(const unsigned char *protos, unsigned int len)
{
    unsigned int i = 0;

    if (len < 2) {
        return 0;
    }
    while (i < len) {
        unsigned int n = protos[i];

        if (n == 0 || n > len - i - 1) {
            return 0;
        }
        i += n + 1;
    }
    return 1;
}

/* SSL_CTX_set_alpn_protos(3): returns 0 on success, 1 on failure;
 * NULL / 0 clears the list. */
int clasp_set_alpn(uint8_t **dst, size_t *dst_len, const unsigned char *protos,
                   unsigned int len)
{
    uint8_t *copy;

    if (protos == NULL || len == 0) {
        OPENSSL_free(*dst);
        *dst = NULL;
        *dst_len = 0;
        return 0;
    }
    if (!alpn_list_ok(protos, len)) {
        return 1;
    }
    copy = OPENSSL_memdup(protos, len);
    if (copy == NULL) {
        CLASP_RAISE(ERR_R_MALLOC_FAILURE);
        return 1;
    }
    OPENSSL_free(*dst);
    *dst = copy;
    *dst_len = len;
    return 0;
}

int SSL_CTX_set_alpn_protos(SSL_CTX *ctx, const unsigned char *protos, unsigned int len)
{
    return clasp_set_alpn(&ctx->p.alpn, &ctx->p.alpn_len, protos, len);
}

void SSL_CTX_set_alpn_select_cb(SSL_CTX *ctx, SSL_CTX_alpn_select_cb_func cb, void *arg)
{
    ctx->alpn_select_cb = cb;
    ctx->alpn_select_arg = arg;
}

/* SSL_select_next_proto(3), including OpenSSL 3.0.15's fix: an empty or
 * malformed client list gives NO_OVERLAP with *out = NULL. */
static int list_contains(const unsigned char *list, unsigned int len, const unsigned char *p,
                         unsigned int plen)
{
    unsigned int i = 0;

    while (i < len) {
        unsigned int n = list[i];

        if (n > len - i - 1) {
            return 0; /* spurious trailing bytes: ignored */
        }
        if (n == plen && memcmp(list + i + 1, p, plen) == 0) {
            return 1;
        }
        i += n + 1;
    }
    return 0;
}

int SSL_select_next_proto(unsigned char **out, unsigned char *outlen, const unsigned char *server,
                          unsigned int server_len, const unsigned char *client,
                          unsigned int client_len)
{
    unsigned int i = 0;

    if (client == NULL || client_len == 0 || client[0] == 0 || client[0] > client_len - 1) {
        *out = NULL;
        *outlen = 0;
        return OPENSSL_NPN_NO_OVERLAP;
    }
    /* The fallback: the client's first protocol. */
    *out = (unsigned char *)client + 1;
    *outlen = client[0];
    while (server != NULL && i < server_len) {
        unsigned int n = server[i];

        if (n > server_len - i - 1) {
            break;
        }
        if (n > 0 && list_contains(client, client_len, server + i + 1, n)) {
            *out = (unsigned char *)server + i + 1;
            *outlen = (unsigned char)n;
            return OPENSSL_NPN_NEGOTIATED;
        }
        i += n + 1;
    }
    return OPENSSL_NPN_NO_OVERLAP;
}

/* ---- callbacks ------------------------------------------------------------------ */

void SSL_CTX_set_keylog_callback(SSL_CTX *ctx, SSL_CTX_keylog_cb_func cb)
{
    ctx->keylog_cb = cb;
}

SSL_CTX_keylog_cb_func SSL_CTX_get_keylog_callback(const SSL_CTX *ctx)
{
    return ctx->keylog_cb;
}

void SSL_CTX_set_info_callback(SSL_CTX *ctx, void (*cb)(const SSL *ssl, int type, int val))
{
    ctx->info_cb = cb;
}

void (*SSL_CTX_get_info_callback(SSL_CTX *ctx))(const SSL *ssl, int type, int val)
{
    return ctx->info_cb;
}

void SSL_CTX_set_msg_callback(SSL_CTX *ctx,
                              void (*cb)(int write_p, int version, int content_type,
                                         const void *buf, size_t len, SSL *ssl, void *arg))
{
    ctx->p.msg_cb = cb;
}

void SSL_CTX_set_default_passwd_cb(SSL_CTX *ctx, pem_password_cb *cb)
{
    ctx->passwd_cb = cb;
}

void SSL_CTX_set_default_passwd_cb_userdata(SSL_CTX *ctx, void *u)
{
    ctx->passwd_arg = u;
}

/* ---- sessions (no resumption yet: docs/compat.md) ----------------------------------- */

static int set_sid_ctx(clasp_prefs *p, const unsigned char *sid_ctx, unsigned int len)
{
    if (len > SSL_MAX_SID_CTX_LENGTH) {
        CLASP_RAISE(SSL_R_SSL_SESSION_ID_CONTEXT_TOO_LONG);
        return 0;
    }
    if (len > 0) {
        memcpy(p->sid_ctx, sid_ctx, len);
    }
    p->sid_ctx_len = len;
    return 1;
}

int SSL_CTX_set_session_id_context(SSL_CTX *ctx, const unsigned char *sid_ctx,
                                   unsigned int sid_ctx_len)
{
    return set_sid_ctx(&ctx->p, sid_ctx, sid_ctx_len);
}

int SSL_set_session_id_context(SSL *s, const unsigned char *sid_ctx, unsigned int sid_ctx_len)
{
    return set_sid_ctx(&s->p, sid_ctx, sid_ctx_len);
}

void SSL_CTX_sess_set_new_cb(SSL_CTX *ctx, int (*cb)(struct ssl_st *ssl, SSL_SESSION *sess))
{
    ctx->new_session_cb = cb;
}

/* TLS 1.3 tickets sent after a full handshake (at most 1 after a
 * resumption, as OpenSSL). */
int SSL_CTX_set_num_tickets(SSL_CTX *ctx, size_t num_tickets)
{
    ctx->p.num_tickets = num_tickets;
    return 1;
}

size_t SSL_CTX_get_num_tickets(const SSL_CTX *ctx)
{
    return ctx->p.num_tickets;
}

long SSL_CTX_set_timeout(SSL_CTX *ctx, long t)
{
    long old;

    if (ctx == NULL) {
        return 0;
    }
    old = ctx->timeout;
    ctx->timeout = t;
    return old;
}

long SSL_CTX_get_timeout(const SSL_CTX *ctx)
{
    return ctx == NULL ? 0 : ctx->timeout;
}

/* ---- ex_data ------------------------------------------------------------------------ */

int SSL_CTX_set_ex_data(SSL_CTX *ctx, int idx, void *data)
{
    return CRYPTO_set_ex_data(&ctx->ex_data, idx, data);
}

void *SSL_CTX_get_ex_data(const SSL_CTX *ctx, int idx)
{
    return CRYPTO_get_ex_data(&ctx->ex_data, idx);
}

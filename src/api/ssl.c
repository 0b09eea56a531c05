/* SSL: lifecycle, inheritance from the SSL_CTX, the transport (BIOs and
 * file descriptors, with OpenSSL's ownership rules), the role, and the
 * engine configuration built from the SSL's settings. */
#include <string.h>

#include "api/internal.h"

/* ---- lifecycle ----------------------------------------------------------------- */

SSL *SSL_new(SSL_CTX *ctx)
{
    SSL *s;

    if (ctx == NULL) {
        CLASP_RAISE(SSL_R_NULL_SSL_CTX);
        return NULL;
    }
    s = OPENSSL_zalloc(sizeof(*s));
    if (s == NULL) {
        CLASP_RAISE(ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    atomic_init(&s->references, 1);
    SSL_CTX_up_ref(ctx);
    s->ctx = ctx;
    SSL_CTX_up_ref(ctx);
    s->session_ctx = ctx;
    s->method = ctx->method;
    /* OpenSSL's SSL_new(): a TLS_method() or TLS_server_method() SSL
     * reports itself a server until a role is chosen. */
    s->server = ctx->method->role == 0 ? 0 : 1;
    s->rwstate = SSL_NOTHING;
    s->key_update = SSL_KEY_UPDATE_NONE;
    s->verify_result = X509_V_OK;
    s->passwd_cb = ctx->passwd_cb;
    s->passwd_arg = ctx->passwd_arg;
    if (!CRYPTO_new_ex_data(CRYPTO_EX_INDEX_SSL, s, &s->ex_data)
        || !clasp_prefs_copy(&s->p, &ctx->p)) {
        SSL_free(s);
        return NULL;
    }
    return s;
}

int SSL_up_ref(SSL *s)
{
    atomic_fetch_add(&s->references, 1);
    return 1;
}

/* Forgets everything learnt from the last connection. */
static void reset_connection(SSL *s)
{
    /* As OpenSSL (ssl_clear_bad_session): a connection that completed its
     * handshake but never sent close_notify spoils its session. */
    if (s->session != NULL && s->conn != NULL && clasp_conn_handshake_done(s->conn) &&
        !(s->shutdown & SSL_SENT_SHUTDOWN)) {
        s->session->not_resumable = 1;
    }
    clasp_conn_free(s->conn);
    s->conn = NULL;
    X509_free(s->peer_cert);
    s->peer_cert = NULL;
    sk_X509_pop_free(s->peer_chain, X509_free);
    s->peer_chain = NULL;
    for (int i = 0; i < CLASP_NUM_PKEYS; i++) {
        sk_X509_pop_free(s->auto_chain[i], X509_free);
        s->auto_chain[i] = NULL;
    }
    sk_X509_pop_free(s->verified_chain, X509_free);
    s->verified_chain = NULL;
    s->rwstate = SSL_NOTHING;
    s->shutdown = 0;
    s->failed = 0;
    s->in_handshake = 0;
    s->wr_pending = 0;
    s->wr_buf = NULL;
    s->wr_len = s->wr_done = 0;
    s->alpn_sel_len = 0;
    s->key_update = SSL_KEY_UPDATE_NONE;
    s->verify_result = X509_V_OK;
}

void SSL_free(SSL *s)
{
    if (s == NULL || atomic_fetch_sub(&s->references, 1) > 1) {
        return;
    }
    CRYPTO_free_ex_data(CRYPTO_EX_INDEX_SSL, s, &s->ex_data);
    /* The same BIO in both places holds two references (SSL_set_bio(3)). */
    BIO_free_all(s->wbio);
    BIO_free_all(s->rbio);
    reset_connection(s);
    SSL_SESSION_free(s->session);
    clasp_prefs_cleanup(&s->p);
    clasp_ciphers_cleanup(&s->ciphers);
    OPENSSL_free(s->hostname);
    SSL_CTX_free(s->ctx);
    SSL_CTX_free(s->session_ctx);
    OPENSSL_clear_free(s, sizeof(*s)); /* the ticket key with it */
}

/* SSL_clear(3): ready for a new connection with the same settings; the
 * role stays, a server forgets the name the last client asked for. */
int SSL_clear(SSL *s)
{
    reset_connection(s);
    if (s->server && s->role_set) {
        OPENSSL_free(s->hostname);
        s->hostname = NULL;
    }
    return 1;
}

SSL_CTX *SSL_get_SSL_CTX(const SSL *s)
{
    return s->ctx;
}

/* SSL_set_SSL_CTX(3), typically from the servername callback: the
 * certificates (with the signature algorithms and security level, which
 * OpenSSL keeps beside them) come from the new context; the session ID
 * context too unless the SSL set its own.  Other settings stay. */
SSL_CTX *SSL_set_SSL_CTX(SSL *s, SSL_CTX *ctx)
{
    clasp_certs certs;

    if (s->ctx == ctx) {
        return s->ctx;
    }
    if (ctx == NULL) {
        ctx = s->session_ctx;
    }
    if (!clasp_certs_copy(&certs, &ctx->p.certs)) {
        clasp_certs_cleanup(&certs);
        return NULL;
    }
    clasp_certs_cleanup(&s->p.certs);
    s->p.certs = certs;
    memcpy(s->p.sigalgs, ctx->p.sigalgs, sizeof(s->p.sigalgs));
    s->p.num_sigalgs = ctx->p.num_sigalgs;
    s->p.security_level = ctx->p.security_level;
    if (s->p.sid_ctx_len == s->ctx->p.sid_ctx_len
        && memcmp(s->p.sid_ctx, s->ctx->p.sid_ctx, s->p.sid_ctx_len) == 0) {
        memcpy(s->p.sid_ctx, ctx->p.sid_ctx, sizeof(s->p.sid_ctx));
        s->p.sid_ctx_len = ctx->p.sid_ctx_len;
    }
    SSL_CTX_up_ref(ctx);
    SSL_CTX_free(s->ctx);
    s->ctx = ctx;
    return ctx;
}

/* ---- transport -------------------------------------------------------------------- */

void SSL_set0_rbio(SSL *s, BIO *rbio)
{
    BIO_free_all(s->rbio);
    s->rbio = rbio;
}

void SSL_set0_wbio(SSL *s, BIO *wbio)
{
    BIO_free_all(s->wbio);
    s->wbio = wbio;
}

/* SSL_set_bio(3)'s historical ownership rules, case by case. */
void SSL_set_bio(SSL *s, BIO *rbio, BIO *wbio)
{
    if (rbio == s->rbio && wbio == s->wbio) {
        return; /* nothing changed: no reference taken */
    }
    /* One BIO for both: the caller gave one reference, two are kept. */
    if (rbio != NULL && rbio == wbio) {
        BIO_up_ref(rbio);
    }
    if (rbio == s->rbio) { /* only the wbio changes */
        SSL_set0_wbio(s, wbio);
        return;
    }
    /* Only the rbio changes and the two were different: one reference. */
    if (wbio == s->wbio && s->rbio != s->wbio) {
        SSL_set0_rbio(s, rbio);
        return;
    }
    SSL_set0_rbio(s, rbio);
    SSL_set0_wbio(s, wbio);
}

BIO *SSL_get_rbio(const SSL *s)
{
    return s->rbio;
}

BIO *SSL_get_wbio(const SSL *s)
{
    return s->wbio;
}

static BIO *socket_bio(int fd)
{
    BIO *bio = BIO_new(BIO_s_socket());

    if (bio == NULL) {
        CLASP_RAISE(ERR_R_BUF_LIB);
        return NULL;
    }
    BIO_set_fd(bio, fd, BIO_NOCLOSE);
    return bio;
}

int SSL_set_fd(SSL *s, int fd)
{
    BIO *bio = socket_bio(fd);

    if (bio == NULL) {
        return 0;
    }
    SSL_set_bio(s, bio, bio);
    return 1;
}

/* 1 when b is a socket BIO on fd (then rfd and wfd share one BIO). */
static int is_socket_on(BIO *b, int fd)
{
    return b != NULL && BIO_method_type(b) == BIO_TYPE_SOCKET && BIO_get_fd(b, NULL) == fd;
}

int SSL_set_wfd(SSL *s, int fd)
{
    BIO *bio;

    if (is_socket_on(s->rbio, fd)) {
        BIO_up_ref(s->rbio);
        SSL_set0_wbio(s, s->rbio);
        return 1;
    }
    bio = socket_bio(fd);
    if (bio == NULL) {
        return 0;
    }
    SSL_set0_wbio(s, bio);
    return 1;
}

int SSL_set_rfd(SSL *s, int fd)
{
    BIO *bio;

    if (is_socket_on(s->wbio, fd)) {
        BIO_up_ref(s->wbio);
        SSL_set0_rbio(s, s->wbio);
        return 1;
    }
    bio = socket_bio(fd);
    if (bio == NULL) {
        return 0;
    }
    SSL_set0_rbio(s, bio);
    return 1;
}

static int bio_fd(BIO *b)
{
    int fd = -1;
    BIO *d = b == NULL ? NULL : BIO_find_type(b, BIO_TYPE_DESCRIPTOR);

    if (d != NULL) {
        BIO_get_fd(d, &fd);
    }
    return fd;
}

int SSL_get_rfd(const SSL *s)
{
    return bio_fd(s->rbio);
}

int SSL_get_wfd(const SSL *s)
{
    return bio_fd(s->wbio);
}

int SSL_get_fd(const SSL *s)
{
    return SSL_get_rfd(s);
}

/* Clasp always reads as much as the engine can take (docs/compat.md). */
void SSL_set_read_ahead(SSL *s, int yes)
{
    s->p.read_ahead = yes;
}

int SSL_get_read_ahead(const SSL *s)
{
    return s->p.read_ahead;
}

/* ---- role ------------------------------------------------------------------------- */

void SSL_set_connect_state(SSL *s)
{
    s->server = 0;
    s->role_set = 1;
    reset_connection(s);
}

void SSL_set_accept_state(SSL *s)
{
    s->server = 1;
    s->role_set = 1;
    reset_connection(s);
}

int SSL_is_server(const SSL *s)
{
    return s->server;
}

/* ---- options and simple settings ---------------------------------------------------- */

uint64_t SSL_get_options(const SSL *s)
{
    return s->p.options;
}

uint64_t SSL_set_options(SSL *s, uint64_t op)
{
    return s->p.options |= op;
}

uint64_t SSL_clear_options(SSL *s, uint64_t op)
{
    return s->p.options &= ~op;
}

void SSL_set_quiet_shutdown(SSL *s, int mode)
{
    s->p.quiet_shutdown = mode;
}

int SSL_get_quiet_shutdown(const SSL *s)
{
    return s->p.quiet_shutdown;
}

void SSL_set_shutdown(SSL *s, int mode)
{
    s->shutdown = mode;
}

int SSL_get_shutdown(const SSL *s)
{
    return s->shutdown;
}

void SSL_set_security_level(SSL *s, int level)
{
    s->p.security_level = level;
}

int SSL_get_security_level(const SSL *s)
{
    return s->p.security_level;
}

int SSL_set_num_tickets(SSL *s, size_t num_tickets)
{
    s->p.num_tickets = num_tickets;
    return 1;
}

size_t SSL_get_num_tickets(const SSL *s)
{
    return s->p.num_tickets;
}

void SSL_set_post_handshake_auth(SSL *s, int val)
{
    s->p.pha = val;
}

int SSL_set_alpn_protos(SSL *s, const unsigned char *protos, unsigned int len)
{
    return clasp_set_alpn(&s->p.alpn, &s->p.alpn_len, protos, len);
}

void SSL_get0_alpn_selected(const SSL *s, const unsigned char **data, unsigned int *len)
{
    size_t n = 0;
    const uint8_t *p = s->conn == NULL ? NULL : clasp_conn_alpn(s->conn, &n);

    *data = n > 0 ? p : NULL;
    *len = (unsigned int)(n > 0 ? n : 0);
}

/* ---- callbacks and ex_data -------------------------------------------------------------- */

void SSL_set_info_callback(SSL *s, void (*cb)(const SSL *ssl, int type, int val))
{
    s->info_cb = cb;
}

void (*SSL_get_info_callback(const SSL *s))(const SSL *ssl, int type, int val)
{
    return s->info_cb;
}

clasp_info_cb clasp_info_callback(const SSL *s)
{
    return s->info_cb != NULL ? s->info_cb : s->ctx->info_cb;
}

void SSL_set_msg_callback(SSL *s, void (*cb)(int write_p, int version, int content_type,
                                             const void *buf, size_t len, SSL *ssl, void *arg))
{
    s->p.msg_cb = cb;
}

int SSL_set_ex_data(SSL *s, int idx, void *data)
{
    return CRYPTO_set_ex_data(&s->ex_data, idx, data);
}

void *SSL_get_ex_data(const SSL *s, int idx)
{
    return CRYPTO_get_ex_data(&s->ex_data, idx);
}

/* ---- the engine's configuration ------------------------------------------------------ */

/* The observer: the engine reports, these forward to the application's
 * callbacks, looked up at call time as OpenSSL does. */
static void obs_keylog(void *arg, const char *label, const uint8_t client_random[32],
                       const uint8_t *secret, size_t secret_len)
{
    static const char hex[] = "0123456789abcdef";
    SSL *s = arg;
    SSL_CTX_keylog_cb_func cb = s->ctx->keylog_cb;
    size_t label_len = strlen(label), n = label_len + 1 + 64 + 1 + 2 * secret_len + 1, o;
    char *line;

    if (cb == NULL || (line = OPENSSL_malloc(n)) == NULL) {
        return;
    }
    /* NSS key log format: LABEL <client_random hex> <secret hex> */
    memcpy(line, label, label_len);
    o = label_len;
    line[o++] = ' ';
    for (size_t i = 0; i < 32; i++) {
        line[o++] = hex[client_random[i] >> 4];
        line[o++] = hex[client_random[i] & 15];
    }
    line[o++] = ' ';
    for (size_t i = 0; i < secret_len; i++) {
        line[o++] = hex[secret[i] >> 4];
        line[o++] = hex[secret[i] & 15];
    }
    line[o] = '\0';
    cb(s, line);
    OPENSSL_clear_free(line, n);
}

static void obs_msg(void *arg, int write_p, int version, int content_type, const uint8_t *buf,
                    size_t len)
{
    SSL *s = arg;

    if (s->p.msg_cb != NULL) {
        s->p.msg_cb(write_p, version, content_type, buf, len, s, s->p.msg_cb_arg);
    }
}

static void obs_info(void *arg, int where, int value)
{
    SSL *s = arg;
    clasp_info_cb cb = clasp_info_callback(s);

    if (cb != NULL) {
        cb(s, where, value);
    }
}

/* SSL_OP_NO_TLSv1_2 / _3 still narrow the range, as in OpenSSL 3.0. */
uint16_t clasp_min_version(const SSL *s)
{
    int v = s->method->version != 0 ? s->method->version : s->p.min_version;

    if (v < TLS1_2_VERSION) {
        v = TLS1_2_VERSION;
    }
    if (v == TLS1_2_VERSION && (s->p.options & SSL_OP_NO_TLSv1_2)) {
        v = TLS1_3_VERSION;
    }
    return (uint16_t)v;
}

uint16_t clasp_max_version(const SSL *s)
{
    int v = s->method->version != 0 ? s->method->version : s->p.max_version;

    if (v == 0 || v > TLS1_3_VERSION) {
        v = TLS1_3_VERSION;
    }
    if (v == TLS1_3_VERSION && (s->p.options & SSL_OP_NO_TLSv1_3)) {
        v = TLS1_2_VERSION;
    }
    return (uint16_t)v;
}

/* Client authentication (RFC 9846 §4.4.2).  Server: as OpenSSL 3.0, a
 * CertificateRequest goes out with SSL_VERIFY_PEER unless the application
 * asked for post-handshake authentication only.  Client: the identities
 * set with SSL_CTX_use_certificate / SSL_use_certificate and their keys. */
static void set_client_auth(SSL *s, clasp_config *c)
{
    int mode = s->p.verify_mode;

    if (s->server) {
        c->request_client_cert = (mode & SSL_VERIFY_PEER) && !(mode & SSL_VERIFY_POST_HANDSHAKE);
        c->require_client_cert = c->request_client_cert && (mode & SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
        return;
    }
    c->num_client_ids = clasp_cert_identities(s, s->ids, CLASP_NUM_PKEYS);
    c->client_ids = s->ids;
}

/* TLS 1.3 tickets (RFC 9846 §4.7.1): a server seals them with the session
 * SSL_CTX's keys (OpenSSL's layout: name 16, HMAC 32, AES 32), they live
 * as long as its SSL_CTX_set_timeout() and it sends SSL_set_num_tickets()
 * of them; a client takes them and offers the ticket of the session given
 * to SSL_set_session(). */
static void set_tickets(SSL *s, clasp_config *c)
{
    const uint8_t *keys = s->session_ctx->ticket_keys;
    long timeout = s->session_ctx->timeout;

    c->now_ms = clasp_now_ms();
    /* OpenSSL 3.0: SSL_OP_NO_TICKET turns RFC 5077 tickets off in TLS 1.2. */
    c->no_tickets12 = (s->p.options & SSL_OP_NO_TICKET) != 0;
    if (s->server) {
        memcpy(s->ticket_key.name, keys, CLASP_TICKET_KEY_NAME_LEN);
        memcpy(s->ticket_key.key, keys + 48, CLASP_TICKET_KEY_LEN);
        c->ticket_key = &s->ticket_key;
        /* SSL_OP_NO_TICKET: OpenSSL's TLS 1.3 server then sends stateful
         * tickets instead, as many; Clasp has no session cache and sends
         * the same stateless ones (clients see no difference). */
        c->num_tickets = s->p.num_tickets;
        c->ticket_lifetime = timeout > 0 && timeout < 604800 ? (uint32_t)timeout : 604800;
        return;
    }
    c->want_tickets = 1;
    if (s->session != NULL && SSL_SESSION_is_resumable(s->session)) {
        c->resume = &s->session->ticket;
    }
}

int clasp_build_config(SSL *s)
{
    clasp_config *c = &s->cfg;
    const clasp_ciphers *ciphers = clasp_ssl_ciphers(s);

    memset(c, 0, sizeof(*c));
    /* The original context's algorithms: it lives as long as the SSL. */
    c->crypto = s->session_ctx->crypto;
    c->is_server = s->server;
    c->min_version = clasp_min_version(s);
    c->max_version = clasp_max_version(s);
    /* A copy: the CTX's list may change or go away with SSL_set_SSL_CTX. */
    memcpy(s->cfg_suites, ciphers->suites, ciphers->num_suites * sizeof(uint16_t));
    c->suites = s->cfg_suites;
    c->num_suites = ciphers->num_suites;
    for (size_t i = 0; i < ciphers->num_tls12; i++) {
        s->cfg_suites12[i] = (uint16_t)(SSL_CIPHER_get_id(ciphers->tls12[i]) & 0xffff);
    }
    c->suites12 = s->cfg_suites12;
    c->num_suites12 = ciphers->num_tls12;
    c->send_fallback_scsv = (s->p.mode & SSL_MODE_SEND_FALLBACK_SCSV) != 0;
    c->groups = s->p.groups;
    c->num_groups = s->p.num_groups;
    c->sigalgs = s->p.sigalgs;
    c->num_sigalgs = s->p.num_sigalgs;
    if (!s->server) {
        c->alpn = s->p.alpn;
        c->alpn_len = s->p.alpn_len;
        c->sni = s->hostname;
    }
    c->middlebox_compat = (s->p.options & SSL_OP_ENABLE_MIDDLEBOX_COMPAT) != 0;
    c->require_ems = s->p.require_extms;
    c->server_prefer_own_suites = (s->p.options & SSL_OP_CIPHER_SERVER_PREFERENCE) != 0;
    c->max_cert_list = s->p.max_cert_list > 0 ? (size_t)s->p.max_cert_list : 0;
    c->observer.arg = s;
    c->observer.keylog = obs_keylog;
    c->observer.msg = obs_msg;
    c->observer.info = obs_info;
    set_client_auth(s, c);
    set_tickets(s, c);
    return 1;
}

/* SSL_SESSION: what was negotiated (version, cipher suite, peer
 * certificate and chain, verify result) and, on a TLS 1.3 client, the
 * ticket that resumes it (RFC 9846 §4.7.1, §4.3.11).  As OpenSSL 3, each
 * ticket received makes a new SSL_SESSION, which becomes the connection's
 * session and is handed to the new-session callback.  TLS 1.2 sessions
 * are not resumable (no session ids or RFC 5077 tickets).
 *
 * Also here: the handshake values applications read afterwards (randoms,
 * Finished messages, exporter). */
#include <string.h>
#include <time.h>

#include "api/internal.h"

#define DEFAULT_TIMEOUT 7200 /* seconds, as TLS_method() */

uint64_t clasp_now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        return (uint64_t)time(NULL) * 1000;
    }
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

SSL_SESSION *SSL_SESSION_new(void)
{
    SSL_SESSION *ss = OPENSSL_zalloc(sizeof(*ss));

    if (ss == NULL) {
        CLASP_RAISE(ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    atomic_init(&ss->references, 1);
    ss->verify_result = X509_V_OK;
    ss->time = (long)time(NULL);
    ss->timeout = DEFAULT_TIMEOUT;
    if (!CRYPTO_new_ex_data(CRYPTO_EX_INDEX_SSL_SESSION, ss, &ss->ex_data)) {
        OPENSSL_free(ss);
        return NULL;
    }
    return ss;
}

int SSL_SESSION_up_ref(SSL_SESSION *ss)
{
    atomic_fetch_add(&ss->references, 1);
    return 1;
}

void SSL_SESSION_free(SSL_SESSION *ss)
{
    if (ss == NULL || atomic_fetch_sub(&ss->references, 1) > 1) {
        return;
    }
    CRYPTO_free_ex_data(CRYPTO_EX_INDEX_SSL_SESSION, ss, &ss->ex_data);
    X509_free(ss->peer);
    sk_X509_pop_free(ss->peer_chain, X509_free);
    clasp_ticket_cleanup(&ss->ticket);
    OPENSSL_clear_free(ss, sizeof(*ss));
}

int SSL_SESSION_get_protocol_version(const SSL_SESSION *ss)
{
    return ss->version;
}

const SSL_CIPHER *SSL_SESSION_get0_cipher(const SSL_SESSION *ss)
{
    return ss->cipher;
}

/* A TLS 1.3 session with a ticket can be offered again. */
int SSL_SESSION_is_resumable(const SSL_SESSION *ss)
{
    return ss->has_ticket && !ss->not_resumable;
}

int SSL_SESSION_has_ticket(const SSL_SESSION *ss)
{
    return ss->has_ticket;
}

/* RFC 9846 §4.7.1 ticket_lifetime, in seconds (0 without a ticket). */
unsigned long SSL_SESSION_get_ticket_lifetime_hint(const SSL_SESSION *ss)
{
    return ss->has_ticket ? ss->ticket.lifetime : 0;
}

uint32_t SSL_SESSION_get_max_early_data(const SSL_SESSION *ss)
{
    return ss->has_ticket ? ss->ticket.max_early_data : 0;
}

X509 *SSL_SESSION_get0_peer(SSL_SESSION *ss)
{
    return ss->peer;
}

long SSL_SESSION_get_time(const SSL_SESSION *ss)
{
    return ss == NULL ? 0 : ss->time;
}

long SSL_SESSION_get_timeout(const SSL_SESSION *ss)
{
    return ss == NULL ? 0 : ss->timeout;
}

/* TLS 1.2: the master secret (as OpenSSL: outlen 0 asks for its length).
 * TLS 1.3: 0 bytes (the resumption PSK lives with the ticket). */
size_t SSL_SESSION_get_master_key(const SSL_SESSION *ss, unsigned char *out, size_t outlen)
{
    if (outlen == 0) {
        return ss->master_key_len;
    }
    if (outlen > ss->master_key_len) {
        outlen = ss->master_key_len;
    }
    memcpy(out, ss->master_key, outlen);
    return outlen;
}

int SSL_SESSION_set_ex_data(SSL_SESSION *ss, int idx, void *data)
{
    return CRYPTO_set_ex_data(&ss->ex_data, idx, data);
}

void *SSL_SESSION_get_ex_data(const SSL_SESSION *ss, int idx)
{
    return CRYPTO_get_ex_data(&ss->ex_data, idx);
}

/* Copies what a session records about its connection (not the ticket). */
static int session_fill(SSL_SESSION *ss, int version, const SSL_CIPHER *cipher, X509 *peer,
                        STACK_OF(X509) *chain, long verify_result, const SSL *s)
{
    ss->version = version;
    ss->cipher = cipher;
    ss->verify_result = verify_result;
    ss->timeout = s->session_ctx->timeout;
    if (peer != NULL && X509_up_ref(peer)) {
        ss->peer = peer;
    }
    if (chain != NULL) {
        ss->peer_chain = X509_chain_up_ref(chain);
        if (ss->peer_chain == NULL) {
            return 0;
        }
    }
    memcpy(ss->sid_ctx, s->p.sid_ctx, s->p.sid_ctx_len);
    ss->sid_ctx_len = s->p.sid_ctx_len;
    return 1;
}

/* Client, resumed: the original session's peer certificate, chain and
 * verify result stand for this connection (as OpenSSL:
 * SSL_get_peer_certificate works on a resumed connection). */
static int restore_peer(SSL *s, const SSL_SESSION *ss)
{
    X509_free(s->peer_cert);
    s->peer_cert = NULL;
    sk_X509_pop_free(s->peer_chain, X509_free);
    s->peer_chain = NULL;
    if (ss->peer != NULL && X509_up_ref(ss->peer)) {
        s->peer_cert = ss->peer;
    }
    if (ss->peer_chain != NULL) {
        s->peer_chain = X509_chain_up_ref(ss->peer_chain);
    }
    s->verify_result = ss->verify_result;
    return ss->peer_chain == NULL || s->peer_chain != NULL;
}

/* A TLS 1.2 client's RFC 5077 ticket came in the handshake (before the
 * server's CCS): the session that holds it replaces s->session once the
 * handshake is done.  Returns 1 (also without a ticket), or 0. */
static int take_ticket12(SSL *s)
{
    if (s->server || clasp_conn_version(s->conn) != TLS1_2_VERSION ||
        !clasp_conn_has_ticket(s->conn)) {
        return 1;
    }
    return clasp_session_on_ticket(s);
}

int clasp_session_from_conn(SSL *s)
{
    SSL_SESSION *ss;

    /* A resumed client keeps the session it offered (SSL_get_session()
     * returns it, as OpenSSL's) until new tickets arrive. */
    if (!s->server && s->session != NULL && clasp_conn_resumed(s->conn)) {
        return restore_peer(s, s->session) && take_ticket12(s);
    }
    ss = SSL_SESSION_new();
    if (ss == NULL) {
        return 0;
    }
    if (!session_fill(ss, clasp_conn_version(s->conn),
                      clasp_cipher_by_code(clasp_conn_cipher_suite(s->conn)), s->peer_cert,
                      s->server ? NULL : s->peer_chain, s->verify_result, s)) {
        SSL_SESSION_free(ss);
        return 0;
    }
    ss->master_key_len = clasp_conn_master_secret(s->conn, ss->master_key, sizeof(ss->master_key));
    SSL_SESSION_free(s->session);
    s->session = ss;
    return take_ticket12(s);
}

/* SSL_CTX_sess_set_new_cb(3): on a client only with SSL_SESS_CACHE_CLIENT;
 * a callback returning 1 keeps the reference it was given. */
static void new_session_callback(SSL *s, SSL_SESSION *ss)
{
    SSL_CTX *sctx = s->session_ctx;

    if (sctx->new_session_cb == NULL || !(sctx->session_cache_mode & SSL_SESS_CACHE_CLIENT)) {
        return;
    }
    SSL_SESSION_up_ref(ss);
    if (sctx->new_session_cb(s, ss) == 0) {
        SSL_SESSION_free(ss);
    }
}

int clasp_session_on_ticket(SSL *s)
{
    const SSL_SESSION *cur = s->session;
    SSL_SESSION *ss = SSL_SESSION_new();
    int ok;

    if (ss == NULL) {
        return 0;
    }
    ok = cur != NULL ? session_fill(ss, cur->version, cur->cipher, cur->peer, cur->peer_chain,
                                    cur->verify_result, s)
                     : session_fill(ss, clasp_conn_version(s->conn),
                                    clasp_cipher_by_code(clasp_conn_cipher_suite(s->conn)),
                                    s->peer_cert, s->peer_chain, s->verify_result, s);
    if (!ok || !clasp_conn_take_ticket(s->conn, &ss->ticket)) {
        SSL_SESSION_free(ss);
        return 0;
    }
    ss->ticket.received_ms = clasp_now_ms();
    ss->has_ticket = 1;
    if (cur != NULL) {
        memcpy(ss->master_key, cur->master_key, cur->master_key_len);
        ss->master_key_len = cur->master_key_len;
    }
    SSL_SESSION_free(s->session);
    s->session = ss;
    new_session_callback(s, ss);
    return 1;
}

SSL_SESSION *SSL_get_session(const SSL *s)
{
    return s->session;
}

SSL_SESSION *SSL_get1_session(SSL *s)
{
    if (s->session != NULL) {
        SSL_SESSION_up_ref(s->session);
    }
    return s->session;
}

/* The next handshake offers the session's ticket, if it has one (TLS 1.3
 * client); as OpenSSL, the session's verify result is taken over. */
int SSL_set_session(SSL *s, SSL_SESSION *ss)
{
    if (ss != NULL) {
        SSL_SESSION_up_ref(ss);
        s->verify_result = ss->verify_result;
    }
    SSL_SESSION_free(s->session);
    s->session = ss;
    return 1;
}

int SSL_session_reused(const SSL *s)
{
    return s->conn != NULL && clasp_conn_resumed(s->conn);
}

long SSL_get_default_timeout(const SSL *s)
{
    return DEFAULT_TIMEOUT;
}

/* ---- handshake values ------------------------------------------------------------------ */

/* Copies min(outlen, 32) bytes; outlen 0 asks for the size. */
static size_t copy_random(const uint8_t *r, unsigned char *out, size_t outlen)
{
    static const uint8_t zeros[32];

    if (outlen == 0) {
        return 32;
    }
    if (outlen > 32) {
        outlen = 32;
    }
    memcpy(out, r != NULL ? r : zeros, outlen);
    return outlen;
}

size_t SSL_get_client_random(const SSL *s, unsigned char *out, size_t outlen)
{
    return copy_random(s->conn == NULL ? NULL : clasp_conn_client_random(s->conn), out, outlen);
}

size_t SSL_get_server_random(const SSL *s, unsigned char *out, size_t outlen)
{
    return copy_random(s->conn == NULL ? NULL : clasp_conn_server_random(s->conn), out, outlen);
}

/* Returns the Finished length, copying at most count bytes (SSL_get_finished(3)). */
static size_t finished(const SSL *s, int peer, void *buf, size_t count)
{
    uint8_t md[64];
    size_t len;

    if (s->conn == NULL) {
        return 0;
    }
    len = clasp_conn_finished(s->conn, peer, md, sizeof(md));
    memcpy(buf, md, count < len ? count : len);
    OPENSSL_cleanse(md, sizeof(md));
    return len;
}

size_t SSL_get_finished(const SSL *s, void *buf, size_t count)
{
    return finished(s, 0, buf, count);
}

size_t SSL_get_peer_finished(const SSL *s, void *buf, size_t count)
{
    return finished(s, 1, buf, count);
}

/* RFC 9846 §7.5 through the engine; -1 before the handshake ends. */
int SSL_export_keying_material(SSL *s, unsigned char *out, size_t olen, const char *label,
                               size_t llen, const unsigned char *context, size_t contextlen,
                               int use_context)
{
    if (s->conn == NULL || !clasp_conn_handshake_done(s->conn)) {
        return -1;
    }
    return clasp_conn_export(s->conn, label, llen, context, contextlen, use_context, out, olen);
}

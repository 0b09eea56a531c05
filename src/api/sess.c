/* SSL_SESSION, minimal: what was negotiated (version, cipher suite, peer
 * certificate, verify result) so that the session getters work.  Resumption
 * (tickets, PSK) is not implemented yet: SSL_set_session() is accepted and
 * every handshake is a full one (docs/compat.md).
 *
 * Also here: the handshake values applications read afterwards (randoms,
 * Finished messages, exporter). */
#include <string.h>

#include "api/internal.h"

SSL_SESSION *SSL_SESSION_new(void)
{
    SSL_SESSION *ss = OPENSSL_zalloc(sizeof(*ss));

    if (ss == NULL) {
        CLASP_RAISE(ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    atomic_init(&ss->references, 1);
    ss->verify_result = X509_V_OK;
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

/* No tickets are received or issued: nothing can be resumed. */
int SSL_SESSION_is_resumable(const SSL_SESSION *ss)
{
    return 0;
}

/* TLS 1.2: the master secret (as OpenSSL: outlen 0 asks for its length).
 * TLS 1.3: Clasp keeps no resumption secret in the session, 0 bytes. */
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

int clasp_session_from_conn(SSL *s)
{
    SSL_SESSION *ss = SSL_SESSION_new();

    if (ss == NULL) {
        return 0;
    }
    ss->version = clasp_conn_version(s->conn);
    ss->cipher = clasp_cipher_by_code(clasp_conn_cipher_suite(s->conn));
    ss->verify_result = s->verify_result;
    if (s->peer_cert != NULL && X509_up_ref(s->peer_cert)) {
        ss->peer = s->peer_cert;
    }
    memcpy(ss->sid_ctx, s->p.sid_ctx, s->p.sid_ctx_len);
    ss->sid_ctx_len = s->p.sid_ctx_len;
    ss->master_key_len = clasp_conn_master_secret(s->conn, ss->master_key, sizeof(ss->master_key));
    SSL_SESSION_free(s->session);
    s->session = ss;
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

/* Accepted (as OpenSSL, the session's verify result is taken over), but
 * the next handshake is a full one. */
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
    return 0;
}

long SSL_get_default_timeout(const SSL *s)
{
    return 7200; /* seconds, TLS_method()'s */
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

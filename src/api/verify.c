/* Peer verification: the settings (mode, depth, callback, X509_VERIFY_PARAM,
 * host names), the verification itself at CLASP_WAIT_VERIFY_PEER (libcrypto's
 * X509_verify_cert, configured as OpenSSL's ssl_verify_cert_chain does), the
 * X509_V_ERR_* → alert mapping (OpenSSL's ssl_x509err2alert), and the getters
 * for what was received. */
#include <openssl/x509_vfy.h>

#include "api/internal.h"

/* ---- settings ---------------------------------------------------------------------- */

void SSL_CTX_set_verify(SSL_CTX *ctx, int mode, SSL_verify_cb cb)
{
    ctx->p.verify_mode = mode;
    ctx->p.verify_cb = cb;
}

/* As OpenSSL: a NULL callback keeps the inherited one. */
void SSL_set_verify(SSL *s, int mode, SSL_verify_cb cb)
{
    s->p.verify_mode = mode;
    if (cb != NULL) {
        s->p.verify_cb = cb;
    }
}

void SSL_CTX_set_verify_depth(SSL_CTX *ctx, int depth)
{
    X509_VERIFY_PARAM_set_depth(ctx->p.param, depth);
}

void SSL_set_verify_depth(SSL *s, int depth)
{
    X509_VERIFY_PARAM_set_depth(s->p.param, depth);
}

int SSL_CTX_get_verify_mode(const SSL_CTX *ctx)
{
    return ctx->p.verify_mode;
}

int SSL_get_verify_mode(const SSL *s)
{
    return s->p.verify_mode;
}

int SSL_CTX_get_verify_depth(const SSL_CTX *ctx)
{
    return X509_VERIFY_PARAM_get_depth(ctx->p.param);
}

int SSL_get_verify_depth(const SSL *s)
{
    return X509_VERIFY_PARAM_get_depth(s->p.param);
}

SSL_verify_cb SSL_CTX_get_verify_callback(const SSL_CTX *ctx)
{
    return ctx->p.verify_cb;
}

SSL_verify_cb SSL_get_verify_callback(const SSL *s)
{
    return s->p.verify_cb;
}

X509_VERIFY_PARAM *SSL_CTX_get0_param(SSL_CTX *ctx)
{
    return ctx->p.param;
}

X509_VERIFY_PARAM *SSL_get0_param(SSL *s)
{
    return s->p.param;
}

int SSL_CTX_set1_param(SSL_CTX *ctx, X509_VERIFY_PARAM *vpm)
{
    return X509_VERIFY_PARAM_set1(ctx->p.param, vpm);
}

int SSL_set1_param(SSL *s, X509_VERIFY_PARAM *vpm)
{
    return X509_VERIFY_PARAM_set1(s->p.param, vpm);
}

int SSL_set1_host(SSL *s, const char *hostname)
{
    return X509_VERIFY_PARAM_set1_host(s->p.param, hostname, 0);
}

int SSL_add1_host(SSL *s, const char *hostname)
{
    return X509_VERIFY_PARAM_add1_host(s->p.param, hostname, 0);
}

void SSL_set_hostflags(SSL *s, unsigned int flags)
{
    X509_VERIFY_PARAM_set_hostflags(s->p.param, flags);
}

const char *SSL_get0_peername(SSL *s)
{
    return X509_VERIFY_PARAM_get0_peername(s->p.param);
}

long SSL_get_verify_result(const SSL *s)
{
    return s->verify_result;
}

void SSL_set_verify_result(SSL *s, long v)
{
    s->verify_result = v;
}

/* The X509_STORE_CTX ex_data slot holding the SSL * during verification,
 * registered once per process. */
static CRYPTO_ONCE idx_once = CRYPTO_ONCE_STATIC_INIT;
static int store_ctx_idx = -1;

static void make_idx(void)
{
    store_ctx_idx = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_X509_STORE_CTX, 0,
                                            "SSL for verify callback", NULL, NULL, NULL);
}

int SSL_get_ex_data_X509_STORE_CTX_idx(void)
{
    if (!CRYPTO_THREAD_run_once(&idx_once, make_idx)) {
        return -1;
    }
    return store_ctx_idx;
}

/* ---- what the peer sent ------------------------------------------------------------------ */

X509 *SSL_get0_peer_certificate(const SSL *s)
{
    return s == NULL ? NULL : s->peer_cert;
}

X509 *SSL_get1_peer_certificate(const SSL *s)
{
    X509 *x = SSL_get0_peer_certificate(s);

    if (x != NULL) {
        X509_up_ref(x);
    }
    return x;
}

STACK_OF(X509) *SSL_get_peer_cert_chain(const SSL *s)
{
    return s == NULL ? NULL : s->peer_chain;
}

STACK_OF(X509) *SSL_get0_verified_chain(const SSL *s)
{
    return s->verified_chain;
}

/* ---- verification ------------------------------------------------------------------------ */

/* OpenSSL's ssl_x509err2alert() table: which alert tells the peer why its
 * chain was refused. */
static const struct {
    int err;
    int alert;
} x509_alerts[] = {
    {X509_V_ERR_APPLICATION_VERIFICATION, SSL_AD_HANDSHAKE_FAILURE},
    {X509_V_ERR_CA_KEY_TOO_SMALL, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_EC_KEY_EXPLICIT_PARAMS, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_CA_MD_TOO_WEAK, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_CERT_CHAIN_TOO_LONG, SSL_AD_UNKNOWN_CA},
    {X509_V_ERR_CERT_HAS_EXPIRED, SSL_AD_CERTIFICATE_EXPIRED},
    {X509_V_ERR_CERT_NOT_YET_VALID, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_CERT_REJECTED, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_CERT_REVOKED, SSL_AD_CERTIFICATE_REVOKED},
    {X509_V_ERR_CERT_SIGNATURE_FAILURE, SSL_AD_DECRYPT_ERROR},
    {X509_V_ERR_CERT_UNTRUSTED, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_CRL_HAS_EXPIRED, SSL_AD_CERTIFICATE_EXPIRED},
    {X509_V_ERR_CRL_NOT_YET_VALID, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_CRL_SIGNATURE_FAILURE, SSL_AD_DECRYPT_ERROR},
    {X509_V_ERR_DANE_NO_MATCH, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, SSL_AD_UNKNOWN_CA},
    {X509_V_ERR_EE_KEY_TOO_SMALL, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_EMAIL_MISMATCH, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_HOSTNAME_MISMATCH, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_INVALID_CA, SSL_AD_UNKNOWN_CA},
    {X509_V_ERR_INVALID_CALL, SSL_AD_INTERNAL_ERROR},
    {X509_V_ERR_INVALID_PURPOSE, SSL_AD_UNSUPPORTED_CERTIFICATE},
    {X509_V_ERR_IP_ADDRESS_MISMATCH, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_OUT_OF_MEM, SSL_AD_INTERNAL_ERROR},
    {X509_V_ERR_PATH_LENGTH_EXCEEDED, SSL_AD_UNKNOWN_CA},
    {X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, SSL_AD_UNKNOWN_CA},
    {X509_V_ERR_STORE_LOOKUP, SSL_AD_INTERNAL_ERROR},
    {X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_UNABLE_TO_GET_CRL, SSL_AD_UNKNOWN_CA},
    {X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER, SSL_AD_UNKNOWN_CA},
    {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, SSL_AD_UNKNOWN_CA},
    {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, SSL_AD_UNKNOWN_CA},
    {X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, SSL_AD_UNKNOWN_CA},
    {X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_UNNESTED_RESOURCE, SSL_AD_BAD_CERTIFICATE},
    {X509_V_ERR_UNSPECIFIED, SSL_AD_INTERNAL_ERROR},
};

static int x509err2alert(long err)
{
    for (size_t i = 0; i < sizeof(x509_alerts) / sizeof(x509_alerts[0]); i++) {
        if (x509_alerts[i].err == err) {
            return x509_alerts[i].alert;
        }
    }
    return SSL_AD_CERTIFICATE_UNKNOWN;
}

/* Keeps what the peer sent, with OpenSSL's asymmetry: a client's
 * SSL_get_peer_cert_chain() includes the leaf, a server's does not. */
static int keep_peer_chain(SSL *s, STACK_OF(X509) *chain)
{
    X509_free(s->peer_cert);
    s->peer_cert = NULL;
    sk_X509_pop_free(s->peer_chain, X509_free);
    s->peer_chain = NULL;
    if (chain == NULL || sk_X509_num(chain) == 0) {
        return 1;
    }
    s->peer_chain = X509_chain_up_ref(chain);
    if (s->peer_chain == NULL) {
        CLASP_RAISE(ERR_R_MALLOC_FAILURE);
        return 0;
    }
    s->peer_cert = sk_X509_value(s->peer_chain, 0);
    X509_up_ref(s->peer_cert);
    if (s->server) {
        X509_free(sk_X509_shift(s->peer_chain));
    }
    return 1;
}

/* ssl_verify_cert_chain(): the SSL's parameters, the purpose for the
 * peer's role, the SSL * in the ex_data slot, the application's callback.
 * Returns X509_verify_cert()'s result; s->verify_result gets the error. */
static int verify_chain(SSL *s, STACK_OF(X509) *chain)
{
    X509_STORE *store = s->p.verify_store != NULL ? s->p.verify_store : s->ctx->store;
    X509_STORE_CTX *xs = X509_STORE_CTX_new_ex(s->ctx->libctx, s->ctx->propq);
    int ok = -1;

    if (xs == NULL || !X509_STORE_CTX_init(xs, store, sk_X509_value(chain, 0), chain)) {
        X509_STORE_CTX_free(xs);
        s->verify_result = X509_V_ERR_UNSPECIFIED;
        return -1;
    }
    X509_STORE_CTX_set_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx(), s);
    /* A client checks a server certificate and vice versa. */
    X509_STORE_CTX_set_default(xs, s->server ? "ssl_client" : "ssl_server");
    X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(xs), s->p.param);
    if (s->p.verify_cb != NULL) {
        X509_STORE_CTX_set_verify_cb(xs, s->p.verify_cb);
    }
    ok = X509_verify_cert(xs);
    s->verify_result = X509_STORE_CTX_get_error(xs);
    sk_X509_pop_free(s->verified_chain, X509_free);
    s->verified_chain = X509_STORE_CTX_get1_chain(xs);
    X509_STORE_CTX_free(xs);
    return ok;
}

void clasp_verify_peer(SSL *s)
{
    STACK_OF(X509) *chain = clasp_conn_peer_chain(s->conn);
    int ok;

    if (!keep_peer_chain(s, chain)) {
        clasp_conn_verify_done(s->conn, 0, SSL_AD_INTERNAL_ERROR);
        return;
    }
    if (chain == NULL || sk_X509_num(chain) == 0) {
        /* A client that sent no certificate (RFC 9846 §4.5.1.3). */
        int required = (s->p.verify_mode & SSL_VERIFY_PEER)
                       && (s->p.verify_mode & SSL_VERIFY_FAIL_IF_NO_PEER_CERT);

        if (required) {
            CLASP_RAISE(SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE);
        }
        clasp_conn_verify_done(s->conn, !required, SSL_AD_CERTIFICATE_REQUIRED);
        return;
    }
    ERR_set_mark();
    ok = verify_chain(s, chain);
    if (ok <= 0 && s->p.verify_mode != SSL_VERIFY_NONE) {
        ERR_clear_last_mark();
        clasp_conn_verify_done(s->conn, 0, x509err2alert(s->verify_result));
        return;
    }
    /* SSL_VERIFY_NONE goes on; the result stays in SSL_get_verify_result(). */
    ERR_pop_to_mark();
    clasp_conn_verify_done(s->conn, 1, 0);
}

/* The three verification steps (DESIGN.md principle 8): the peer's chain
 * verdict, its CertificateVerify and its Finished.  Only these functions
 * set the clasp_verified flags. */
#include <string.h>

#include <openssl/crypto.h>

#include "hs/conn.h"

/* RFC 9846 §4.5.2: 64 spaces, the context string, a zero byte, then the
 * transcript hash. */
static size_t cv_content(const clasp_conn *conn, int server, uint8_t *out)
{
    static const char server_ctx[] = "TLS 1.3, server CertificateVerify";
    static const char client_ctx[] = "TLS 1.3, client CertificateVerify";
    const char *ctx = server ? server_ctx : client_ctx;
    size_t ctx_len = sizeof(server_ctx) - 1;
    size_t hash_len = clasp_hash_len(conn->hash);

    memset(out, 0x20, 64);
    memcpy(out + 64, ctx, ctx_len);
    out[64 + ctx_len] = 0;
    if (!clasp_transcript_hash(&conn->hs->transcript, out + 64 + ctx_len + 1)) {
        return 0;
    }
    return 64 + ctx_len + 1 + hash_len;
}

#define CV_CONTENT_MAX (64 + 33 + 1 + CLASP_MAX_HASH_LEN)

int clasp_cv_sign(clasp_conn *conn, EVP_PKEY *key, uint16_t scheme, int server, uint8_t *sig,
                  size_t *sig_len)
{
    uint8_t content[CV_CONTENT_MAX];
    size_t len = cv_content(conn, server, content);

    return len > 0 && clasp_sig_sign(conn->cfg.crypto, key, scheme, content, len, sig, sig_len);
}

int clasp_cv_check(clasp_conn *conn, uint16_t scheme, const uint8_t *sig, size_t sig_len,
                   int server)
{
    uint8_t content[CV_CONTENT_MAX];
    size_t len = cv_content(conn, server, content);
    X509 *leaf = sk_X509_value(conn->peer_chain, 0);
    EVP_PKEY *key = leaf != NULL ? X509_get0_pubkey(leaf) : NULL;

    if (len == 0 || key == NULL || !conn->hs->verified.cert) {
        return 0;
    }
    if (!clasp_sig_verify(conn->cfg.crypto, key, scheme, content, len, sig, sig_len)) {
        return 0;
    }
    conn->hs->verified.cert_verify = 1;
    return 1;
}

int clasp_finished_compute(clasp_conn *conn, const uint8_t *base_key, uint8_t *out)
{
    uint8_t th[CLASP_MAX_HASH_LEN];

    return clasp_transcript_hash(&conn->hs->transcript, th) &&
           clasp_ks_finished(conn->cfg.crypto, conn->hash, base_key, th, out);
}

int clasp_finished_check(clasp_conn *conn, const uint8_t *base_key, const uint8_t *vd,
                         size_t vd_len)
{
    uint8_t expected[CLASP_MAX_HASH_LEN];
    size_t hash_len = clasp_hash_len(conn->hash);
    int ok;

    if (vd_len != hash_len || !clasp_finished_compute(conn, base_key, expected)) {
        return 0;
    }
    ok = CRYPTO_memcmp(expected, vd, hash_len) == 0;
    OPENSSL_cleanse(expected, sizeof(expected));
    if (ok) {
        memcpy(conn->finished_recv, vd, hash_len);
        conn->hs->verified.finished = 1;
    }
    return ok;
}

void clasp_conn_verify_done(clasp_conn *conn, int ok, int alert)
{
    if (conn->wait != CLASP_WAIT_VERIFY_PEER) {
        return;
    }
    conn->wait = CLASP_WAIT_INPUT;
    if (!ok) {
        FATAL(conn, alert, SSL_R_CERTIFICATE_VERIFY_FAILED);
        return;
    }
    conn->hs->verified.cert = 1;
}

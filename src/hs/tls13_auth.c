/* The authentication messages both roles send and receive (RFC 9846 §4.5):
 * Certificate, CertificateVerify and Finished.  The state machines decide
 * when; these functions build, parse and check.  Each returns 1, or 0
 * after FATAL. */
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "ext/ext.h"
#include "hs/conn.h"
#include "msg/msg.h"

/* CertificateEntry: the DER, then an empty extensions block (we send no
 * OCSP / SCT). */
static int put_cert_entry(clasp_writer *w, X509 *x, const uint8_t *der, size_t der_len)
{
    return clasp_put_asn1_cert(w, x, der, der_len) && clasp_wr_u16(w, 0);
}

int clasp_auth_send_certificate(clasp_conn *conn, const uint8_t *context, size_t context_len,
                                const clasp_identity *id)
{
    clasp_wr_mark mark;
    clasp_wr_mark ctx;
    clasp_wr_mark list;
    clasp_writer *w = clasp_hs_begin(conn, CLASP_HT_CERTIFICATE, &mark);
    int ok = 1;

    clasp_wr_open_u8(w, &ctx);
    clasp_wr_bytes(w, context, context_len);
    clasp_wr_close(w, &ctx);
    clasp_wr_open_u24(w, &list);
    if (id != NULL) {
        ok = put_cert_entry(w, id->leaf, id->leaf_der, id->leaf_der_len);
        for (int i = 0; ok && i < sk_X509_num(id->chain); i++) {
            ok = put_cert_entry(w, sk_X509_value(id->chain, i), NULL, 0);
        }
    }
    if (!ok || !clasp_wr_close(w, &list)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    return clasp_hs_send(conn, &mark);
}

int clasp_auth_read_cert_entries(clasp_conn *conn, clasp_reader *entries)
{
    clasp_reader der;
    clasp_reader exts_block;
    int r;

    conn->peer_chain = sk_X509_new_null();
    if (conn->peer_chain == NULL) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_MALLOC_FAILURE);
    }
    while ((r = clasp_cert_next_entry(entries, &der, &exts_block)) == 1) {
        clasp_exts exts;
        int alert;
        int reason;
        X509 *x;

        /* We ask for no status_request / SCT, so any entry extension is
         * unsolicited (RFC 9846 §4.5.1). */
        if (!clasp_ext_parse(&exts_block, CLASP_MSG_CT, NULL, 0, &exts, &alert, &reason)) {
            return FAIL(conn, alert, reason);
        }
        x = clasp_x509_from_der(conn->cfg.crypto, der.ptr, der.len);
        if (x == NULL || !sk_X509_push(conn->peer_chain, x)) {
            X509_free(x);
            return FAIL(conn, SSL_AD_BAD_CERTIFICATE, SSL_R_X509_LIB);
        }
    }
    if (r < 0) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_CERT_LENGTH_MISMATCH);
    }
    return 1;
}

int clasp_auth_read_cert_verify(clasp_conn *conn, clasp_reader *body, int peer_is_server)
{
    clasp_cert_verify cv;
    X509 *leaf = sk_X509_value(conn->peer_chain, 0);
    int reason;

    if (!clasp_cv_parse(body, &cv, &reason)) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, reason);
    }
    /* RFC 9846 §4.5.2: a scheme we listed, valid for TLS 1.3, that fits
     * the peer's key. */
    if (leaf == NULL || !clasp_sigalg_ok_for_tls13(cv.scheme) ||
        !clasp_list_has(conn->cfg.sigalgs, conn->cfg.num_sigalgs, cv.scheme) ||
        !clasp_sig_scheme_fits_key(cv.scheme, X509_get0_pubkey(leaf))) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_WRONG_SIGNATURE_TYPE);
    }
    if (!clasp_cv_check(conn, cv.scheme, cv.signature.ptr, cv.signature.len, peer_is_server)) {
        return FAIL(conn, SSL_AD_DECRYPT_ERROR, SSL_R_BAD_SIGNATURE);
    }
    conn->peer_sigalg = cv.scheme;
    return 1;
}

int clasp_auth_send_cert_verify(clasp_conn *conn, EVP_PKEY *key, uint16_t scheme,
                                int we_are_server)
{
    uint8_t sig[CLASP_MAX_SIG_LEN];
    size_t sig_len = sizeof(sig);
    clasp_wr_mark mark;
    clasp_wr_mark vec;
    clasp_writer *w;

    if (!clasp_cv_sign(conn, key, scheme, we_are_server, sig, &sig_len)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    w = clasp_hs_begin(conn, CLASP_HT_CERTIFICATE_VERIFY, &mark);
    clasp_wr_u16(w, scheme);
    clasp_wr_open_u16(w, &vec);
    clasp_wr_bytes(w, sig, sig_len);
    clasp_wr_close(w, &vec);
    conn->own_sigalg = scheme;
    return clasp_hs_send(conn, &mark);
}

int clasp_auth_send_finished(clasp_conn *conn, const uint8_t *base_key)
{
    size_t hash_len = clasp_hash_len(conn->hash);
    clasp_wr_mark mark;
    clasp_writer *w;

    if (!clasp_finished_compute(conn, base_key, conn->finished_sent)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    conn->finished_len = hash_len;
    w = clasp_hs_begin(conn, CLASP_HT_FINISHED, &mark);
    clasp_wr_bytes(w, conn->finished_sent, hash_len);
    return clasp_hs_send(conn, &mark);
}

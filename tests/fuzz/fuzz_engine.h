/* What the whole-handshake harnesses share: one server identity, the
 * facade's answers, and feeding the peer's bytes in pieces.  Included by
 * one harness per binary (static functions). */
#ifndef CLASP_FUZZ_ENGINE_H
#define CLASP_FUZZ_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "engine.h"

static clasp_crypto *fuzz_crypto;
static EVP_PKEY *fuzz_key;
static X509 *fuzz_cert;

/* Made once per process: an ECDSA P-256 key and a self-signed certificate. */
static void fuzz_init_once(void)
{
    X509_NAME *name;

    if (fuzz_crypto != NULL) {
        return;
    }
    fuzz_crypto = clasp_crypto_new(NULL, NULL);
    fuzz_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    fuzz_cert = X509_new();
    name = X509_get_subject_name(fuzz_cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"fuzz", -1, -1,
                               0);
    X509_set_issuer_name(fuzz_cert, name);
    X509_gmtime_adj(X509_getm_notBefore(fuzz_cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(fuzz_cert), 3600);
    X509_set_pubkey(fuzz_cert, fuzz_key);
    X509_sign(fuzz_cert, fuzz_key, EVP_sha256());
}

/* Answers the facade's questions (accepting any chain: the fuzzer cannot
 * forge signatures, but everything before and around them is reached)
 * and drops what the engine writes. */
static void fuzz_drive(clasp_conn *conn)
{
    clasp_identity id = clasp_identity_make(fuzz_cert, NULL, fuzz_key);
    uint8_t plain[256];

    for (int i = 0; i < 8; i++) {
        clasp_wait w = clasp_conn_process(conn);
        const uint8_t *out;
        size_t n = clasp_conn_out_pending(conn, &out);

        clasp_conn_out_consume(conn, n);
        switch (w) {
        case CLASP_WAIT_CLIENT_HELLO:
            clasp_conn_client_hello_done(conn, &id, 1, NULL, 0, 0, 0);
            break;
        case CLASP_WAIT_VERIFY_PEER:
            clasp_conn_verify_done(conn, 1, 0);
            break;
        case CLASP_WAIT_APP_READ:
            clasp_conn_read_app(conn, plain, sizeof(plain), 0);
            break;
        default:
            return;
        }
    }
}

/* Gives the peer's bytes to conn in pieces of chunk bytes, driving it
 * after each, until they run out or it fails. */
static void fuzz_feed(clasp_conn *conn, const uint8_t *data, size_t size, size_t chunk)
{
    while (size > 0 && !clasp_conn_failed(conn)) {
        uint8_t *in;
        size_t space = clasp_conn_in_space(conn, &in);
        size_t n = size < chunk ? size : chunk;

        if (n > space) {
            n = space;
        }
        if (n == 0) {
            break;
        }
        memcpy(in, data, n);
        clasp_conn_in_commit(conn, n);
        data += n;
        size -= n;
        fuzz_drive(conn);
    }
}

#endif

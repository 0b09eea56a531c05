/* TLS 1.2 whole-handshake harness: as fuzz_handshake.c, with engines that
 * negotiate TLS 1.2 — first byte bit 0: server (else client); bit 1: the
 * range is 1.2–1.3 (the version negotiation and the hand-over from the
 * TLS 1.3 machines), else 1.2 only.  The input is what the peer sends, in
 * pieces whose sizes come from the second byte. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "engine.h"

static const uint16_t suites13[] = {0x1301, 0x1302, 0x1303};
static const uint16_t suites12[] = {0xc02b, 0xc02c, 0xcca9, 0xc02f, 0xc030, 0xcca8};
static const uint16_t groups[] = {0x001d, 0x0017, 0x0018};
static const uint16_t sigalgs[] = {0x0403, 0x0804, 0x0807, 0x0503, 0x0401};

static clasp_crypto *crypto;
static EVP_PKEY *key;
static X509 *cert;

static void init_once(void)
{
    X509_NAME *name;

    if (crypto != NULL) {
        return;
    }
    crypto = clasp_crypto_new(NULL, NULL);
    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    cert = X509_new();
    name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"fuzz", -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_sign(cert, key, EVP_sha256());
}

/* Answers the facade's questions (accepting any chain: the fuzzer cannot
 * forge signatures, but everything before and around them is reached). */
static void drive(clasp_conn *conn)
{
    clasp_identity id = {cert, NULL, key};
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

static clasp_config make_config(uint8_t mode)
{
    clasp_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = crypto;
    cfg.is_server = mode & 1;
    cfg.min_version = 0x0303;
    cfg.max_version = (mode & 2) ? 0x0304 : 0x0303;
    cfg.suites = suites13;
    cfg.num_suites = 3;
    cfg.suites12 = suites12;
    cfg.num_suites12 = 6;
    cfg.groups = groups;
    cfg.num_groups = 3;
    cfg.sigalgs = sigalgs;
    cfg.num_sigalgs = 5;
    cfg.middlebox_compat = 1;
    cfg.max_cert_list = 100 * 1024;
    cfg.request_client_cert = (mode & 4) != 0;
    return cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clasp_config cfg;
    clasp_conn *conn;
    size_t chunk;

    init_once();
    if (size < 2) {
        return 0;
    }
    cfg = make_config(data[0]);
    conn = clasp_conn_new(&cfg);
    if (conn == NULL || !clasp_conn_start(conn)) {
        clasp_conn_free(conn);
        return 0;
    }
    drive(conn);
    chunk = (size_t)(data[1] % 64) + 1;
    data += 2;
    size -= 2;
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
        drive(conn);
    }
    clasp_conn_free(conn);
    return 0;
}

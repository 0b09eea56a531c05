#include "helpers/engine_test.h"

#include <string.h>

X509 *clasp_test_self_signed(EVP_PKEY *key, const char *cn)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, name);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_sign(x, key, EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256());
    X509_NAME_free(name);
    return x;
}

size_t clasp_test_move_bytes(clasp_conn *from, clasp_conn *to, size_t chunk)
{
    const uint8_t *out;
    uint8_t *in;
    size_t n = clasp_conn_out_pending(from, &out);
    size_t space = clasp_conn_in_space(to, &in);

    if (n > chunk) {
        n = chunk;
    }
    if (n > space) {
        n = space;
    }
    if (n > 0) {
        memcpy(in, out, n);
        clasp_conn_in_commit(to, n);
        clasp_conn_out_consume(from, n);
    }
    return n;
}

/* The crypto door's peer-certificate decoding and its small cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/crypto.h"

static EVP_PKEY *key;

/* A self-signed certificate with a given serial, as DER (caller frees). */
static unsigned char *make_der(long serial, int *len)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_get_subject_name(x);
    unsigned char *der = NULL;

    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"cache", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_sign(x, key, EVP_sha256());
    *len = i2d_X509(x, &der);
    X509_free(x);
    return der;
}

static void test_same_bytes_share_one_object(void **state)
{
    clasp_crypto *c = clasp_crypto_new(NULL, NULL);
    int len;
    unsigned char *der = make_der(1, &len);
    X509 *a = clasp_x509_from_der(c, der, (size_t)len);
    X509 *b = clasp_x509_from_der(c, der, (size_t)len);

    (void)state;
    assert_non_null(a);
    assert_ptr_equal(a, b);
    X509_free(a);
    X509_free(b);
    OPENSSL_free(der);
    clasp_crypto_free(c);
}

static void test_different_bytes_differ(void **state)
{
    clasp_crypto *c = clasp_crypto_new(NULL, NULL);
    int len1;
    int len2;
    unsigned char *d1 = make_der(1, &len1);
    unsigned char *d2 = make_der(2, &len2);
    X509 *a = clasp_x509_from_der(c, d1, (size_t)len1);
    X509 *b = clasp_x509_from_der(c, d2, (size_t)len2);

    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(b)), 2);
    X509_free(a);
    X509_free(b);
    OPENSSL_free(d1);
    OPENSSL_free(d2);
    clasp_crypto_free(c);
}

static void test_trailing_or_truncated_bytes_are_refused(void **state)
{
    clasp_crypto *c = clasp_crypto_new(NULL, NULL);
    int len;
    unsigned char *der = make_der(3, &len);
    unsigned char *longer = OPENSSL_malloc((size_t)len + 1);

    (void)state;
    memcpy(longer, der, (size_t)len);
    longer[len] = 0;
    assert_null(clasp_x509_from_der(c, longer, (size_t)len + 1));
    assert_null(clasp_x509_from_der(c, der, (size_t)len - 1));
    /* a refused prefix of a cached certificate is still refused */
    X509_free(clasp_x509_from_der(c, der, (size_t)len));
    assert_null(clasp_x509_from_der(c, der, (size_t)len - 1));
    OPENSSL_free(longer);
    OPENSSL_free(der);
    clasp_crypto_free(c);
}

static void test_more_certificates_than_slots(void **state)
{
    clasp_crypto *c = clasp_crypto_new(NULL, NULL);

    (void)state;
    for (long serial = 10; serial < 40; serial++) {
        int len;
        unsigned char *der = make_der(serial, &len);
        X509 *x = clasp_x509_from_der(c, der, (size_t)len);
        assert_non_null(x);
        assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(x)), serial);
        X509_free(x);
        OPENSSL_free(der);
    }
    clasp_crypto_free(c); /* LeakSanitizer checks the evicted ones */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes_share_one_object),
        cmocka_unit_test(test_different_bytes_differ),
        cmocka_unit_test(test_trailing_or_truncated_bytes_are_refused),
        cmocka_unit_test(test_more_certificates_than_slots),
    };
    int r;

    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    r = cmocka_run_group_tests(tests, NULL, NULL);
    EVP_PKEY_free(key);
    return r;
}

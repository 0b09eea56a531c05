/* Library initialisation and the SSL_METHODs. */
#include "api/err_strings.h"
#include "api/internal.h"

/* OPENSSL_init_ssl(3): libcrypto's initialisation (with its algorithms and
 * the configuration file, as OpenSSL's libssl asks for), then the
 * ERR_LIB_SSL reason strings unless OPENSSL_INIT_NO_LOAD_SSL_STRINGS. */
int OPENSSL_init_ssl(uint64_t opts, const OPENSSL_INIT_SETTINGS *settings)
{
    opts |= OPENSSL_INIT_ADD_ALL_CIPHERS | OPENSSL_INIT_ADD_ALL_DIGESTS;
    if ((opts & OPENSSL_INIT_NO_LOAD_CONFIG) == 0) {
        opts |= OPENSSL_INIT_LOAD_CONFIG;
    }
    if (!OPENSSL_init_crypto(opts & ~(uint64_t)(OPENSSL_INIT_LOAD_SSL_STRINGS
                                                | OPENSSL_INIT_NO_LOAD_SSL_STRINGS),
                             settings)) {
        return 0;
    }
    if ((opts & OPENSSL_INIT_NO_LOAD_SSL_STRINGS) == 0 && !clasp_err_load_strings()) {
        return 0;
    }
    return 1;
}

/* ---- methods -------------------------------------------------------------------- */

static const SSL_METHOD tls_method = {0, -1};
static const SSL_METHOD tls_server_method = {0, 1};
static const SSL_METHOD tls_client_method = {0, 0};
static const SSL_METHOD tls12_method = {TLS1_2_VERSION, -1};
static const SSL_METHOD tls12_server_method = {TLS1_2_VERSION, 1};
static const SSL_METHOD tls12_client_method = {TLS1_2_VERSION, 0};

const SSL_METHOD *TLS_method(void)
{
    return &tls_method;
}

const SSL_METHOD *TLS_server_method(void)
{
    return &tls_server_method;
}

const SSL_METHOD *TLS_client_method(void)
{
    return &tls_client_method;
}

const SSL_METHOD *TLSv1_2_method(void)
{
    return &tls12_method;
}

const SSL_METHOD *TLSv1_2_server_method(void)
{
    return &tls12_server_method;
}

const SSL_METHOD *TLSv1_2_client_method(void)
{
    return &tls12_client_method;
}

/* Clasp's own version string (exported beside the OpenSSL API; no public
 * header declares it yet). */
const char *clasp_version(void);

const char *clasp_version(void)
{
    return "Clasp 0.1.0"; /* project(clasp VERSION 0.1.0) */
}

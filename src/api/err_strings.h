/*
 * The ERR_LIB_SSL reason-string table (src/api/err_strings.c).
 */
#ifndef CLASP_API_ERR_STRINGS_H
#define CLASP_API_ERR_STRINGS_H

/*
 * Registers the text of every SSL_R_* reason (and "SSL routines" for the
 * library) with libcrypto's error-string table. Safe to call from any thread
 * and any number of times; the table is registered once. Returns 1 on
 * success, 0 if libcrypto could not register it.
 *
 * OPENSSL_init_ssl() calls this unless OPENSSL_INIT_NO_LOAD_SSL_STRINGS is
 * given; ERR_load_SSL_strings() is the deprecated public entry point.
 */
int clasp_err_load_strings(void);

#endif /* CLASP_API_ERR_STRINGS_H */

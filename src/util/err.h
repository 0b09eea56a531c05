/* Error helpers shared by every layer.  Errors go on libcrypto's error
 * queue as OpenSSL's libssl puts them: library ERR_LIB_SSL, reason an
 * SSL_R_* code (DESIGN.md principle 7, 12). */
#ifndef CLASP_UTIL_ERR_H
#define CLASP_UTIL_ERR_H

#include <openssl/err.h>

/* Pushes an ERR_LIB_SSL error with an SSL_R_* reason. */
#define CLASP_RAISE(reason) ERR_raise(ERR_LIB_SSL, (reason))

/* Internal functions return 1 on success and 0 on failure. */
#define CLASP_MUST_CHECK __attribute__((warn_unused_result))

#endif

/* Clasp's own additions to the OpenSSL API.  Not part of OpenSSL: each is
 * a macro over SSL_ctrl / SSL_CTX_ctrl with a command number far from
 * OpenSSL's, so a program can test for it with #ifdef, and the same binary
 * on OpenSSL's libssl gets 0 (unknown command) instead of a crash. */
#ifndef CLASP_OPENSSL_CLASP_H
#define CLASP_OPENSSL_CLASP_H

#include <openssl/ssl.h>

/* RFC 7627 §5.2/§5.3: refuse a TLS 1.2 peer that does not use the extended
 * master secret (handshake_failure) instead of falling back to the legacy
 * master secret.  TLS 1.3 is unaffected.  on: 1 to require, 0 (default) to
 * accept such peers.  Returns the previous setting. */
#define SSL_CTRL_CLASP_REQUIRE_EXTMS 0x434c0001
#define SSL_CTX_clasp_require_extms(ctx, on) \
    SSL_CTX_ctrl((ctx), SSL_CTRL_CLASP_REQUIRE_EXTMS, (on), NULL)
#define SSL_clasp_require_extms(s, on) SSL_ctrl((s), SSL_CTRL_CLASP_REQUIRE_EXTMS, (on), NULL)

#endif

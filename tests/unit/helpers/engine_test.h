/* Shared pieces of the engine-level unit tests (a client and a server
 * clasp_conn talking in memory). */
#ifndef CLASP_TEST_ENGINE_TEST_H
#define CLASP_TEST_ENGINE_TEST_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "engine.h"

/* A self-signed certificate for key with CN = cn, valid for an hour
 * around now (caller frees). */
X509 *clasp_test_self_signed(EVP_PKEY *key, const char *cn);

/* Moves at most chunk bytes of from's pending output into to's input;
 * returns how many moved. */
size_t clasp_test_move_bytes(clasp_conn *from, clasp_conn *to, size_t chunk);

#endif

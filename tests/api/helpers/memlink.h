/*
 * A client and a server SSL over memory BIOs, for the contract tests that drive the calls by
 * hand (test_contract_write.c, test_contract_errors.c). Each side reads `*_in` and writes
 * `*_out` through a probe filter (probe_bio.h) whose stats count its transport calls and
 * limit its writes. clasp_ml_move() carries everything written so far to the other side.
 */
#ifndef CLASP_TEST_MEMLINK_H
#define CLASP_TEST_MEMLINK_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "pki.h"
#include "probe_bio.h"

typedef struct {
    SSL_CTX *cctx, *sctx;
    SSL *c, *s;
    BIO *c_in, *c_out, *s_in, *s_out; /* the memory BIOs under the filters (owned by the SSLs) */
    clasp_probe_stats cio, sio;
} clasp_ml;

/*
 * Contexts pinned to `version` (contract.h), server key `key`, SSLs in connect / accept
 * state unless `no_role` (then TLS_method contexts). 1 on success.
 */
int clasp_ml_init(clasp_ml *l, int version, clasp_test_key key, int no_role);

/* Moves all pending bytes both ways; returns how many moved. */
size_t clasp_ml_move(clasp_ml *l);

/*
 * Handshakes both sides, then lets the client read what the server sent after its handshake
 * (TLS 1.3 tickets). Clears the error queue. 1 if both finished.
 */
int clasp_ml_handshake(clasp_ml *l);

void clasp_ml_free(clasp_ml *l);

#endif

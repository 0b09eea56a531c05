/*
 * bench.h — the benchmark's floor (tools/bench/floor.c), used by clasp-bench.c.
 *
 * The floor is the libcrypto work a full TLS 1.3 handshake cannot avoid, called
 * directly with every algorithm fetched once; it uses libcrypto only, so both
 * builds of the benchmark (Clasp and the system libssl) measure the same thing.
 */
#ifndef CLASP_BENCH_H
#define CLASP_BENCH_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* What the floor needs to know about a handshake row. */
struct floor_cfg {
    int p256;           /* key exchange on P-256 instead of X25519 */
    int rsa;            /* the server key is RSA (rsa_pss_rsae_sha256), else ECDSA P-256 */
    int verify;         /* the client runs X509_verify_cert() */
    const char *cipher; /* EVP name of the suite's AEAD */
    size_t key_len;     /* its key length */
    const char *host;   /* the name the chain check looks for */
    EVP_PKEY *key;      /* the server's private key */
    X509 *leaf, *ca;    /* its certificate and the trust anchor */
};

struct floor;

/* A floor ready to run (one handshake's work was run to check it); NULL on a
 * libcrypto failure. The caller frees it with clasp_floor_free(). */
struct floor *clasp_floor_new(const struct floor_cfg *cfg);
void clasp_floor_free(struct floor *fl);

/* One handshake's floor work, both sides; 1 on success. */
int clasp_floor_handshake(struct floor *fl);

/* The parts of clasp_floor_handshake(), each runnable on its own (after one
 * clasp_floor_handshake(), which leaves the parsed certificate for "chain"). */
struct floor_part {
    const char *name;
    int needs_verify; /* only part of the floor when the client verifies */
    int (*fn)(struct floor *fl);
};
extern const struct floor_part clasp_floor_parts[];
extern const size_t clasp_floor_num_parts;

#endif

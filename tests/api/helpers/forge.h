/*
 * A man in the middle for the contract tests' pumped transports (contract.h's tamper hook).
 *
 *  - clasp_forge_flip_after_ccs: flips one bit of the first record a side sends after its
 *    ChangeCipherSpec, i.e. its first protected handshake record (TLS 1.3: EncryptedExtensions
 *    or the client's Finished; TLS 1.2: Finished). The receiver's AEAD check fails:
 *    bad_record_mac.
 *  - clasp_forge_flip_app_data: flips one bit of the first application_data record sent
 *    after the handshake (`after` records of that direction are let through first).
 *  - clasp_forge_finished (TLS 1.3, TLS_AES_128_GCM_SHA256): decrypts the handshake records of
 *    one direction with the traffic secret the server's keylog callback revealed, changes one
 *    byte of the Finished message's verify_data and encrypts the record again, so the record
 *    layer accepts it and the Finished check itself must fail (RFC 9846 §4.5.3).
 *
 * The state lives in a clasp_forge the test owns; it is the tamper hook's argument.
 */
#ifndef CLASP_TEST_FORGE_H
#define CLASP_TEST_FORGE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

typedef struct {
    int target_c2s; /* the direction to tamper with: 1 client to server, 0 the other */
    int after;      /* flip_app_data: records of the direction to skip first */
    int seen_ccs;   /* the target sent its ChangeCipherSpec */
    int app_seen;   /* flip_app_data: application_data records seen */
    int done;       /* tampered (or gave up) */
    int forged;     /* a Finished was changed */
    /* clasp_forge_finished */
    unsigned char secret[64];
    size_t secret_len;
    uint64_t seq;            /* next record number under the handshake key */
    unsigned char hs[65536]; /* the direction's decrypted handshake bytes */
    size_t hs_len, next_msg;
} clasp_forge;

/* Starts a forge aimed at one direction. */
void clasp_forge_init(clasp_forge *f, int target_c2s);

/* Tamper hooks (contract.h clasp_ct_tamper_fn) with a clasp_forge as argument. */
void clasp_forge_flip_after_ccs(void *arg, int c2s, int index, unsigned char *rec, size_t len);
void clasp_forge_flip_app_data(void *arg, int c2s, int index, unsigned char *rec, size_t len);
void clasp_forge_finished(void *arg, int c2s, int index, unsigned char *rec, size_t len);

/*
 * Makes the server SSL reveal its handshake traffic secrets to `f` (keylog callback on the
 * SSL's context plus app data on the SSL). Call before the handshake.
 */
void clasp_forge_watch_server(clasp_forge *f, SSL *server);

#endif

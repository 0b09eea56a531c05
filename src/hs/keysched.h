/* The TLS 1.3 key schedule (RFC 9846 §7.1) and traffic key calculation
 * (§7.3).  Pure functions over the crypto door; no connection state. */
#ifndef CLASP_KEYSCHED_H
#define CLASP_KEYSCHED_H

#include "crypto/crypto.h"

typedef struct {
    clasp_hash_id hash;
    size_t hash_len;
    /* The current stage's secret: Early Secret, then Handshake Secret,
     * then Master Secret.  Wiped by clasp_ks_cleanup(). */
    uint8_t secret[CLASP_MAX_HASH_LEN];
} clasp_keysched;

/* Early Secret = HKDF-Extract(0, PSK or 0s).  psk may be NULL (full
 * handshake). */
int clasp_ks_init(clasp_keysched *ks, const clasp_crypto *c, clasp_hash_id h,
                  const uint8_t *psk, size_t psk_len);

/* binder_key = Derive-Secret(Early Secret, "res binder" or "ext binder", "") */
int clasp_ks_binder_key(const clasp_keysched *ks, const clasp_crypto *c, int external,
                        uint8_t *out);

/* Moves to the Handshake Secret with the (EC)DHE shared secret and derives
 * the two handshake traffic secrets from Transcript-Hash(ClientHello..
 * ServerHello) = th (hash_len bytes). */
int clasp_ks_handshake(clasp_keysched *ks, const clasp_crypto *c, const uint8_t *ecdhe,
                       size_t ecdhe_len, const uint8_t *th, uint8_t *client_hs_secret,
                       uint8_t *server_hs_secret);

/* Moves to the Master Secret and derives the application traffic secrets
 * and the exporter master secret from Transcript-Hash(ClientHello..server
 * Finished) = th. */
int clasp_ks_master(clasp_keysched *ks, const clasp_crypto *c, const uint8_t *th,
                    uint8_t *client_ap_secret, uint8_t *server_ap_secret,
                    uint8_t *exporter_secret);

/* resumption_master_secret from Transcript-Hash(ClientHello..client
 * Finished) = th. */
int clasp_ks_resumption(const clasp_keysched *ks, const clasp_crypto *c, const uint8_t *th,
                        uint8_t *out);

/* [sender]_write_key / _iv for a traffic secret (RFC 9846 §7.3). */
int clasp_ks_traffic_key(const clasp_crypto *c, clasp_hash_id h, clasp_aead_id a,
                         const uint8_t *secret, uint8_t *key, uint8_t iv[CLASP_AEAD_NONCE_LEN]);

/* Finished verify_data = HMAC(finished_key, th), finished_key from
 * base_key (RFC 9846 §4.5.3).  out gets hash_len bytes. */
int clasp_ks_finished(const clasp_crypto *c, clasp_hash_id h, const uint8_t *base_key,
                      const uint8_t *th, uint8_t *out);

/* application_traffic_secret_N+1 (RFC 9846 §7.2), in place. */
int clasp_ks_next_traffic_secret(const clasp_crypto *c, clasp_hash_id h, uint8_t *secret);

/* Exporter (RFC 9846 §7.5) from the exporter master secret. */
int clasp_ks_export(const clasp_crypto *c, clasp_hash_id h, const uint8_t *exporter_secret,
                    const char *label, size_t label_len, const uint8_t *context,
                    size_t context_len, uint8_t *out, size_t out_len);

void clasp_ks_cleanup(clasp_keysched *ks);

#endif

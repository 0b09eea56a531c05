/* TLS 1.2 (RFC 5246) in Clasp's modern subset: ECDHE (RFC 8422) with AEAD
 * suites (RFC 5289, RFC 7905), extended master secret (RFC 7627) and the
 * renegotiation indication (RFC 5746); resumption with RFC 5077 tickets
 * only (no session-id cache).  Internal to
 * src/hs. */
#ifndef CLASP_TLS12_H
#define CLASP_TLS12_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "engine.h"

#define CLASP_TLS12_MASTER_LEN 48      /* RFC 5246 §8.1 */
#define CLASP_TLS12_VERIFY_DATA_LEN 12 /* RFC 5246 §7.4.9 */
#define CLASP_TLS12_RANDOM_LEN 32

/* ---- the key schedule (src/hs/prf.c): pure functions over the crypto door -- */

/* PRF(secret, label, seed1 + seed2) (RFC 5246 §5) with hash h (the suite's
 * PRF hash).  seed2 may be NULL/0.  out gets out_len bytes. */
int clasp_prf12(const clasp_crypto *c, clasp_hash_id h, const uint8_t *secret, size_t secret_len,
                const char *label, const uint8_t *seed1, size_t seed1_len, const uint8_t *seed2,
                size_t seed2_len, uint8_t *out, size_t out_len);

/* master_secret (48 bytes) from the ECDHE premaster secret.  With ems
 * (RFC 7627 §4): PRF(pms, "extended master secret", session_hash), where
 * session_hash is hash_len bytes; without: PRF(pms, "master secret",
 * client_random + server_random) (RFC 5246 §8.1). */
int clasp_tls12_master_secret(const clasp_crypto *c, clasp_hash_id h, const uint8_t *pms,
                              size_t pms_len, int ems, const uint8_t *session_hash,
                              const uint8_t client_random[32], const uint8_t server_random[32],
                              uint8_t master[CLASP_TLS12_MASTER_LEN]);

/* The AEAD part of the key block (RFC 5246 §6.3; no MAC keys for AEAD
 * suites): write keys and the fixed IVs — 4 bytes for AES-GCM (RFC 5288
 * §3), 12 for ChaCha20-Poly1305 (RFC 7905 §2). */
typedef struct {
    uint8_t client_key[CLASP_MAX_KEY_LEN];
    uint8_t server_key[CLASP_MAX_KEY_LEN];
    uint8_t client_iv[CLASP_AEAD_NONCE_LEN];
    uint8_t server_iv[CLASP_AEAD_NONCE_LEN];
    size_t key_len;
    size_t iv_len;
} clasp_tls12_keys;

/* key_block = PRF(master, "key expansion", server_random + client_random),
 * cut into keys.  Returns 1 or 0; the caller wipes keys. */
int clasp_tls12_key_block(const clasp_crypto *c, clasp_hash_id h, clasp_aead_id a,
                          const uint8_t master[CLASP_TLS12_MASTER_LEN],
                          const uint8_t client_random[32], const uint8_t server_random[32],
                          clasp_tls12_keys *keys);

/* Finished.verify_data = PRF(master, "client finished" / "server finished",
 * handshake_hash)[0..11] (RFC 5246 §7.4.9); handshake_hash is hash_len
 * bytes. */
int clasp_tls12_verify_data(const clasp_crypto *c, clasp_hash_id h,
                            const uint8_t master[CLASP_TLS12_MASTER_LEN], int server,
                            const uint8_t *handshake_hash,
                            uint8_t out[CLASP_TLS12_VERIFY_DATA_LEN]);

/* The master secret's HMAC key, set up once per connection so that the
 * key block and both Finished values do not each absorb its pads again
 * (caller frees with clasp_hmac_key_free()), or NULL. */
clasp_hmac_key *clasp_tls12_master_mac(const clasp_crypto *c, clasp_hash_id h,
                                       const uint8_t master[CLASP_TLS12_MASTER_LEN]);
/* clasp_tls12_key_block() and clasp_tls12_verify_data() under that key;
 * hash_len is handshake_hash's length. */
int clasp_tls12_key_block_keyed(clasp_hmac_key *master, clasp_aead_id a,
                                const uint8_t client_random[32], const uint8_t server_random[32],
                                clasp_tls12_keys *keys);
int clasp_tls12_verify_data_keyed(clasp_hmac_key *master, int server,
                                  const uint8_t *handshake_hash, size_t hash_len,
                                  uint8_t out[CLASP_TLS12_VERIFY_DATA_LEN]);

/* RFC 5705 §4 exporter: PRF(master, label, client_random + server_random
 * [+ context_length(2) + context]).  Unlike TLS 1.3, no context and an
 * empty context differ.  Labels the handshake itself uses are refused
 * (returns 0), as are contexts over 2^16-1 bytes. */
int clasp_tls12_export(const clasp_crypto *c, clasp_hash_id h,
                       const uint8_t master[CLASP_TLS12_MASTER_LEN],
                       const uint8_t client_random[32], const uint8_t server_random[32],
                       const char *label, size_t label_len, const uint8_t *context,
                       size_t context_len, int use_context, uint8_t *out, size_t out_len);

/* Handshake-only TLS 1.2 state, inside clasp_hs (wiped and freed with it). */
#define CLASP_TLS12_MAX_LIST 32
typedef struct {
    uint8_t pms[64]; /* the ECDHE premaster secret (RFC 8422 §5.10) */
    size_t pms_len;
    clasp_tls12_keys keys; /* the key block, once derived */
    int ems;               /* extended master secret in use (RFC 7627) */
    int secure_reneg;      /* the peer indicated RFC 5746 support */
    int expect_ccs;        /* the state machine waits for the peer's CCS */
    /* Server: what the client offered, kept across the decision point. */
    uint16_t client_suites[CLASP_TLS12_MAX_LIST]; /* known TLS 1.2 suites, client order */
    size_t num_client_suites;
    uint16_t client_groups[CLASP_TLS12_MAX_LIST];
    size_t num_client_groups;
    int client_sent_groups;
    int client_sent_point_formats;
    uint16_t sig_scheme; /* server: the ServerKeyExchange's scheme */
    /* RFC 5077 session tickets. */
    int client_sent_ticket; /* server: session_ticket in the ClientHello */
    int ticket_expected;    /* client: the ServerHello promised a ticket */
    int send_ticket;        /* server: a NewSessionTicket follows (§3.3) */
    int resuming;           /* the abbreviated handshake (RFC 5246 §7.3) */
    uint16_t resume_suite;
    int resume_ems;
    uint8_t resume_master[CLASP_TLS12_MASTER_LEN];
    clasp_hmac_key *master_mac; /* the master secret's PRF key, once it is known */
} clasp_tls12_hs;

/* What a TLS 1.2 ticket seals (RFC 5077 §4 leaves the format to the server). */
typedef struct {
    uint16_t suite;
    uint64_t issued_ms;
    uint32_t lifetime; /* seconds */
    int ems;           /* RFC 7627 §5.3: resumes only with the same choice */
    uint8_t master[CLASP_TLS12_MASTER_LEN];
} clasp_tls12_ticket_state;

/* Resuming (RFC 5246 §7.3): the session's master secret (hs->t12's
 * resume_master, wiped there) becomes the connection's, the key block
 * comes from it and the new randoms.  Returns 1, or 0 after FATAL. */
int clasp_tls12_resume_keys(clasp_conn *conn);

#define CLASP_TLS12_TICKET_MAX 160 /* name, IV, sealed state, tag */

/* Seals st under key (AES-256-GCM, the key name as additional data) into
 * out (CLASP_TLS12_TICKET_MAX bytes).  Returns the ticket's length, or 0. */
size_t clasp_tls12_seal_ticket(const clasp_crypto *c, const clasp_ticket_key *key,
                               const clasp_tls12_ticket_state *st, uint8_t *out);
/* Opens a ticket sealed by clasp_tls12_seal_ticket under key.  Returns 1,
 * or 0 for anything else (another key, tampered, a TLS 1.3 ticket). */
int clasp_tls12_open_ticket(const clasp_crypto *c, const clasp_ticket_key *key,
                            const uint8_t *ticket, size_t ticket_len,
                            clasp_tls12_ticket_state *st);

#endif

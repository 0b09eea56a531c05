/* The TLS 1.2 key schedule (RFC 5246 §5, §6.3, §7.4.9, §8.1; RFC 7627 §4;
 * RFC 5705 §4): the PRF's labels and seeds over the crypto door's P_hash.
 * Pure functions: no connection state. */
#include <string.h>

#include <openssl/crypto.h>

#include "hs/tls12.h"
#include "wire/wire.h"

/* The most seed pieces any caller passes: label, two seeds and the
 * exporter's context length and context. */
#define MAX_PIECES 5

static int prf_pieces(const clasp_crypto *c, clasp_hash_id h, const uint8_t *secret,
                      size_t secret_len, const clasp_bytes *pieces, size_t num, uint8_t *out,
                      size_t out_len)
{
    return clasp_p_hash(c, h, secret, secret_len, pieces, num, out, out_len);
}

/* label + seed1 + seed2 as P_hash's seed pieces; returns how many. */
static size_t prf_seed(clasp_bytes pieces[3], const char *label, const uint8_t *seed1,
                       size_t seed1_len, const uint8_t *seed2, size_t seed2_len)
{
    pieces[0] = (clasp_bytes){(const uint8_t *)label, strlen(label)};
    pieces[1] = (clasp_bytes){seed1, seed1_len};
    pieces[2] = (clasp_bytes){seed2, seed2_len};
    return seed2_len > 0 ? 3 : 2;
}

int clasp_prf12(const clasp_crypto *c, clasp_hash_id h, const uint8_t *secret, size_t secret_len,
                const char *label, const uint8_t *seed1, size_t seed1_len, const uint8_t *seed2,
                size_t seed2_len, uint8_t *out, size_t out_len)
{
    clasp_bytes pieces[3];
    size_t num = prf_seed(pieces, label, seed1, seed1_len, seed2, seed2_len);

    return prf_pieces(c, h, secret, secret_len, pieces, num, out, out_len);
}

/* clasp_prf12() under a secret whose HMAC key is already set up. */
static int prf12_keyed(clasp_hmac_key *secret, const char *label, const uint8_t *seed1,
                       size_t seed1_len, const uint8_t *seed2, size_t seed2_len, uint8_t *out,
                       size_t out_len)
{
    clasp_bytes pieces[3];
    size_t num = prf_seed(pieces, label, seed1, seed1_len, seed2, seed2_len);

    return clasp_p_hash_keyed(secret, pieces, num, out, out_len);
}

clasp_hmac_key *clasp_tls12_master_mac(const clasp_crypto *c, clasp_hash_id h,
                                       const uint8_t master[CLASP_TLS12_MASTER_LEN])
{
    return clasp_hmac_key_new(c, h, master, CLASP_TLS12_MASTER_LEN);
}

int clasp_tls12_master_secret(const clasp_crypto *c, clasp_hash_id h, const uint8_t *pms,
                              size_t pms_len, int ems, const uint8_t *session_hash,
                              const uint8_t client_random[32], const uint8_t server_random[32],
                              uint8_t master[CLASP_TLS12_MASTER_LEN])
{
    if (ems) {
        return clasp_prf12(c, h, pms, pms_len, "extended master secret", session_hash,
                           clasp_hash_len(h), NULL, 0, master, CLASP_TLS12_MASTER_LEN);
    }
    return clasp_prf12(c, h, pms, pms_len, "master secret", client_random, 32, server_random, 32,
                       master, CLASP_TLS12_MASTER_LEN);
}

/* RFC 5288 §3: fixed_iv_length 4 for AES-GCM; RFC 7905 §2: 12 for
 * ChaCha20-Poly1305. */
static size_t fixed_iv_len(clasp_aead_id a)
{
    return a == CLASP_AEAD_CHACHA20_POLY1305 ? CLASP_AEAD_NONCE_LEN : 4;
}

int clasp_tls12_key_block_keyed(clasp_hmac_key *master, clasp_aead_id a,
                                const uint8_t client_random[32], const uint8_t server_random[32],
                                clasp_tls12_keys *keys)
{
    uint8_t block[2 * CLASP_MAX_KEY_LEN + 2 * CLASP_AEAD_NONCE_LEN];
    size_t key_len = clasp_aead_key_len(a);
    size_t iv_len = fixed_iv_len(a);
    int ok;

    memset(keys, 0, sizeof(*keys));
    if (key_len == 0) {
        return 0;
    }
    /* Note the order: server_random first (RFC 5246 §6.3). */
    ok = prf12_keyed(master, "key expansion", server_random, 32, client_random, 32, block,
                     2 * key_len + 2 * iv_len);
    if (ok) {
        memcpy(keys->client_key, block, key_len);
        memcpy(keys->server_key, block + key_len, key_len);
        memcpy(keys->client_iv, block + 2 * key_len, iv_len);
        memcpy(keys->server_iv, block + 2 * key_len + iv_len, iv_len);
        keys->key_len = key_len;
        keys->iv_len = iv_len;
    }
    OPENSSL_cleanse(block, sizeof(block));
    return ok;
}

int clasp_tls12_key_block(const clasp_crypto *c, clasp_hash_id h, clasp_aead_id a,
                          const uint8_t master[CLASP_TLS12_MASTER_LEN],
                          const uint8_t client_random[32], const uint8_t server_random[32],
                          clasp_tls12_keys *keys)
{
    clasp_hmac_key *mk = clasp_tls12_master_mac(c, h, master);
    int ok = mk != NULL && clasp_tls12_key_block_keyed(mk, a, client_random, server_random, keys);

    clasp_hmac_key_free(mk);
    return ok;
}

int clasp_tls12_verify_data_keyed(clasp_hmac_key *master, int server,
                                  const uint8_t *handshake_hash, size_t hash_len,
                                  uint8_t out[CLASP_TLS12_VERIFY_DATA_LEN])
{
    return prf12_keyed(master, server ? "server finished" : "client finished", handshake_hash,
                       hash_len, NULL, 0, out, CLASP_TLS12_VERIFY_DATA_LEN);
}

int clasp_tls12_verify_data(const clasp_crypto *c, clasp_hash_id h,
                            const uint8_t master[CLASP_TLS12_MASTER_LEN], int server,
                            const uint8_t *handshake_hash, uint8_t out[CLASP_TLS12_VERIFY_DATA_LEN])
{
    clasp_hmac_key *mk = clasp_tls12_master_mac(c, h, master);
    int ok = mk != NULL &&
             clasp_tls12_verify_data_keyed(mk, server, handshake_hash, clasp_hash_len(h), out);

    clasp_hmac_key_free(mk);
    return ok;
}

/* RFC 5705 §4: labels the TLS PRF already uses would let an exporter
 * reveal handshake secrets; OpenSSL refuses the same ones. */
static int label_reserved(const char *label, size_t len)
{
    static const char *const reserved[] = {"client finished", "server finished", "master secret",
                                           "key expansion", "extended master secret"};

    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        size_t n = strlen(reserved[i]);
        if (len >= n && memcmp(label, reserved[i], n) == 0) {
            return 1;
        }
    }
    return 0;
}

int clasp_tls12_export(const clasp_crypto *c, clasp_hash_id h,
                       const uint8_t master[CLASP_TLS12_MASTER_LEN],
                       const uint8_t client_random[32], const uint8_t server_random[32],
                       const char *label, size_t label_len, const uint8_t *context,
                       size_t context_len, int use_context, uint8_t *out, size_t out_len)
{
    uint8_t ctx_len[2];
    clasp_bytes pieces[MAX_PIECES] = {
        {(const uint8_t *)label, label_len},
        {client_random, 32},
        {server_random, 32},
        {ctx_len, 2},
        {context, context_len},
    };

    if (label_reserved(label, label_len) || context_len > 0xffff) {
        return 0;
    }
    clasp_put_u16(ctx_len, (uint16_t)context_len);
    return prf_pieces(c, h, master, CLASP_TLS12_MASTER_LEN, pieces, use_context ? 5 : 3, out,
                      out_len);
}

/* The crypto door (DESIGN.md principle 9): every libcrypto primitive the
 * protocol code uses goes through these functions.  Algorithms are fetched
 * once per clasp_crypto (one per SSL_CTX) and reused; no EVP_get_*byname()
 * or per-call fetch on the handshake or record path.
 *
 * Conventions: functions return 1 on success and 0 on failure (with an
 * ERR_LIB_SSL reason or libcrypto's own error on the queue is NOT required:
 * the caller raises the protocol-level FATAL).  Output buffers are caller
 * owned; every secret held inside these objects is wiped when freed. */
#ifndef CLASP_CRYPTO_H
#define CLASP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#define CLASP_MAX_HASH_LEN 48
#define CLASP_MAX_KEY_LEN 32
#define CLASP_AEAD_NONCE_LEN 12
#define CLASP_AEAD_TAG_LEN 16
#define CLASP_MAX_KEX_PUB_LEN 133 /* uncompressed P-521 point; P-384 is 97 */
#define CLASP_MAX_KEX_SECRET_LEN 66
#define CLASP_MAX_SIG_LEN 1024    /* RSA-8192 */

/* Algorithms fetched once; owned by an SSL_CTX, shared read-only by all
 * connections made from it (fetched objects are thread-safe to use). */
typedef struct clasp_crypto clasp_crypto;

/* Fetches every algorithm Clasp uses from libctx (NULL: the default
 * library context) with property query propq (may be NULL).  Returns NULL
 * when an essential algorithm (SHA-256, AES-GCM, HMAC, X25519…) is missing;
 * optional ones (ChaCha20-Poly1305) just become unavailable. */
clasp_crypto *clasp_crypto_new(OSSL_LIB_CTX *libctx, const char *propq);
void clasp_crypto_free(clasp_crypto *c);
OSSL_LIB_CTX *clasp_crypto_libctx(const clasp_crypto *c);
const char *clasp_crypto_propq(const clasp_crypto *c);

/* ---- hashes ----------------------------------------------------------------- */
typedef enum { CLASP_HASH_SHA256 = 0, CLASP_HASH_SHA384 = 1 } clasp_hash_id;

size_t clasp_hash_len(clasp_hash_id h);
int clasp_hash(const clasp_crypto *c, clasp_hash_id h, const uint8_t *data, size_t len,
               uint8_t *out);

/* An incremental hash (the transcript).  clasp_hash_ctx_peek() gives the
 * digest of everything so far without ending the hash. */
typedef struct clasp_hash_ctx clasp_hash_ctx;
clasp_hash_ctx *clasp_hash_ctx_new(const clasp_crypto *c, clasp_hash_id h);
int clasp_hash_ctx_update(clasp_hash_ctx *ctx, const uint8_t *data, size_t len);
int clasp_hash_ctx_peek(const clasp_hash_ctx *ctx, uint8_t *out);
/* The digest of everything so far followed by the num_parts pieces, without
 * changing the hash (a PSK binder's partial ClientHello, RFC 9846
 * §4.3.11.2).  The pieces are given as clasp_bytes (declared below). */
struct clasp_bytes_st;
int clasp_hash_ctx_peek_extra(const clasp_hash_ctx *ctx, const struct clasp_bytes_st *parts,
                              size_t num_parts, uint8_t *out);
void clasp_hash_ctx_free(clasp_hash_ctx *ctx);

/* ---- HMAC and HKDF (RFC 5869; HKDF-Expand-Label is RFC 9846 §7.1) ------------ */
int clasp_hmac(const clasp_crypto *c, clasp_hash_id h, const uint8_t *key, size_t key_len,
               const uint8_t *data, size_t len, uint8_t *out);
/* out gets hash_len bytes.  salt may be NULL/0 (then hash_len zeros). */
int clasp_hkdf_extract(const clasp_crypto *c, clasp_hash_id h, const uint8_t *salt,
                       size_t salt_len, const uint8_t *ikm, size_t ikm_len, uint8_t *out);
int clasp_hkdf_expand(const clasp_crypto *c, clasp_hash_id h, const uint8_t *prk,
                      const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);
/* HKDF-Expand-Label(secret, label, context, len): label without the
 * "tls13 " prefix, which this function adds. */
int clasp_hkdf_expand_label(const clasp_crypto *c, clasp_hash_id h, const uint8_t *secret,
                            const char *label, const uint8_t *context, size_t context_len,
                            uint8_t *out, size_t out_len);
/* The same with a label of label_len bytes that need not be NUL-terminated
 * (exporter labels, RFC 9846 §7.5, arrive as pointer and length).  At most
 * 249 bytes, so that "tls13 " + label fits label<7..255>. */
int clasp_hkdf_expand_label_bytes(const clasp_crypto *c, clasp_hash_id h, const uint8_t *secret,
                                  const uint8_t *label, size_t label_len,
                                  const uint8_t *context, size_t context_len, uint8_t *out,
                                  size_t out_len);

/* ---- the TLS 1.2 PRF (RFC 5246 §5) -------------------------------------------------- */
/* A byte string given as pointer and length (a piece of a PRF seed). */
typedef struct clasp_bytes_st {
    const uint8_t *ptr;
    size_t len;
} clasp_bytes;

/* P_hash(secret, seed) with HMAC and hash h, seed being the concatenation
 * of the num_seed pieces (the TLS 1.2 PRF is P_<hash>(secret, label ||
 * seed)).  out gets out_len bytes. */
int clasp_p_hash(const clasp_crypto *c, clasp_hash_id h, const uint8_t *secret,
                 size_t secret_len, const clasp_bytes *seed, size_t num_seed, uint8_t *out,
                 size_t out_len);
/* An HMAC key set up once (its pads absorbed) for many P_hash runs under
 * the same secret: a TLS 1.2 connection derives its key block and both
 * Finished values from the master secret.  Returns NULL on failure; the
 * caller frees it with clasp_hmac_key_free() (wiped). */
typedef struct clasp_hmac_key clasp_hmac_key;
clasp_hmac_key *clasp_hmac_key_new(const clasp_crypto *c, clasp_hash_id h, const uint8_t *key,
                                   size_t key_len);
void clasp_hmac_key_free(clasp_hmac_key *hk);
/* clasp_p_hash() under hk's secret. */
int clasp_p_hash_keyed(clasp_hmac_key *hk, const clasp_bytes *seed, size_t num_seed,
                       uint8_t *out, size_t out_len);

/* ---- AEAD (RFC 5116) ------------------------------------------------------------ */
typedef enum {
    CLASP_AEAD_AES_128_GCM = 0,
    CLASP_AEAD_AES_256_GCM = 1,
    CLASP_AEAD_CHACHA20_POLY1305 = 2,
} clasp_aead_id;

size_t clasp_aead_key_len(clasp_aead_id a);
/* 1 when this libcrypto offers the algorithm. */
int clasp_aead_available(const clasp_crypto *c, clasp_aead_id a);

/* A keyed AEAD for one direction; the key is set once, each record only
 * sets its nonce.  encrypt: 1 to seal, 0 to open. */
typedef struct clasp_aead clasp_aead;
clasp_aead *clasp_aead_new(const clasp_crypto *c, clasp_aead_id a, const uint8_t *key,
                           int encrypt);
/* Encrypts buf[0..len) in place and writes the 16-byte tag to tag. */
int clasp_aead_seal(clasp_aead *ctx, const uint8_t nonce[CLASP_AEAD_NONCE_LEN],
                    const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len,
                    uint8_t tag[CLASP_AEAD_TAG_LEN]);
/* Seals without a copy: encrypts src[0..src_len) into out, then the
 * tail_len bytes the caller already put at out + src_len in place (TLS
 * 1.3's content-type byte), as one AEAD message; the tag goes to tag.  src
 * and out must not overlap unless equal. */
int clasp_aead_seal_from(clasp_aead *ctx, const uint8_t nonce[CLASP_AEAD_NONCE_LEN],
                         const uint8_t *aad, size_t aad_len, const uint8_t *src, size_t src_len,
                         uint8_t *out, size_t tail_len, uint8_t tag[CLASP_AEAD_TAG_LEN]);
/* Decrypts buf[0..len) in place; returns 0 when the tag does not verify. */
int clasp_aead_open(clasp_aead *ctx, const uint8_t nonce[CLASP_AEAD_NONCE_LEN],
                    const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len,
                    const uint8_t tag[CLASP_AEAD_TAG_LEN]);
void clasp_aead_free(clasp_aead *ctx);

/* ---- key exchange (RFC 9846 §4.3.8, §7.4) ----------------------------------------- */
/* Groups by their IANA NamedGroup code points. */
#define CLASP_GROUP_SECP256R1 0x0017
#define CLASP_GROUP_SECP384R1 0x0018
#define CLASP_GROUP_SECP521R1 0x0019
#define CLASP_GROUP_X25519 0x001d

int clasp_kex_supported(uint16_t group);

/* An ephemeral private key.  clasp_kex_generate() fills pub (the
 * key_share's key_exchange encoding: 32 bytes for X25519, the uncompressed
 * point for NIST curves) and returns the key, or NULL. */
typedef struct clasp_kex clasp_kex;
clasp_kex *clasp_kex_generate(const clasp_crypto *c, uint16_t group, uint8_t *pub,
                              size_t *pub_len);
/* Derives the shared secret with the peer's encoded share.  Returns 0 when
 * the peer's share is malformed, not on the curve, or (X25519) gives the
 * all-zero secret (RFC 9846 §7.4.2): the caller sends illegal_parameter. */
int clasp_kex_derive(const clasp_kex *k, const uint8_t *peer, size_t peer_len, uint8_t *out,
                     size_t *out_len);
/* The ephemeral key as an EVP_PKEY (borrowed), for SSL_get_peer_tmp_key-style
 * getters. */
EVP_PKEY *clasp_kex_pkey(const clasp_kex *k);
/* Builds an EVP_PKEY from a peer's encoded share (caller frees), or NULL. */
EVP_PKEY *clasp_kex_peer_pkey(const clasp_crypto *c, uint16_t group, const uint8_t *pub,
                              size_t pub_len);
void clasp_kex_free(clasp_kex *k);

/* ---- signatures (RFC 9846 §4.3.3, §4.5.2) ------------------------------------------ */
/* Signature schemes by their IANA code points. */
#define CLASP_SIG_RSA_PKCS1_SHA256 0x0401
#define CLASP_SIG_RSA_PKCS1_SHA384 0x0501
#define CLASP_SIG_RSA_PKCS1_SHA512 0x0601
#define CLASP_SIG_ECDSA_SECP256R1_SHA256 0x0403
#define CLASP_SIG_ECDSA_SECP384R1_SHA384 0x0503
#define CLASP_SIG_ECDSA_SECP521R1_SHA512 0x0603
#define CLASP_SIG_RSA_PSS_RSAE_SHA256 0x0804
#define CLASP_SIG_RSA_PSS_RSAE_SHA384 0x0805
#define CLASP_SIG_RSA_PSS_RSAE_SHA512 0x0806
#define CLASP_SIG_ED25519 0x0807
#define CLASP_SIG_RSA_PSS_PSS_SHA256 0x0809
#define CLASP_SIG_RSA_PSS_PSS_SHA384 0x080a
#define CLASP_SIG_RSA_PSS_PSS_SHA512 0x080b

/* 1 when scheme can be made with / checked against key (type, curve and,
 * for RSA-PSS keys, the pss variant).  TLS 1.3 rules: ECDSA schemes bind the
 * curve; rsa_pkcs1_* is never used for CertificateVerify (the caller
 * enforces that, this only checks the key fits). */
int clasp_sig_scheme_fits_key(uint16_t scheme, const EVP_PKEY *key);
/* The same for TLS 1.2 (RFC 5246 §7.4.1.4.1, RFC 8422 §5.10): an ECDSA
 * scheme names only its hash, so any curve Clasp supports fits. */
int clasp_sig_scheme_fits_key_tls12(uint16_t scheme, const EVP_PKEY *key);
/* A certificate key's kind, for TLS 1.2's suite authentication (RFC 8422
 * §2: ECDHE_ECDSA takes EC and EdDSA keys; ECDHE_RSA takes RSA keys). */
typedef enum {
    CLASP_KEY_OTHER = 0,
    CLASP_KEY_RSA,     /* rsaEncryption */
    CLASP_KEY_RSA_PSS, /* id-RSASSA-PSS */
    CLASP_KEY_EC,
    CLASP_KEY_ED25519,
} clasp_key_kind;
clasp_key_kind clasp_sig_key_kind(const EVP_PKEY *key);
/* The NamedGroup of an EC key's curve (CLASP_GROUP_SECP256R1 …), or 0
 * for other keys and curves (RFC 8422 §5.3 binds it to supported_groups). */
uint16_t clasp_sig_key_group(const EVP_PKEY *key);
/* clasp_sig_scheme_fits_key() (tls12 = 0) or _tls12() (tls12 = 1) for a
 * key whose kind and group (clasp_sig_key_kind(), clasp_sig_key_group())
 * were worked out before: no libcrypto look-up, but for an RSASSA-PSS
 * key's parameters. */
int clasp_sig_scheme_fits_described(uint16_t scheme, clasp_key_kind kind, uint16_t group,
                                    const EVP_PKEY *key, int tls12);
/* Signs msg with key; sig gets at most CLASP_MAX_SIG_LEN bytes. */
int clasp_sig_sign(const clasp_crypto *c, EVP_PKEY *key, uint16_t scheme, const uint8_t *msg,
                   size_t msg_len, uint8_t *sig, size_t *sig_len);
/* Returns 1 only when sig is a valid signature of msg under key with scheme. */
int clasp_sig_verify(const clasp_crypto *c, EVP_PKEY *key, uint16_t scheme,
                     const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len);
/* TLS 1.2 variants: the key is checked with clasp_sig_scheme_fits_key_tls12(). */
int clasp_sig_sign_tls12(const clasp_crypto *c, EVP_PKEY *key, uint16_t scheme,
                         const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t *sig_len);
int clasp_sig_verify_tls12(const clasp_crypto *c, EVP_PKEY *key, uint16_t scheme,
                           const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                           size_t sig_len);
/* The NID of the scheme's hash (NID_undef for Ed25519) and of its
 * signature type (EVP_PKEY_RSA_PSS for pss/rsae-pss, EVP_PKEY_RSA,
 * EVP_PKEY_EC, EVP_PKEY_ED25519), for SSL_get_peer_signature_*_nid. */
int clasp_sig_scheme_hash_nid(uint16_t scheme);
int clasp_sig_scheme_type_nid(uint16_t scheme);

/* ---- certificates ------------------------------------------------------------- */
/* Decodes a peer's DER certificate (trailing bytes: invalid), or NULL.  The
 * caller owns the returned reference.  Recently seen certificates are
 * shared from a small cache in c, so the same server certificate is not
 * decoded again on every handshake. */
X509 *clasp_x509_from_der(const clasp_crypto *c, const uint8_t *der, size_t len);

/* ---- randomness ------------------------------------------------------------------- */
int clasp_rand_bytes(const clasp_crypto *c, uint8_t *out, size_t len);

#endif

/* The TLS 1.3 key schedule (RFC 9846 §7.1-§7.5) over the crypto door.
 * Each step computes into temporaries and only then moves the schedule
 * forward, so a failed call leaves it where it was; every temporary secret
 * is wiped before returning. */
#include "hs/keysched.h"

#include <string.h>

#include <openssl/crypto.h>

/* Hash("") for Derive-Secret(., ., "") (RFC 9846 §7.1): the transcript
 * hash of no messages.  Constants, checked against the hash itself by
 * tests/unit/test_keysched.c. */
static const uint8_t empty_sha256[32] = {
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};
static const uint8_t empty_sha384[48] = {
    0x38, 0xb0, 0x60, 0xa7, 0x51, 0xac, 0x96, 0x38, 0x4c, 0xd9, 0x32, 0x7e,
    0xb1, 0xb1, 0xe3, 0x6a, 0x21, 0xfd, 0xb7, 0x11, 0x14, 0xbe, 0x07, 0x43,
    0x4c, 0x0c, 0xc7, 0xbf, 0x63, 0xf6, 0xe1, 0xda, 0x27, 0x4e, 0xde, 0xbf,
    0xe7, 0x6f, 0x65, 0xfb, 0xd5, 0x1a, 0xd2, 0xf1, 0x48, 0x98, 0xb9, 0x5b,
};

static const uint8_t *empty_hash(clasp_hash_id h)
{
    return h == CLASP_HASH_SHA384 ? empty_sha384 : empty_sha256;
}

/* Derive-Secret(Secret, Label, Messages) with th = Transcript-Hash(Messages). */
static int derive_secret(const clasp_crypto *c, clasp_hash_id h, const uint8_t *secret,
                         const char *label, const uint8_t *th, uint8_t *out)
{
    size_t hash_len = clasp_hash_len(h);

    return clasp_hkdf_expand_label(c, h, secret, label, th, hash_len, out, hash_len);
}

/* The next stage's secret: HKDF-Extract(Derive-Secret(current, "derived",
 * ""), ikm), ikm being Hash.length zeros when absent (RFC 9846 §7.1). */
static int next_stage(const clasp_keysched *ks, const clasp_crypto *c, const uint8_t *ikm,
                      size_t ikm_len, uint8_t *out)
{
    static const uint8_t zeros[CLASP_MAX_HASH_LEN];
    uint8_t derived[CLASP_MAX_HASH_LEN];
    int ok;

    if (ikm == NULL) {
        ikm = zeros;
        ikm_len = ks->hash_len;
    }
    ok = derive_secret(c, ks->hash, ks->secret, "derived", empty_hash(ks->hash), derived) &&
         clasp_hkdf_extract(c, ks->hash, derived, ks->hash_len, ikm, ikm_len, out);
    OPENSSL_cleanse(derived, sizeof(derived));
    return ok;
}

int clasp_ks_init(clasp_keysched *ks, const clasp_crypto *c, clasp_hash_id h,
                  const uint8_t *psk, size_t psk_len)
{
    static const uint8_t zeros[CLASP_MAX_HASH_LEN];
    size_t hash_len = clasp_hash_len(h);

    memset(ks, 0, sizeof(*ks));
    if (hash_len == 0) {
        return 0;
    }
    ks->hash = h;
    ks->hash_len = hash_len;
    if (psk == NULL) {
        psk = zeros;
        psk_len = hash_len;
    }
    /* Early Secret = HKDF-Extract(salt = 0, IKM = PSK) */
    if (!clasp_hkdf_extract(c, h, NULL, 0, psk, psk_len, ks->secret)) {
        clasp_ks_cleanup(ks);
        return 0;
    }
    return 1;
}

int clasp_ks_binder_key(const clasp_keysched *ks, const clasp_crypto *c, int external,
                        uint8_t *out)
{
    /* RFC 9846 §7.1: distinct labels keep one kind of PSK from passing
     * for the other. */
    const char *label = external ? "ext binder" : "res binder";

    return derive_secret(c, ks->hash, ks->secret, label, empty_hash(ks->hash), out);
}

int clasp_ks_handshake(clasp_keysched *ks, const clasp_crypto *c, const uint8_t *ecdhe,
                       size_t ecdhe_len, const uint8_t *th, uint8_t *client_hs_secret,
                       uint8_t *server_hs_secret)
{
    uint8_t hs[CLASP_MAX_HASH_LEN];
    uint8_t cs[CLASP_MAX_HASH_LEN];
    uint8_t ss[CLASP_MAX_HASH_LEN];
    int ok;

    /* ecdhe == NULL: psk_ke mode, the 0-value (RFC 9846 §7.1). */
    ok = next_stage(ks, c, ecdhe, ecdhe_len, hs) &&
         derive_secret(c, ks->hash, hs, "c hs traffic", th, cs) &&
         derive_secret(c, ks->hash, hs, "s hs traffic", th, ss);
    if (ok) {
        memcpy(ks->secret, hs, ks->hash_len);
        memcpy(client_hs_secret, cs, ks->hash_len);
        memcpy(server_hs_secret, ss, ks->hash_len);
    }
    OPENSSL_cleanse(hs, sizeof(hs));
    OPENSSL_cleanse(cs, sizeof(cs));
    OPENSSL_cleanse(ss, sizeof(ss));
    return ok;
}

int clasp_ks_master(clasp_keysched *ks, const clasp_crypto *c, const uint8_t *th,
                    uint8_t *client_ap_secret, uint8_t *server_ap_secret,
                    uint8_t *exporter_secret)
{
    uint8_t ms[CLASP_MAX_HASH_LEN];
    uint8_t out[3][CLASP_MAX_HASH_LEN];
    int ok;

    ok = next_stage(ks, c, NULL, 0, ms) &&
         derive_secret(c, ks->hash, ms, "c ap traffic", th, out[0]) &&
         derive_secret(c, ks->hash, ms, "s ap traffic", th, out[1]) &&
         derive_secret(c, ks->hash, ms, "exp master", th, out[2]);
    if (ok) {
        memcpy(ks->secret, ms, ks->hash_len);
        memcpy(client_ap_secret, out[0], ks->hash_len);
        memcpy(server_ap_secret, out[1], ks->hash_len);
        memcpy(exporter_secret, out[2], ks->hash_len);
    }
    OPENSSL_cleanse(ms, sizeof(ms));
    OPENSSL_cleanse(out, sizeof(out));
    return ok;
}

int clasp_ks_resumption(const clasp_keysched *ks, const clasp_crypto *c, const uint8_t *th,
                        uint8_t *out)
{
    return derive_secret(c, ks->hash, ks->secret, "res master", th, out);
}

int clasp_ks_traffic_key(const clasp_crypto *c, clasp_hash_id h, clasp_aead_id a,
                         const uint8_t *secret, uint8_t *key, uint8_t iv[CLASP_AEAD_NONCE_LEN])
{
    size_t key_len = clasp_aead_key_len(a);

    /* RFC 9846 §7.3 */
    if (key_len == 0 ||
        !clasp_hkdf_expand_label(c, h, secret, "key", NULL, 0, key, key_len) ||
        !clasp_hkdf_expand_label(c, h, secret, "iv", NULL, 0, iv, CLASP_AEAD_NONCE_LEN)) {
        if (key_len > 0) {
            OPENSSL_cleanse(key, key_len);
        }
        OPENSSL_cleanse(iv, CLASP_AEAD_NONCE_LEN);
        return 0;
    }
    return 1;
}

int clasp_ks_finished(const clasp_crypto *c, clasp_hash_id h, const uint8_t *base_key,
                      const uint8_t *th, uint8_t *out)
{
    size_t hash_len = clasp_hash_len(h);
    uint8_t finished_key[CLASP_MAX_HASH_LEN];
    int ok;

    /* RFC 9846 §4.5.3: finished_key = HKDF-Expand-Label(BaseKey, "finished",
     * "", Hash.length); verify_data = HMAC(finished_key, Transcript-Hash). */
    ok = hash_len != 0 &&
         clasp_hkdf_expand_label(c, h, base_key, "finished", NULL, 0, finished_key, hash_len) &&
         clasp_hmac(c, h, finished_key, hash_len, th, hash_len, out);
    OPENSSL_cleanse(finished_key, sizeof(finished_key));
    return ok;
}

int clasp_ks_next_traffic_secret(const clasp_crypto *c, clasp_hash_id h, uint8_t *secret)
{
    size_t hash_len = clasp_hash_len(h);
    uint8_t next[CLASP_MAX_HASH_LEN];
    int ok;

    /* RFC 9846 §7.2; the old secret is overwritten, as the RFC advises. */
    ok = hash_len != 0 &&
         clasp_hkdf_expand_label(c, h, secret, "traffic upd", NULL, 0, next, hash_len);
    if (ok) {
        memcpy(secret, next, hash_len);
    }
    OPENSSL_cleanse(next, sizeof(next));
    return ok;
}

int clasp_ks_export(const clasp_crypto *c, clasp_hash_id h, const uint8_t *exporter_secret,
                    const char *label, size_t label_len, const uint8_t *context,
                    size_t context_len, uint8_t *out, size_t out_len)
{
    size_t hash_len = clasp_hash_len(h);
    uint8_t secret[CLASP_MAX_HASH_LEN];
    uint8_t context_hash[CLASP_MAX_HASH_LEN];
    int ok;

    /* RFC 9846 §7.5: HKDF-Expand-Label(Derive-Secret(Secret, label, ""),
     * "exporter", Hash(context_value), key_length); no context hashes the
     * same as an empty one. */
    ok = hash_len != 0 &&
         clasp_hkdf_expand_label_bytes(c, h, exporter_secret, (const uint8_t *)label, label_len,
                                       empty_hash(h), hash_len, secret, hash_len) &&
         clasp_hash(c, h, context, context_len, context_hash) &&
         clasp_hkdf_expand_label(c, h, secret, "exporter", context_hash, hash_len, out,
                                 out_len);
    OPENSSL_cleanse(secret, sizeof(secret));
    return ok;
}

void clasp_ks_cleanup(clasp_keysched *ks)
{
    OPENSSL_cleanse(ks, sizeof(*ks));
}

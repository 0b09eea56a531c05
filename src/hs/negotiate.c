/* Negotiation tables and pure choice functions (DESIGN.md principle 11). */
#include "hs/conn.h"

static const clasp_suite_info suites13[] = {
    {0x1301, CLASP_HASH_SHA256, CLASP_AEAD_AES_128_GCM},       /* TLS_AES_128_GCM_SHA256 */
    {0x1302, CLASP_HASH_SHA384, CLASP_AEAD_AES_256_GCM},       /* TLS_AES_256_GCM_SHA384 */
    {0x1303, CLASP_HASH_SHA256, CLASP_AEAD_CHACHA20_POLY1305}, /* TLS_CHACHA20_POLY1305_SHA256 */
};

const clasp_suite_info *clasp_suite13(uint16_t id)
{
    for (size_t i = 0; i < sizeof(suites13) / sizeof(suites13[0]); i++) {
        if (suites13[i].id == id) {
            return &suites13[i];
        }
    }
    return NULL;
}

int clasp_list_has(const uint16_t *list, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i] == v) {
            return 1;
        }
    }
    return 0;
}

int clasp_sigalg_ok_for_tls13(uint16_t scheme)
{
    switch (scheme) {
    case CLASP_SIG_ECDSA_SECP256R1_SHA256:
    case CLASP_SIG_ECDSA_SECP384R1_SHA384:
    case CLASP_SIG_ECDSA_SECP521R1_SHA512:
    case CLASP_SIG_RSA_PSS_RSAE_SHA256:
    case CLASP_SIG_RSA_PSS_RSAE_SHA384:
    case CLASP_SIG_RSA_PSS_RSAE_SHA512:
    case CLASP_SIG_RSA_PSS_PSS_SHA256:
    case CLASP_SIG_RSA_PSS_PSS_SHA384:
    case CLASP_SIG_RSA_PSS_PSS_SHA512:
    case CLASP_SIG_ED25519:
        return 1;
    default:
        /* RFC 9846 §4.2.3: RSASSA-PKCS1-v1_5 and SHA-1 are not for
         * CertificateVerify in TLS 1.3. */
        return 0;
    }
}

uint16_t clasp_pick_sigalg(const clasp_conn *conn, EVP_PKEY *key, const uint16_t *peer,
                           size_t num_peer)
{
    /* Our preference order, limited to what the peer offered. */
    for (size_t i = 0; i < conn->cfg.num_sigalgs; i++) {
        uint16_t s = conn->cfg.sigalgs[i];
        if (clasp_sigalg_ok_for_tls13(s) && clasp_list_has(peer, num_peer, s) &&
            clasp_sig_scheme_fits_key(s, key)) {
            return s;
        }
    }
    return 0;
}

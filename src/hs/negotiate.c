/* Negotiation tables and pure choice functions (DESIGN.md principle 11). */
#include <string.h>

#include "ext/ext.h"
#include "hs/conn.h"

static const clasp_suite_info suites13[] = {
    {0x1301, CLASP_HASH_SHA256, CLASP_AEAD_AES_128_GCM, CLASP_AUTH_ANY},
    {0x1302, CLASP_HASH_SHA384, CLASP_AEAD_AES_256_GCM, CLASP_AUTH_ANY},
    {0x1303, CLASP_HASH_SHA256, CLASP_AEAD_CHACHA20_POLY1305, CLASP_AUTH_ANY},
};

/* TLS 1.2: ECDHE with AEAD only (RFC 5289 §3, RFC 7905 §2); the PRF hash
 * is the suite's (SHA-256 unless the name says SHA384). */
static const clasp_suite_info suites12[] = {
    {0xc02b, CLASP_HASH_SHA256, CLASP_AEAD_AES_128_GCM, CLASP_AUTH_ECDSA},
    {0xc02c, CLASP_HASH_SHA384, CLASP_AEAD_AES_256_GCM, CLASP_AUTH_ECDSA},
    {0xc02f, CLASP_HASH_SHA256, CLASP_AEAD_AES_128_GCM, CLASP_AUTH_RSA},
    {0xc030, CLASP_HASH_SHA384, CLASP_AEAD_AES_256_GCM, CLASP_AUTH_RSA},
    {0xcca8, CLASP_HASH_SHA256, CLASP_AEAD_CHACHA20_POLY1305, CLASP_AUTH_RSA},
    {0xcca9, CLASP_HASH_SHA256, CLASP_AEAD_CHACHA20_POLY1305, CLASP_AUTH_ECDSA},
};

static const clasp_suite_info *find_suite(const clasp_suite_info *table, size_t n, uint16_t id)
{
    for (size_t i = 0; i < n; i++) {
        if (table[i].id == id) {
            return &table[i];
        }
    }
    return NULL;
}

const clasp_suite_info *clasp_suite13(uint16_t id)
{
    return find_suite(suites13, sizeof(suites13) / sizeof(suites13[0]), id);
}

const clasp_suite_info *clasp_suite12(uint16_t id)
{
    return find_suite(suites12, sizeof(suites12) / sizeof(suites12[0]), id);
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
        /* RFC 9846 §4.3.3: RSASSA-PKCS1-v1_5 and SHA-1 are not for
         * CertificateVerify in TLS 1.3. */
        return 0;
    }
}

uint16_t clasp_pick_sigalg(const clasp_conn *conn, const clasp_identity *id,
                           const uint16_t *peer, size_t num_peer)
{
    /* Our preference order, limited to what the peer offered. */
    for (size_t i = 0; i < conn->cfg.num_sigalgs; i++) {
        uint16_t s = conn->cfg.sigalgs[i];
        if (clasp_sigalg_ok_for_tls13(s) && clasp_list_has(peer, num_peer, s) &&
            clasp_sig_scheme_fits_described(s, id->kind, id->group, id->key, 0)) {
            return s;
        }
    }
    return 0;
}

int clasp_read_selected_alpn(clasp_conn *conn, const clasp_exts *exts)
{
    clasp_reader r = exts->body[CLASP_X_ALPN];
    clasp_reader list;
    clasp_reader name;
    clasp_reader ours;
    clasp_reader proto;

    if (!exts->present[CLASP_X_ALPN]) {
        return 1;
    }
    if (!clasp_rd_u16_prefixed(&r, &list) || !clasp_rd_done(&r) ||
        !clasp_rd_u8_prefixed(&list, &name) || !clasp_rd_done(&list) || name.len == 0) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    }
    clasp_rd_init(&ours, conn->cfg.alpn, conn->cfg.alpn_len);
    while (clasp_rd_u8_prefixed(&ours, &proto)) {
        if (proto.len == name.len && memcmp(proto.ptr, name.ptr, name.len) == 0) {
            conn->alpn_len = name.len;
            memcpy(conn->alpn, name.ptr, name.len);
            return 1;
        }
    }
    return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_EXTENSION);
}

clasp_identity clasp_identity_make(X509 *leaf, STACK_OF(X509) *chain, EVP_PKEY *key)
{
    clasp_identity id = {leaf, chain, key, clasp_sig_key_kind(key), clasp_sig_key_group(key),
                         NULL, 0};

    return id;
}

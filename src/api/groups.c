/* Named groups and signature schemes: OpenSSL's spellings, their code
 * points (DESIGN.md principle 11: tables), the defaults, and the list
 * parsers behind SSL_CTX_set1_groups_list / SSL_CTX_set1_sigalgs_list.
 *
 * Names OpenSSL knows but Clasp cannot negotiate (x448, ffdhe*, ed448,
 * SHA-1 / SHA-224 schemes, DSA) are skipped: the list still means "these,
 * in this order" for what Clasp offers.  A list left empty that way, an
 * unknown name or a duplicate fails, as in OpenSSL. */
#include <string.h>

#include <openssl/objects.h>

#include "api/internal.h"

/* ---- groups ---------------------------------------------------------------------- */

static const struct {
    const char *name;
    uint16_t id; /* 0: known to OpenSSL, not offered by Clasp */
    int nid;
} group_table[] = {
    {"x25519", CLASP_GROUP_X25519, NID_X25519},
    {"X25519", CLASP_GROUP_X25519, NID_X25519},
    {"secp256r1", CLASP_GROUP_SECP256R1, NID_X9_62_prime256v1},
    {"prime256v1", CLASP_GROUP_SECP256R1, NID_X9_62_prime256v1},
    {"P-256", CLASP_GROUP_SECP256R1, NID_X9_62_prime256v1},
    {"secp384r1", CLASP_GROUP_SECP384R1, NID_secp384r1},
    {"P-384", CLASP_GROUP_SECP384R1, NID_secp384r1},
    {"secp521r1", CLASP_GROUP_SECP521R1, NID_secp521r1},
    {"P-521", CLASP_GROUP_SECP521R1, NID_secp521r1},
    {"x448", 0, NID_X448},
    {"X448", 0, NID_X448},
    {"ffdhe2048", 0, NID_ffdhe2048},
    {"ffdhe3072", 0, NID_ffdhe3072},
    {"ffdhe4096", 0, NID_ffdhe4096},
    {"ffdhe6144", 0, NID_ffdhe6144},
    {"ffdhe8192", 0, NID_ffdhe8192},
};

#define NUM_GROUP_NAMES (sizeof(group_table) / sizeof(group_table[0]))

/* OpenSSL 3.0's default order, restricted to what Clasp implements:
 * x25519, secp256r1, (x448,) secp521r1, secp384r1. */
int clasp_groups_default(uint16_t *out, size_t *num)
{
    static const uint16_t def[] = {CLASP_GROUP_X25519, CLASP_GROUP_SECP256R1,
                                   CLASP_GROUP_SECP521R1, CLASP_GROUP_SECP384R1};

    memcpy(out, def, sizeof(def));
    *num = sizeof(def) / sizeof(def[0]);
    return 1;
}

int clasp_group_nid(uint16_t id)
{
    for (size_t i = 0; i < NUM_GROUP_NAMES; i++) {
        if (group_table[i].id == id && id != 0) {
            return group_table[i].nid;
        }
    }
    return NID_undef;
}

/* Appends id unless it is there already; 0 on a duplicate (OpenSSL
 * refuses lists with duplicates, silently). */
static int push_unique(uint16_t *out, size_t *num, size_t max, uint16_t id)
{
    for (size_t i = 0; i < *num; i++) {
        if (out[i] == id) {
            return 0;
        }
    }
    if (*num < max) {
        out[(*num)++] = id;
    }
    return 1;
}

/* Parses "X25519:P-256:…" into out.  Returns 1, or 0 with an error. */
int clasp_parse_groups(const char *str, uint16_t *out, size_t *num)
{
    uint16_t ids[CLASP_MAX_GROUPS];
    size_t n = 0, skipped = 0;

    while (str != NULL && *str != '\0') {
        size_t len = strcspn(str, ":");
        size_t i;

        for (i = 0; i < NUM_GROUP_NAMES; i++) {
            if (strlen(group_table[i].name) == len && strncmp(group_table[i].name, str, len) == 0) {
                break;
            }
        }
        if (i == NUM_GROUP_NAMES) {
            ERR_raise_data(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT,
                           "group '%.*s' cannot be set", (int)len, str);
            return 0;
        }
        if (group_table[i].id == 0) {
            skipped++;
        } else if (!push_unique(ids, &n, CLASP_MAX_GROUPS, group_table[i].id)) {
            return 0;
        }
        str += len;
        if (*str == ':') {
            str++;
        }
    }
    if (n == 0) {
        CLASP_RAISE(skipped > 0 ? SSL_R_UNSUPPORTED_ELLIPTIC_CURVE : ERR_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    memcpy(out, ids, n * sizeof(ids[0]));
    *num = n;
    return 1;
}

/* SSL_CTX_set1_groups(): NIDs. */
int clasp_set_groups_nids(const int *nids, size_t count, uint16_t *out, size_t *num)
{
    uint16_t ids[CLASP_MAX_GROUPS];
    size_t n = 0;

    for (size_t k = 0; k < count; k++) {
        size_t i;

        for (i = 0; i < NUM_GROUP_NAMES && group_table[i].nid != nids[k]; i++) {
        }
        if (i == NUM_GROUP_NAMES) {
            CLASP_RAISE(SSL_R_UNSUPPORTED_ELLIPTIC_CURVE);
            return 0;
        }
        if (group_table[i].id != 0 && !push_unique(ids, &n, CLASP_MAX_GROUPS, group_table[i].id)) {
            return 0;
        }
    }
    if (n == 0) {
        CLASP_RAISE(SSL_R_UNSUPPORTED_ELLIPTIC_CURVE);
        return 0;
    }
    memcpy(out, ids, n * sizeof(ids[0]));
    *num = n;
    return 1;
}

/* ---- signature schemes ------------------------------------------------------------- */

/* In OpenSSL's sigalg_lookup_tbl order: "RSA-PSS+SHA256" finds the rsae
 * scheme first, as there. */
static const struct {
    const char *name;
    uint16_t code;
    int sig;  /* EVP_PKEY_* type */
    int hash; /* NID of the hash, NID_undef for EdDSA */
    int ok;   /* offered by Clasp */
} sigalg_table[] = {
    {"ecdsa_secp256r1_sha256", 0x0403, EVP_PKEY_EC, NID_sha256, 1},
    {"ecdsa_secp384r1_sha384", 0x0503, EVP_PKEY_EC, NID_sha384, 1},
    {"ecdsa_secp521r1_sha512", 0x0603, EVP_PKEY_EC, NID_sha512, 1},
    {"ed25519", 0x0807, EVP_PKEY_ED25519, NID_undef, 1},
    {"ed448", 0x0808, EVP_PKEY_ED448, NID_undef, 0},
    {"ecdsa_sha224", 0x0303, EVP_PKEY_EC, NID_sha224, 0},
    {"ecdsa_sha1", 0x0203, EVP_PKEY_EC, NID_sha1, 0},
    {"rsa_pss_rsae_sha256", 0x0804, EVP_PKEY_RSA_PSS, NID_sha256, 1},
    {"rsa_pss_rsae_sha384", 0x0805, EVP_PKEY_RSA_PSS, NID_sha384, 1},
    {"rsa_pss_rsae_sha512", 0x0806, EVP_PKEY_RSA_PSS, NID_sha512, 1},
    {"rsa_pss_pss_sha256", 0x0809, EVP_PKEY_RSA_PSS, NID_sha256, 1},
    {"rsa_pss_pss_sha384", 0x080a, EVP_PKEY_RSA_PSS, NID_sha384, 1},
    {"rsa_pss_pss_sha512", 0x080b, EVP_PKEY_RSA_PSS, NID_sha512, 1},
    {"rsa_pkcs1_sha256", 0x0401, EVP_PKEY_RSA, NID_sha256, 1},
    {"rsa_pkcs1_sha384", 0x0501, EVP_PKEY_RSA, NID_sha384, 1},
    {"rsa_pkcs1_sha512", 0x0601, EVP_PKEY_RSA, NID_sha512, 1},
    {"rsa_pkcs1_sha224", 0x0301, EVP_PKEY_RSA, NID_sha224, 0},
    {"rsa_pkcs1_sha1", 0x0201, EVP_PKEY_RSA, NID_sha1, 0},
    {"dsa_sha256", 0x0402, EVP_PKEY_DSA, NID_sha256, 0},
    {"dsa_sha384", 0x0502, EVP_PKEY_DSA, NID_sha384, 0},
    {"dsa_sha512", 0x0602, EVP_PKEY_DSA, NID_sha512, 0},
    {"dsa_sha224", 0x0302, EVP_PKEY_DSA, NID_sha224, 0},
    {"dsa_sha1", 0x0202, EVP_PKEY_DSA, NID_sha1, 0},
};

#define NUM_SIGALGS (sizeof(sigalg_table) / sizeof(sigalg_table[0]))

/* OpenSSL 3.0's tls12_sigalgs order, restricted to what Clasp offers. */
int clasp_sigalgs_default(uint16_t *out, size_t *num)
{
    static const uint16_t def[] = {0x0403, 0x0503, 0x0603, 0x0807, 0x0809, 0x080a, 0x080b,
                                   0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601};

    memcpy(out, def, sizeof(def));
    *num = sizeof(def) / sizeof(def[0]);
    return 1;
}

/* The scheme's signature type (EVP_PKEY_*) and hash NID, for
 * SSL_get_peer_signature_type_nid() and SSL_get_peer_signature_nid(). */
int clasp_sigalg_nids(uint16_t code, int *type_nid, int *hash_nid)
{
    for (size_t i = 0; i < NUM_SIGALGS; i++) {
        if (sigalg_table[i].code == code) {
            *type_nid = sigalg_table[i].sig;
            *hash_nid = sigalg_table[i].hash;
            return 1;
        }
    }
    return 0;
}

/* "RSA", "RSA-PSS"/"PSS", "ECDSA", "DSA" name a signature type; anything
 * else is looked up as a hash (OpenSSL's get_sigorhash()). */
static void sig_or_hash(const char *s, int *sig, int *hash)
{
    if (strcmp(s, "RSA") == 0) {
        *sig = EVP_PKEY_RSA;
    } else if (strcmp(s, "RSA-PSS") == 0 || strcmp(s, "PSS") == 0) {
        *sig = EVP_PKEY_RSA_PSS;
    } else if (strcmp(s, "DSA") == 0) {
        *sig = EVP_PKEY_DSA;
    } else if (strcmp(s, "ECDSA") == 0) {
        *sig = EVP_PKEY_EC;
    } else {
        *hash = OBJ_sn2nid(s);
        if (*hash == NID_undef) {
            *hash = OBJ_ln2nid(s);
        }
    }
}

/* The table entry a list word names ("rsa_pss_rsae_sha256" or
 * "RSA-PSS+SHA256"), or -1. */
static int find_sigalg(const char *word)
{
    char tmp[64];
    char *plus;
    int sig = NID_undef, hash = NID_undef;

    if (strlen(word) >= sizeof(tmp)) {
        return -1;
    }
    strcpy(tmp, word);
    plus = strchr(tmp, '+');
    if (plus == NULL) {
        for (size_t i = 0; i < NUM_SIGALGS; i++) {
            if (strcmp(sigalg_table[i].name, tmp) == 0) {
                return (int)i;
            }
        }
        return -1;
    }
    *plus++ = '\0';
    sig_or_hash(tmp, &sig, &hash);
    sig_or_hash(plus, &sig, &hash);
    for (size_t i = 0; i < NUM_SIGALGS && sig != NID_undef && hash != NID_undef; i++) {
        if (sigalg_table[i].sig == sig && sigalg_table[i].hash == hash) {
            return (int)i;
        }
    }
    return -1;
}

int clasp_parse_sigalgs(const char *str, uint16_t *out, size_t *num)
{
    uint16_t codes[CLASP_MAX_SIGALGS];
    size_t n = 0, skipped = 0;

    while (str != NULL && *str != '\0') {
        size_t len = strcspn(str, ":");
        char word[64];
        int i;

        if (len == 0 || len >= sizeof(word)) {
            CLASP_RAISE(ERR_R_PASSED_INVALID_ARGUMENT);
            return 0;
        }
        memcpy(word, str, len);
        word[len] = '\0';
        i = find_sigalg(word);
        if (i < 0) {
            ERR_raise_data(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT,
                           "signature algorithm '%s' cannot be set", word);
            return 0;
        }
        if (!sigalg_table[i].ok) {
            skipped++;
        } else if (!push_unique(codes, &n, CLASP_MAX_SIGALGS, sigalg_table[i].code)) {
            return 0;
        }
        str += len;
        if (*str == ':') {
            str++;
        }
    }
    if (n == 0) {
        CLASP_RAISE(skipped > 0 ? SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM
                                : ERR_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    memcpy(out, codes, n * sizeof(codes[0]));
    *num = n;
    return 1;
}

/* SSL_CTX_set1_sigalgs(): pairs of (hash NID, signature type NID). */
int clasp_set_sigalgs_nids(const int *pairs, size_t count, uint16_t *out, size_t *num)
{
    uint16_t codes[CLASP_MAX_SIGALGS];
    size_t n = 0;

    if (count % 2 != 0) {
        return 0;
    }
    for (size_t k = 0; k < count; k += 2) {
        size_t i;

        for (i = 0; i < NUM_SIGALGS; i++) {
            if (sigalg_table[i].hash == pairs[k] && sigalg_table[i].sig == pairs[k + 1]) {
                break;
            }
        }
        if (i == NUM_SIGALGS) {
            CLASP_RAISE(ERR_R_PASSED_INVALID_ARGUMENT);
            return 0;
        }
        if (sigalg_table[i].ok && !push_unique(codes, &n, CLASP_MAX_SIGALGS, sigalg_table[i].code)) {
            return 0;
        }
    }
    if (n == 0) {
        CLASP_RAISE(SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM);
        return 0;
    }
    memcpy(out, codes, n * sizeof(codes[0]));
    *num = n;
    return 1;
}

/* SSL_CIPHER objects, the TLS 1.3 ciphersuites string and the TLS 1.2
 * cipher string (DESIGN.md principle 11: a static table).
 *
 * The TLS 1.3 suites are the three GCM and ChaCha20-Poly1305 suites of RFC 9846
 * §B.4 (not the CCM ones); the TLS 1.2
 * entries are the ECDHE-AEAD suites, kept in OpenSSL's default order so that
 * "ALL" / "DEFAULT" list them as `openssl ciphers` does. */
#include <string.h>

#include <openssl/objects.h>

#include "api/internal.h"

#define TLS13_FLAGS CLASP_C_TLS13
#define E_ECDSA (CLASP_C_ECDHE | CLASP_C_AECDSA)
#define E_RSA (CLASP_C_ECDHE | CLASP_C_ARSA)

/* Index 0..2: TLS 1.3 in OpenSSL's default preference order; then TLS 1.2. */
static const SSL_CIPHER cipher_table[] = {
    {"TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", 0x03001302, TLS1_3_VERSION, 256,
     NID_kx_any, NID_auth_any, NID_aes_256_gcm, NID_sha384, "any", "any", "AESGCM(256)",
     TLS13_FLAGS | CLASP_C_AES256 | CLASP_C_SHA384},
    {"TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256", 0x03001303,
     TLS1_3_VERSION, 256, NID_kx_any, NID_auth_any, NID_chacha20_poly1305, NID_sha256, "any",
     "any", "CHACHA20/POLY1305(256)", TLS13_FLAGS | CLASP_C_CHACHA | CLASP_C_SHA256},
    {"TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", 0x03001301, TLS1_3_VERSION, 128,
     NID_kx_any, NID_auth_any, NID_aes_128_gcm, NID_sha256, "any", "any", "AESGCM(128)",
     TLS13_FLAGS | CLASP_C_AES128 | CLASP_C_SHA256},
    {"ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0x0300C02C,
     TLS1_2_VERSION, 256, NID_kx_ecdhe, NID_auth_ecdsa, NID_aes_256_gcm, NID_sha384, "ECDH",
     "ECDSA", "AESGCM(256)", E_ECDSA | CLASP_C_AES256 | CLASP_C_SHA384},
    {"ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0x0300C030,
     TLS1_2_VERSION, 256, NID_kx_ecdhe, NID_auth_rsa, NID_aes_256_gcm, NID_sha384, "ECDH",
     "RSA", "AESGCM(256)", E_RSA | CLASP_C_AES256 | CLASP_C_SHA384},
    {"ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
     0x0300CCA9, TLS1_2_VERSION, 256, NID_kx_ecdhe, NID_auth_ecdsa, NID_chacha20_poly1305,
     NID_sha256, "ECDH", "ECDSA", "CHACHA20/POLY1305(256)",
     E_ECDSA | CLASP_C_CHACHA | CLASP_C_SHA256},
    {"ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0x0300CCA8,
     TLS1_2_VERSION, 256, NID_kx_ecdhe, NID_auth_rsa, NID_chacha20_poly1305, NID_sha256,
     "ECDH", "RSA", "CHACHA20/POLY1305(256)", E_RSA | CLASP_C_CHACHA | CLASP_C_SHA256},
    {"ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0x0300C02B,
     TLS1_2_VERSION, 128, NID_kx_ecdhe, NID_auth_ecdsa, NID_aes_128_gcm, NID_sha256, "ECDH",
     "ECDSA", "AESGCM(128)", E_ECDSA | CLASP_C_AES128 | CLASP_C_SHA256},
    {"ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0x0300C02F,
     TLS1_2_VERSION, 128, NID_kx_ecdhe, NID_auth_rsa, NID_aes_128_gcm, NID_sha256, "ECDH",
     "RSA", "AESGCM(128)", E_RSA | CLASP_C_AES128 | CLASP_C_SHA256},
};

#define NUM_CIPHERS (sizeof(cipher_table) / sizeof(cipher_table[0]))
#define NUM_TLS13 3

const SSL_CIPHER *clasp_cipher_by_code(uint16_t code)
{
    for (size_t i = 0; i < NUM_CIPHERS; i++) {
        if ((cipher_table[i].id & 0xffff) == code) {
            return &cipher_table[i];
        }
    }
    return NULL;
}

/* ---- the lists ---------------------------------------------------------------- */

/* Rebuilds the SSL_get_ciphers() stack: TLS 1.3 suites first, as OpenSSL. */
static int rebuild_stack(clasp_ciphers *c)
{
    STACK_OF(SSL_CIPHER) *sk = sk_SSL_CIPHER_new_null();

    if (sk == NULL) {
        CLASP_RAISE(ERR_R_MALLOC_FAILURE);
        return 0;
    }
    for (size_t i = 0; i < c->num_suites; i++) {
        if (!sk_SSL_CIPHER_push(sk, clasp_cipher_by_code(c->suites[i]))) {
            sk_SSL_CIPHER_free(sk);
            return 0;
        }
    }
    for (size_t i = 0; i < c->num_tls12; i++) {
        if (!sk_SSL_CIPHER_push(sk, c->tls12[i])) {
            sk_SSL_CIPHER_free(sk);
            return 0;
        }
    }
    sk_SSL_CIPHER_free(c->stack);
    c->stack = sk;
    return 1;
}

int clasp_ciphers_default(clasp_ciphers *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < NUM_TLS13; i++) {
        c->suites[c->num_suites++] = (uint16_t)(cipher_table[i].id & 0xffff);
    }
    for (size_t i = NUM_TLS13; i < NUM_CIPHERS; i++) {
        c->tls12[c->num_tls12++] = &cipher_table[i];
    }
    return rebuild_stack(c);
}

int clasp_ciphers_copy(clasp_ciphers *dst, const clasp_ciphers *src)
{
    *dst = *src;
    dst->stack = NULL;
    return rebuild_stack(dst);
}

void clasp_ciphers_cleanup(clasp_ciphers *c)
{
    sk_SSL_CIPHER_free(c->stack);
    c->stack = NULL;
}

const clasp_ciphers *clasp_ssl_ciphers(const SSL *s)
{
    return s->own_ciphers ? &s->ciphers : &s->ctx->ciphers;
}

/* An SSL about to change its lists takes its own copy of the CTX's first. */
static clasp_ciphers *ssl_own_ciphers(SSL *s)
{
    if (!s->own_ciphers) {
        if (!clasp_ciphers_copy(&s->ciphers, &s->ctx->ciphers)) {
            return NULL;
        }
        s->own_ciphers = 1;
    }
    return &s->ciphers;
}

/* ---- TLS 1.3: SSL_CTX_set_ciphersuites ----------------------------------------------- */

/* Splits str at ':' and appends each known TLS 1.3 suite once.  Unknown
 * names are skipped, as OpenSSL's ciphersuite_cb does. */
static int parse_ciphersuites(const char *str, uint16_t *out, size_t *num)
{
    *num = 0;
    while (*str != '\0') {
        size_t len = strcspn(str, ":");

        for (size_t i = 0; i < NUM_TLS13; i++) {
            const char *name = cipher_table[i].stdname;
            uint16_t code = (uint16_t)(cipher_table[i].id & 0xffff);
            int dup = 0;

            if (strlen(name) != len || strncmp(name, str, len) != 0) {
                continue;
            }
            for (size_t j = 0; j < *num; j++) {
                dup |= out[j] == code;
            }
            if (!dup && *num < CLASP_MAX_SUITES) {
                out[(*num)++] = code;
            }
        }
        str += len;
        if (*str == ':') {
            str++;
        }
    }
    return 1;
}

static int set_ciphersuites(clasp_ciphers *c, const char *str)
{
    uint16_t suites[CLASP_MAX_SUITES];
    size_t num = 0;

    if (str == NULL) {
        CLASP_RAISE(ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    parse_ciphersuites(str, suites, &num);
    /* OpenSSL: an empty string disables TLS 1.3 suites; a non-empty one
     * that names nothing usable is an error. */
    if (*str != '\0' && num == 0) {
        CLASP_RAISE(SSL_R_NO_CIPHER_MATCH);
        return 0;
    }
    memcpy(c->suites, suites, num * sizeof(suites[0]));
    c->num_suites = num;
    return rebuild_stack(c);
}

int SSL_CTX_set_ciphersuites(SSL_CTX *ctx, const char *str)
{
    return set_ciphersuites(&ctx->ciphers, str);
}

int SSL_set_ciphersuites(SSL *s, const char *str)
{
    clasp_ciphers *c = ssl_own_ciphers(s);

    return c != NULL && set_ciphersuites(c, str);
}

/* ---- TLS 1.2: the OpenSSL cipher string ---------------------------------------------- */

/* Aliases of the cipher-string language and the attributes they select.
 * Aliases that select nothing Clasp implements (RC4, 3DES, aNULL, PSK …)
 * are simply absent: like unknown words they match nothing. */
static const struct {
    const char *name;
    uint32_t mask;
} cipher_alias[] = {
    {"ALL", 0},        {"DEFAULT", 0},       {"HIGH", 0},         {"TLSv1.2", 0},
    {"ECDHE", CLASP_C_ECDHE}, {"EECDH", CLASP_C_ECDHE}, {"kECDHE", CLASP_C_ECDHE},
    {"kEECDH", CLASP_C_ECDHE}, {"ECDH", CLASP_C_ECDHE}, {"aECDSA", CLASP_C_AECDSA},
    {"ECDSA", CLASP_C_AECDSA}, {"aRSA", CLASP_C_ARSA}, {"AESGCM", CLASP_C_AES128 | CLASP_C_AES256},
    {"AES", CLASP_C_AES128 | CLASP_C_AES256}, {"AES128", CLASP_C_AES128},
    {"AES256", CLASP_C_AES256}, {"CHACHA20", CLASP_C_CHACHA},
};

/* Returns the TLS 1.2 ciphers (bit i: table index NUM_TLS13 + i) that one
 * word ("ECDHE+AESGCM", "ECDHE-RSA-AES128-GCM-SHA256", "HIGH") selects. */
static uint32_t match_word(const char *w, size_t len)
{
    uint32_t set = ~0u;

    while (len > 0) {
        size_t part = 0;
        uint32_t sel = 0;

        while (part < len && w[part] != '+') {
            part++;
        }
        for (size_t i = NUM_TLS13; i < NUM_CIPHERS; i++) {
            const char *n = cipher_table[i].name;

            if (strlen(n) == part && strncmp(n, w, part) == 0) {
                sel |= 1u << (i - NUM_TLS13);
            }
        }
        for (size_t a = 0; a < sizeof(cipher_alias) / sizeof(cipher_alias[0]); a++) {
            if (strlen(cipher_alias[a].name) != part
                || strncmp(cipher_alias[a].name, w, part) != 0) {
                continue;
            }
            for (size_t i = NUM_TLS13; i < NUM_CIPHERS; i++) {
                uint32_t m = cipher_alias[a].mask;

                if (m == 0 || (cipher_table[i].flags & m) != 0) {
                    sel |= 1u << (i - NUM_TLS13);
                }
            }
        }
        set &= sel;
        w += part;
        len -= part;
        if (len > 0) { /* skip the '+' */
            w++;
            len--;
        }
    }
    return set;
}

typedef struct {
    int order[CLASP_MAX_TLS12]; /* table offsets (from NUM_TLS13), in order */
    size_t num;
    uint32_t killed; /* '!': never to be added again */
} cipher_build;

static void build_remove(cipher_build *b, uint32_t sel)
{
    size_t j = 0;

    for (size_t i = 0; i < b->num; i++) {
        if (!(sel & (1u << b->order[i]))) {
            b->order[j++] = b->order[i];
        }
    }
    b->num = j;
}

static void build_add(cipher_build *b, uint32_t sel)
{
    for (int i = 0; i < (int)(NUM_CIPHERS - NUM_TLS13); i++) {
        int present = 0;

        if (!(sel & (1u << i)) || (b->killed & (1u << i))) {
            continue;
        }
        for (size_t k = 0; k < b->num; k++) {
            present |= b->order[k] == i;
        }
        if (!present && b->num < CLASP_MAX_TLS12) {
            b->order[b->num++] = i;
        }
    }
}

/* '+': moves the selected ciphers already in the list to its end. */
static void build_move_to_end(cipher_build *b, uint32_t sel)
{
    cipher_build moved = *b;

    build_remove(&moved, sel);
    for (size_t k = 0; k < b->num; k++) {
        if (sel & (1u << b->order[k])) {
            moved.order[moved.num++] = b->order[k];
        }
    }
    *b = moved;
}

/* @STRENGTH: a stable sort by strength bits, strongest first. */
static void build_sort_strength(cipher_build *b)
{
    for (size_t i = 1; i < b->num; i++) {
        int v = b->order[i];
        size_t j = i;

        while (j > 0 && cipher_table[NUM_TLS13 + b->order[j - 1]].bits
                            < cipher_table[NUM_TLS13 + v].bits) {
            b->order[j] = b->order[j - 1];
            j--;
        }
        b->order[j] = v;
    }
}

static void apply_word(cipher_build *b, const char *w, size_t len)
{
    char op = 0;
    uint32_t sel;

    if (len > 0 && (w[0] == '!' || w[0] == '-' || w[0] == '+')) {
        op = w[0];
        w++;
        len--;
    }
    if (len > 0 && w[0] == '@') {
        if (len == 9 && strncmp(w, "@STRENGTH", 9) == 0) {
            build_sort_strength(b);
        }
        return; /* @SECLEVEL=n and others: accepted, no effect on the list */
    }
    sel = match_word(w, len);
    switch (op) {
    case '!':
        build_remove(b, sel);
        b->killed |= sel;
        break;
    case '-':
        build_remove(b, sel);
        break;
    case '+':
        build_move_to_end(b, sel);
        break;
    default:
        build_add(b, sel);
        break;
    }
}

/* OpenSSL's separators: ':' (preferred), ',', ' ' and ';'. */
static void parse_cipher_list(cipher_build *b, const char *str)
{
    memset(b, 0, sizeof(*b));
    while (*str != '\0') {
        size_t len = strcspn(str, ":, ;");

        if (len > 0) {
            apply_word(b, str, len);
        }
        str += len;
        if (*str != '\0') {
            str++;
        }
    }
}

static int set_cipher_list(clasp_ciphers *c, const char *str)
{
    cipher_build b;

    if (str == NULL) {
        CLASP_RAISE(ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    parse_cipher_list(&b, str);
    c->num_tls12 = 0;
    for (size_t i = 0; i < b.num; i++) {
        c->tls12[c->num_tls12++] = &cipher_table[NUM_TLS13 + b.order[i]];
    }
    if (!rebuild_stack(c)) {
        return 0;
    }
    /* OpenSSL updates the list and then fails when no TLS 1.2 cipher is
     * left (SSL_CTX_set_cipher_list(3)). */
    if (c->num_tls12 == 0) {
        CLASP_RAISE(SSL_R_NO_CIPHER_MATCH);
        return 0;
    }
    return 1;
}

int SSL_CTX_set_cipher_list(SSL_CTX *ctx, const char *str)
{
    return set_cipher_list(&ctx->ciphers, str);
}

int SSL_set_cipher_list(SSL *s, const char *str)
{
    clasp_ciphers *c = ssl_own_ciphers(s);

    return c != NULL && set_cipher_list(c, str);
}

STACK_OF(SSL_CIPHER) *SSL_get_ciphers(const SSL *s)
{
    return s == NULL ? NULL : clasp_ssl_ciphers(s)->stack;
}

STACK_OF(SSL_CIPHER) *SSL_CTX_get_ciphers(const SSL_CTX *ctx)
{
    return ctx == NULL ? NULL : ctx->ciphers.stack;
}

const char *SSL_get_cipher_list(const SSL *s, int n)
{
    STACK_OF(SSL_CIPHER) *sk = SSL_get_ciphers(s);

    if (sk == NULL || n < 0 || sk_SSL_CIPHER_num(sk) <= n) {
        return NULL;
    }
    return sk_SSL_CIPHER_value(sk, n)->name;
}

/* Clasp does not keep the client's offered suite list, so the intersection
 * OpenSSL reports is not known: NULL, as OpenSSL for "none" (docs/compat.md). */
char *SSL_get_shared_ciphers(const SSL *s, char *buf, int size)
{
    return NULL;
}

const SSL_CIPHER *SSL_CIPHER_find(SSL *ssl, const unsigned char *ptr)
{
    if (ptr == NULL) {
        return NULL;
    }
    return clasp_cipher_by_code((uint16_t)(ptr[0] << 8 | ptr[1]));
}

const SSL_CIPHER *SSL_get_current_cipher(const SSL *s)
{
    uint16_t code;

    if (s == NULL || s->conn == NULL || !clasp_conn_handshake_done(s->conn)) {
        return NULL;
    }
    code = clasp_conn_cipher_suite(s->conn);
    return code == 0 ? NULL : clasp_cipher_by_code(code);
}

/* The suite chosen but not yet in use: known from ServerHello until the
 * handshake ends. */
const SSL_CIPHER *SSL_get_pending_cipher(const SSL *s)
{
    uint16_t code;

    if (s == NULL || s->conn == NULL || clasp_conn_handshake_done(s->conn)) {
        return NULL;
    }
    code = clasp_conn_cipher_suite(s->conn);
    return code == 0 ? NULL : clasp_cipher_by_code(code);
}

/* ---- SSL_CIPHER accessors ------------------------------------------------------------ */

const char *SSL_CIPHER_get_name(const SSL_CIPHER *c)
{
    return c == NULL ? "(NONE)" : c->name;
}

const char *SSL_CIPHER_standard_name(const SSL_CIPHER *c)
{
    return c == NULL ? "(NONE)" : c->stdname;
}

const char *OPENSSL_cipher_name(const char *stdname)
{
    if (stdname == NULL) {
        return "(NONE)";
    }
    for (size_t i = 0; i < NUM_CIPHERS; i++) {
        if (strcmp(cipher_table[i].stdname, stdname) == 0) {
            return cipher_table[i].name;
        }
    }
    return "(NONE)";
}

int SSL_CIPHER_get_bits(const SSL_CIPHER *c, int *alg_bits)
{
    if (c == NULL) {
        return 0;
    }
    if (alg_bits != NULL) {
        *alg_bits = c->bits;
    }
    return c->bits;
}

uint32_t SSL_CIPHER_get_id(const SSL_CIPHER *c)
{
    return c->id;
}

uint16_t SSL_CIPHER_get_protocol_id(const SSL_CIPHER *c)
{
    return (uint16_t)(c->id & 0xffff);
}

const char *SSL_CIPHER_get_version(const SSL_CIPHER *c)
{
    if (c == NULL) {
        return "(NONE)";
    }
    return c->min_tls == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2";
}

int SSL_CIPHER_get_kx_nid(const SSL_CIPHER *c)
{
    return c->kx_nid;
}

int SSL_CIPHER_get_auth_nid(const SSL_CIPHER *c)
{
    return c->auth_nid;
}

int SSL_CIPHER_get_cipher_nid(const SSL_CIPHER *c)
{
    return c == NULL ? NID_undef : c->cipher_nid;
}

/* AEAD suites have no separate MAC digest: NID_undef, as OpenSSL. */
int SSL_CIPHER_get_digest_nid(const SSL_CIPHER *c)
{
    return NID_undef;
}

const EVP_MD *SSL_CIPHER_get_handshake_digest(const SSL_CIPHER *c)
{
    return c == NULL ? NULL : EVP_get_digestbynid(c->md_nid);
}

int SSL_CIPHER_is_aead(const SSL_CIPHER *c)
{
    return 1;
}

/* The `openssl ciphers -v` line; buf NULL: a new 128-byte buffer. */
char *SSL_CIPHER_description(const SSL_CIPHER *c, char *buf, int len)
{
    if (buf == NULL) {
        len = 128;
        buf = OPENSSL_malloc((size_t)len);
        if (buf == NULL) {
            CLASP_RAISE(ERR_R_MALLOC_FAILURE);
            return NULL;
        }
    } else if (len < 128) {
        return NULL;
    }
    BIO_snprintf(buf, (size_t)len, "%-30s %-7s Kx=%-8s Au=%-5s Enc=%-22s Mac=%-4s\n", c->name,
                 SSL_CIPHER_get_version(c), c->kx, c->au, c->enc, "AEAD");
    return buf;
}

/* Unit tests for the facade's configuration (src/api/): the list parsers
 * (groups, signature schemes, cipher strings, TLS 1.3 suites), the
 * engine configuration an SSL produces, the ctrl answers, the SSL_CIPHER
 * table and the strings.  Expected values are OpenSSL 3.0's, checked
 * against the system libssl when these tests were written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/internal.h"

/* The reason of the oldest queued error, clearing the queue. */
static int take_reason(void)
{
    unsigned long e = ERR_get_error();

    ERR_clear_error();
    return e == 0 ? 0 : ERR_GET_REASON(e);
}

/* ---- groups -------------------------------------------------------------------------- */

static void test_groups_spellings(void **state)
{
    uint16_t g[CLASP_MAX_GROUPS];
    size_t n = 0;

    assert_true(clasp_parse_groups("X25519:prime256v1:secp384r1:P-521", g, &n));
    assert_int_equal(n, 4);
    assert_int_equal(g[0], 0x001d);
    assert_int_equal(g[1], 0x0017);
    assert_int_equal(g[2], 0x0018);
    assert_int_equal(g[3], 0x0019);
    assert_true(clasp_parse_groups("P-256:x25519", g, &n));
    assert_int_equal(n, 2);
    assert_int_equal(g[0], 0x0017);
    assert_int_equal(ERR_peek_error(), 0);
}

static void test_groups_errors(void **state)
{
    uint16_t g[CLASP_MAX_GROUPS] = {0x1234};
    size_t n = 7;

    /* Unknown name: OpenSSL's ERR_R_PASSED_INVALID_ARGUMENT; output untouched. */
    assert_false(clasp_parse_groups("X25519:foo", g, &n));
    assert_int_equal(take_reason(), ERR_GET_REASON(ERR_R_PASSED_INVALID_ARGUMENT));
    assert_int_equal(n, 7);
    assert_int_equal(g[0], 0x1234);
    /* Duplicates (two spellings of one group) fail quietly, as OpenSSL. */
    assert_false(clasp_parse_groups("x25519:P-256:prime256v1", g, &n));
    assert_int_equal(ERR_peek_error(), 0);
    /* Known to OpenSSL, not offered by Clasp: skipped, unless nothing is left. */
    assert_true(clasp_parse_groups("X448:P-256:ffdhe2048", g, &n));
    assert_int_equal(n, 1);
    assert_int_equal(g[0], 0x0017);
    assert_false(clasp_parse_groups("X448", g, &n));
    assert_int_equal(take_reason(), SSL_R_UNSUPPORTED_ELLIPTIC_CURVE);
    assert_false(clasp_parse_groups("", g, &n));
    ERR_clear_error();
}

static void test_groups_nids(void **state)
{
    static const int nids[] = {NID_secp384r1, NID_X25519};
    static const int bad[] = {NID_sha256};
    uint16_t g[CLASP_MAX_GROUPS];
    size_t n = 0;

    assert_true(clasp_set_groups_nids(nids, 2, g, &n));
    assert_int_equal(n, 2);
    assert_int_equal(g[0], 0x0018);
    assert_int_equal(g[1], 0x001d);
    assert_false(clasp_set_groups_nids(bad, 1, g, &n));
    assert_int_equal(take_reason(), SSL_R_UNSUPPORTED_ELLIPTIC_CURVE);
    assert_int_equal(clasp_group_nid(0x001d), NID_X25519);
    assert_int_equal(clasp_group_nid(0x0017), NID_X9_62_prime256v1);
    assert_int_equal(clasp_group_nid(0x9999), NID_undef);
}

/* ---- signature schemes ----------------------------------------------------------------- */

static void test_sigalgs_spellings(void **state)
{
    uint16_t s[CLASP_MAX_SIGALGS];
    size_t n = 0;

    /* "RSA-PSS+SHA256" is the rsae scheme (OpenSSL's table order). */
    assert_true(clasp_parse_sigalgs("ECDSA+SHA256:RSA-PSS+SHA256:ed25519:rsa_pss_pss_sha256:"
                                    "RSA+SHA384:PSS+SHA512",
                                    s, &n));
    assert_int_equal(n, 6);
    assert_int_equal(s[0], 0x0403);
    assert_int_equal(s[1], 0x0804);
    assert_int_equal(s[2], 0x0807);
    assert_int_equal(s[3], 0x0809);
    assert_int_equal(s[4], 0x0501);
    assert_int_equal(s[5], 0x0806);
    assert_int_equal(ERR_peek_error(), 0);
}

static void test_sigalgs_errors(void **state)
{
    uint16_t s[CLASP_MAX_SIGALGS];
    size_t n = 0;

    /* The same scheme twice (as OpenSSL: the brief's example list fails). */
    assert_false(clasp_parse_sigalgs("ECDSA+SHA256:RSA-PSS+SHA256:rsa_pss_rsae_sha256", s, &n));
    assert_false(clasp_parse_sigalgs("ECDSA+SHA256:foo", s, &n));
    assert_int_equal(take_reason(), ERR_GET_REASON(ERR_R_PASSED_INVALID_ARGUMENT));
    assert_false(clasp_parse_sigalgs("ECDSA+NOHASH", s, &n));
    ERR_clear_error();
    /* SHA-1 schemes exist, Clasp does not offer them. */
    assert_true(clasp_parse_sigalgs("ecdsa_sha1:ed25519", s, &n));
    assert_int_equal(n, 1);
    assert_false(clasp_parse_sigalgs("rsa_pkcs1_sha1", s, &n));
    assert_int_equal(take_reason(), SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM);
}

static void test_sigalg_nids(void **state)
{
    int type = 0, hash = 0;

    assert_true(clasp_sigalg_nids(0x0804, &type, &hash));
    assert_int_equal(type, EVP_PKEY_RSA_PSS);
    assert_int_equal(hash, NID_sha256);
    assert_true(clasp_sigalg_nids(0x0807, &type, &hash));
    assert_int_equal(type, EVP_PKEY_ED25519);
    assert_int_equal(hash, NID_undef);
    assert_false(clasp_sigalg_nids(0xfefe, &type, &hash));
}

/* ---- cipher strings ------------------------------------------------------------------------- */

static void assert_names(STACK_OF(SSL_CIPHER) *sk, const char *const *names, int n)
{
    assert_int_equal(sk_SSL_CIPHER_num(sk), n);
    for (int i = 0; i < n; i++) {
        assert_string_equal(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i)), names[i]);
    }
}

static void test_cipher_defaults(void **state)
{
    static const char *const def[] = {
        "TLS_AES_256_GCM_SHA384",        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_AES_128_GCM_SHA256",        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",   "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",   "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
    };
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());

    assert_non_null(ctx);
    assert_names(SSL_CTX_get_ciphers(ctx), def, 9);
    assert_int_equal(SSL_CTX_set_cipher_list(ctx, SSL_DEFAULT_CIPHER_LIST), 1);
    assert_names(SSL_CTX_get_ciphers(ctx), def, 9);
    SSL_CTX_free(ctx);
}

static void test_cipher_strings(void **state)
{
    static const char *const a[] = {"TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                                    "ECDHE-RSA-AES256-GCM-SHA384",
                                    "ECDHE-ECDSA-AES128-GCM-SHA256",
                                    "ECDHE-RSA-AES128-GCM-SHA256"};
    static const char *const b[] = {"TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                                    "ECDHE-ECDSA-AES128-GCM-SHA256"};
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());

    assert_int_equal(SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:foo"), 1);
    /* Unknown words are ignored; @STRENGTH sorts, strongest first. */
    assert_int_equal(SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:foo:@STRENGTH"), 1);
    assert_names(SSL_CTX_get_ciphers(ctx), a, 5);
    /* '!' kills for good (the last word cannot bring it back), '-' removes,
     * '+' moves to the end. */
    assert_int_equal(SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20:!aRSA:-CHACHA20:"
                                                  "+AES128:ECDHE-RSA-CHACHA20-POLY1305"),
                     1);
    assert_names(SSL_CTX_get_ciphers(ctx), b, 3);
    /* Nothing left: the list is replaced and the call fails (OpenSSL). */
    assert_int_equal(SSL_CTX_set_cipher_list(ctx, "RC4:foo"), 0);
    assert_int_equal(take_reason(), SSL_R_NO_CIPHER_MATCH);
    assert_int_equal(sk_SSL_CIPHER_num(SSL_CTX_get_ciphers(ctx)), 1);
    assert_int_equal(SSL_CTX_set_ciphersuites(ctx, "foo"), 0);
    assert_int_equal(take_reason(), SSL_R_NO_CIPHER_MATCH);
    assert_int_equal(SSL_CTX_set_ciphersuites(ctx, ""), 1);
    SSL_CTX_free(ctx);
}

/* An SSL reads its CTX's lists until it sets its own. */
static void test_cipher_inheritance(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL *s = SSL_new(ctx);

    assert_int_equal(SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256"), 1);
    assert_string_equal(SSL_get_cipher_list(s, 0), "TLS_AES_128_GCM_SHA256");
    assert_int_equal(SSL_set_ciphersuites(s, "TLS_CHACHA20_POLY1305_SHA256"), 1);
    assert_string_equal(SSL_get_cipher_list(s, 0), "TLS_CHACHA20_POLY1305_SHA256");
    assert_string_equal(SSL_get_cipher_list(s, 1),
                        "ECDHE-ECDSA-AES256-GCM-SHA384");
    assert_string_equal(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(SSL_CTX_get_ciphers(ctx), 0)),
                        "TLS_AES_128_GCM_SHA256");
    assert_null(SSL_get_cipher_list(s, 100));
    SSL_free(s);
    SSL_CTX_free(ctx);
}

static void test_cipher_objects(void **state)
{
    char buf[128];
    int alg_bits = 0;
    const SSL_CIPHER *c = SSL_CIPHER_find(NULL, (const unsigned char *)"\xcc\xa8");

    assert_non_null(c);
    assert_string_equal(SSL_CIPHER_get_name(c), "ECDHE-RSA-CHACHA20-POLY1305");
    assert_string_equal(SSL_CIPHER_standard_name(c),
                        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    assert_int_equal(SSL_CIPHER_get_id(c), 0x0300cca8);
    assert_int_equal(SSL_CIPHER_get_protocol_id(c), 0xcca8);
    assert_string_equal(SSL_CIPHER_get_version(c), "TLSv1.2");
    assert_int_equal(SSL_CIPHER_get_kx_nid(c), NID_kx_ecdhe);
    assert_int_equal(SSL_CIPHER_get_auth_nid(c), NID_auth_rsa);
    assert_int_equal(SSL_CIPHER_get_cipher_nid(c), NID_chacha20_poly1305);
    assert_int_equal(SSL_CIPHER_get_digest_nid(c), NID_undef);
    assert_int_equal(SSL_CIPHER_get_bits(c, &alg_bits), 256);
    assert_int_equal(alg_bits, 256);
    assert_true(SSL_CIPHER_is_aead(c));
    c = SSL_CIPHER_find(NULL, (const unsigned char *)"\x13\x01");
    assert_string_equal(SSL_CIPHER_description(c, buf, sizeof(buf)),
                        "TLS_AES_128_GCM_SHA256         TLSv1.3 Kx=any      Au=any   "
                        "Enc=AESGCM(128)            Mac=AEAD\n");
    assert_null(SSL_CIPHER_description(c, buf, 127));
    assert_string_equal(OPENSSL_cipher_name("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
                        "ECDHE-RSA-AES128-GCM-SHA256");
    assert_string_equal(OPENSSL_cipher_name("TLS_RSA_WITH_NULL_MD5"), "(NONE)");
    assert_string_equal(SSL_CIPHER_get_name(NULL), "(NONE)");
    assert_null(SSL_CIPHER_find(NULL, (const unsigned char *)"\x00\x2f"));
}

/* ---- the engine configuration -------------------------------------------------------------- */

static void test_config_defaults(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL *s = SSL_new(ctx);
    const clasp_config *c = &s->cfg;

    SSL_set_connect_state(s);
    assert_int_equal(SSL_set_tlsext_host_name(s, "example.com"), 1);
    assert_true(clasp_build_config(s));
    assert_int_equal(c->is_server, 0);
    assert_int_equal(c->min_version, 0x0303);
    assert_int_equal(c->max_version, 0x0304);
    assert_int_equal(c->num_suites, 3);
    assert_int_equal(c->suites[0], 0x1302);
    assert_int_equal(c->suites[1], 0x1303);
    assert_int_equal(c->suites[2], 0x1301);
    assert_int_equal(c->num_groups, 4);
    assert_int_equal(c->groups[0], 0x001d);
    assert_int_equal(c->groups[1], 0x0017);
    assert_int_equal(c->num_sigalgs, 13);
    assert_int_equal(c->sigalgs[0], 0x0403);
    assert_true(c->middlebox_compat);
    assert_false(c->server_prefer_own_suites);
    assert_int_equal(c->max_cert_list, 102400);
    assert_string_equal(c->sni, "example.com");
    assert_ptr_equal(c->observer.arg, s);
    SSL_free(s);
    SSL_CTX_free(ctx);
}

/* TLSv1_2_method() without the deprecation warning. */
static const SSL_METHOD *fixed_tls12(void)
{
    static const SSL_METHOD m = {TLS1_2_VERSION, -1};

    return &m;
}

static void test_config_versions(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL *s;

    /* A lower bound below TLS 1.2 is harmless; an upper one cannot be met. */
    assert_int_equal(SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION), 1);
    assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_VERSION);
    assert_int_equal(SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION), 0);
    assert_int_equal(take_reason(), SSL_R_UNSUPPORTED_PROTOCOL);
    assert_int_equal(SSL_CTX_set_max_proto_version(ctx, 0x999), 0);
    assert_int_equal(ERR_peek_error(), 0);
    assert_int_equal(SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION), 1);
    s = SSL_new(ctx);
    assert_int_equal(SSL_get_max_proto_version(s), TLS1_2_VERSION);
    assert_int_equal(clasp_min_version(s), 0x0303);
    assert_int_equal(clasp_max_version(s), 0x0303);
    assert_int_equal(SSL_set_max_proto_version(s, 0), 1);
    SSL_set_options(s, SSL_OP_NO_TLSv1_2);
    assert_int_equal(clasp_min_version(s), 0x0304);
    assert_int_equal(clasp_max_version(s), 0x0304);
    SSL_free(s);
    SSL_CTX_free(ctx);
    /* The fixed-version method (deprecated, still exported). */
    ctx = SSL_CTX_new(fixed_tls12());
    s = SSL_new(ctx);
    assert_int_equal(SSL_set_max_proto_version(s, TLS1_3_VERSION), 1);
    assert_int_equal(clasp_max_version(s), 0x0303);
    assert_int_equal(SSL_version(s), TLS1_2_VERSION);
    SSL_free(s);
    SSL_CTX_free(ctx);
}

/* ---- ctrl answers and defaults ---------------------------------------------------------------- */

static void test_ctx_defaults(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL *s = SSL_new(ctx);

    assert_int_equal(SSL_CTX_get_options(ctx),
                     SSL_OP_NO_COMPRESSION | SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
    assert_int_equal(SSL_CTX_get_mode(ctx), SSL_MODE_AUTO_RETRY);
    assert_int_equal(SSL_CTX_get_verify_depth(ctx), -1);
    assert_int_equal(SSL_CTX_get_max_cert_list(ctx), SSL_MAX_CERT_LIST_DEFAULT);
    assert_int_equal(SSL_CTX_get_session_cache_mode(ctx), SSL_SESS_CACHE_SERVER);
    assert_int_equal(SSL_CTX_get_timeout(ctx), 7200);
    /* A TLS_method() SSL calls itself a server until a role is set. */
    assert_int_equal(SSL_is_server(s), 1);
    assert_true(SSL_in_before(s));
    assert_true(SSL_in_init(s));
    assert_int_equal(SSL_get_state(s), TLS_ST_BEFORE);
    assert_string_equal(SSL_get_version(s), "TLSv1.3");
    assert_int_equal(SSL_client_version(s), TLS_ANY_VERSION);
    assert_int_equal(SSL_want(s), SSL_NOTHING);
    assert_int_equal(SSL_get_fd(s), -1);
    assert_string_equal(SSL_state_string(s), "PINIT");
    assert_string_equal(SSL_state_string_long(s), "before SSL initialization");
    assert_int_equal(SSL_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE),
                     SSL_MODE_AUTO_RETRY | SSL_MODE_ENABLE_PARTIAL_WRITE);
    assert_int_equal(SSL_clear_mode(s, SSL_MODE_AUTO_RETRY), SSL_MODE_ENABLE_PARTIAL_WRITE);
    assert_int_equal(SSL_set_max_cert_list(s, 1000), SSL_MAX_CERT_LIST_DEFAULT);
    assert_int_equal(SSL_get_max_cert_list(s), 1000);
    assert_int_equal(SSL_set_max_send_fragment(s, 100), 0);
    assert_int_equal(SSL_set_max_send_fragment(s, 1000), 1);
    assert_int_equal(ERR_peek_error(), 0);
    /* Not implemented: refused loudly. */
    assert_int_equal(SSL_ctrl(s, 9999, 0, NULL), 0);
    assert_int_equal(take_reason(), ERR_GET_REASON(ERR_R_UNSUPPORTED));
    assert_int_equal(SSL_set_tlsext_status_type(s, TLSEXT_STATUSTYPE_ocsp), 0);
    assert_int_equal(take_reason(), ERR_GET_REASON(ERR_R_UNSUPPORTED));
    SSL_free(s);
    SSL_CTX_free(ctx);
}

static void test_ctrl_hostname(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL *s = SSL_new(ctx);
    char longname[300];

    assert_int_equal(SSL_set_tlsext_host_name(s, ""), 0);
    assert_int_equal(take_reason(), SSL_R_SSL3_EXT_INVALID_SERVERNAME);
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(SSL_set_tlsext_host_name(s, longname), 0);
    ERR_clear_error();
    assert_int_equal(SSL_set_tlsext_host_name(s, "example.com"), 1);
    assert_string_equal(SSL_get_servername(s, TLSEXT_NAMETYPE_host_name), "example.com");
    assert_int_equal(SSL_get_servername_type(s), TLSEXT_NAMETYPE_host_name);
    assert_null(SSL_get_servername(s, 1));
    assert_int_equal(SSL_set_tlsext_host_name(s, NULL), 1);
    assert_int_equal(SSL_get_servername_type(s), -1);
    SSL_free(s);
    SSL_CTX_free(ctx);
}

/* ---- ALPN ---------------------------------------------------------------------------------- */

static void test_alpn(void **state)
{
    static const unsigned char srv[] = "\x02h2\x08http/1.1";
    static const unsigned char cli[] = "\x08http/1.1\x02h2";
    unsigned char *out = NULL;
    unsigned char len = 0;
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());

    /* Server preference wins. */
    assert_int_equal(SSL_select_next_proto(&out, &len, srv, 12, cli, 12), OPENSSL_NPN_NEGOTIATED);
    assert_int_equal(len, 2);
    assert_memory_equal(out, "h2", 2);
    /* No overlap: the client's first, as a fallback. */
    assert_int_equal(SSL_select_next_proto(&out, &len, (const unsigned char *)"\x03" "foo", 4,
                                           cli, 12),
                     OPENSSL_NPN_NO_OVERLAP);
    assert_int_equal(len, 8);
    assert_memory_equal(out, "http/1.1", 8);
    /* An empty client list: no fallback (OpenSSL 3.0.15's fix). */
    assert_int_equal(SSL_select_next_proto(&out, &len, srv, 12, cli, 0), OPENSSL_NPN_NO_OVERLAP);
    assert_null(out);
    /* set_alpn_protos: 0 is success. */
    assert_int_equal(SSL_CTX_set_alpn_protos(ctx, cli, 12), 0);
    assert_int_equal(SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)"\x02h2\x00", 4), 1);
    assert_int_equal(SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)"\x05h2", 3), 1);
    assert_int_equal(SSL_CTX_set_alpn_protos(ctx, NULL, 0), 0);
    assert_null(ctx->p.alpn);
    SSL_CTX_free(ctx);
}

/* ---- BIO ownership (SSL_set_bio(3)) --------------------------------------------------------- */

static int bio_frees;

static int counting_destroy(BIO *b)
{
    bio_frees++;
    return 1;
}

static BIO *counting_bio(void)
{
    static BIO_METHOD *m;

    if (m == NULL) {
        m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "counting");
        BIO_meth_set_destroy(m, counting_destroy);
    }
    return BIO_new(m);
}

static void test_set_bio_ownership(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL *s = SSL_new(ctx);
    BIO *a = counting_bio(), *b = counting_bio(), *c = counting_bio();

    bio_frees = 0;
    /* One BIO for both: one reference given, freed once with the SSL. */
    SSL_set_bio(s, a, a);
    assert_ptr_equal(SSL_get_rbio(s), a);
    assert_ptr_equal(SSL_get_wbio(s), a);
    SSL_set_bio(s, a, a); /* nothing changed: no reference taken or dropped */
    assert_int_equal(bio_frees, 0);
    /* Only the wbio changes: b adopted, a keeps one reference (the rbio). */
    SSL_set_bio(s, a, b);
    assert_int_equal(bio_frees, 0);
    /* Only the rbio changes, the two differ: c adopted, a freed. */
    SSL_set_bio(s, c, b);
    assert_int_equal(bio_frees, 1);
    SSL_free(s);
    assert_int_equal(bio_frees, 3);
    SSL_CTX_free(ctx);
}

static void test_set_fd_shares_bio(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL *s = SSL_new(ctx);

    assert_int_equal(SSL_set_rfd(s, 5), 1);
    assert_int_equal(SSL_set_wfd(s, 5), 1);
    assert_ptr_equal(SSL_get_rbio(s), SSL_get_wbio(s));
    assert_int_equal(SSL_get_fd(s), 5);
    assert_int_equal(SSL_set_wfd(s, 6), 1);
    assert_int_equal(SSL_get_wfd(s), 6);
    assert_int_equal(SSL_get_rfd(s), 5);
    SSL_free(s); /* BIO_NOCLOSE: the descriptors are not closed */
    SSL_CTX_free(ctx);
}

/* ---- strings --------------------------------------------------------------------------------- */

static void test_strings(void **state)
{
    assert_string_equal(SSL_alert_type_string(0x230), "F");
    assert_string_equal(SSL_alert_type_string_long(0x100), "warning");
    assert_string_equal(SSL_alert_type_string_long(0x300), "unknown");
    assert_string_equal(SSL_alert_desc_string(0x230), "CA");
    assert_string_equal(SSL_alert_desc_string_long(0x230), "unknown CA");
    assert_string_equal(SSL_alert_desc_string_long(112), "unrecognized name");
    assert_string_equal(SSL_alert_desc_string(120), "UK");
    assert_string_equal(SSL_alert_desc_string_long(120), "no application protocol");
    /* OpenSSL 3.0 has no text for certificate_required. */
    assert_string_equal(SSL_alert_desc_string_long(116), "unknown");
}

/* ---- errors before any I/O ---------------------------------------------------------------------- */

static void test_errors_without_role(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL *s = SSL_new(ctx);
    char buf[4];

    ERR_clear_error();
    assert_int_equal(SSL_do_handshake(s), -1);
    assert_int_equal(SSL_get_error(s, -1), SSL_ERROR_SSL);
    assert_int_equal(take_reason(), SSL_R_CONNECTION_TYPE_NOT_SET);
    assert_int_equal(SSL_read(s, buf, 4), -1);
    assert_int_equal(take_reason(), SSL_R_UNINITIALIZED);
    assert_int_equal(SSL_write(s, buf, 4), -1);
    assert_int_equal(take_reason(), SSL_R_UNINITIALIZED);
    assert_int_equal(SSL_shutdown(s), -1);
    assert_int_equal(take_reason(), SSL_R_UNINITIALIZED);
    SSL_set_connect_state(s);
    assert_int_equal(SSL_shutdown(s), -1);
    assert_int_equal(take_reason(), SSL_R_SHUTDOWN_WHILE_IN_INIT);
    assert_int_equal(SSL_write(s, buf, -1), -1);
    assert_int_equal(take_reason(), SSL_R_BAD_LENGTH);
    assert_int_equal(SSL_key_update(s, SSL_KEY_UPDATE_REQUESTED), 0);
    assert_int_equal(take_reason(), SSL_R_WRONG_SSL_VERSION);
    assert_int_equal(SSL_export_keying_material(s, (unsigned char *)buf, 4, "x", 1, NULL, 0, 0),
                     -1);
    SSL_free(s);
    SSL_CTX_free(ctx);
}

/* A client over empty memory BIOs: the ClientHello goes out, then WANT_READ;
 * the error queue stays empty. */
static void test_want_read_on_mem_bio(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *s = SSL_new(ctx);
    BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
    int r;

    SSL_set_bio(s, rb, wb);
    SSL_set_connect_state(s);
    ERR_clear_error();
    r = SSL_do_handshake(s);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(s, r), SSL_ERROR_WANT_READ);
    assert_int_equal(ERR_peek_error(), 0);
    assert_true(BIO_pending(wb) > 0);
    assert_false(SSL_in_before(s));
    /* The peer hangs up: an EOF is SSL_ERROR_SSL in OpenSSL 3.0. */
    BIO_set_mem_eof_return(rb, 0);
    r = SSL_do_handshake(s);
    assert_int_equal(SSL_get_error(s, r), SSL_ERROR_SSL);
    assert_int_equal(take_reason(), SSL_R_UNEXPECTED_EOF_WHILE_READING);
    /* Sticky: the same reason again, without I/O. */
    r = SSL_do_handshake(s);
    assert_int_equal(r, -1);
    assert_int_equal(SSL_get_error(s, r), SSL_ERROR_SSL);
    assert_int_equal(take_reason(), SSL_R_UNEXPECTED_EOF_WHILE_READING);
    assert_string_equal(SSL_state_string_long(s), "error");
    SSL_free(s);
    SSL_CTX_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_spellings),
        cmocka_unit_test(test_groups_errors),
        cmocka_unit_test(test_groups_nids),
        cmocka_unit_test(test_sigalgs_spellings),
        cmocka_unit_test(test_sigalgs_errors),
        cmocka_unit_test(test_sigalg_nids),
        cmocka_unit_test(test_cipher_defaults),
        cmocka_unit_test(test_cipher_strings),
        cmocka_unit_test(test_cipher_inheritance),
        cmocka_unit_test(test_cipher_objects),
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_versions),
        cmocka_unit_test(test_ctx_defaults),
        cmocka_unit_test(test_ctrl_hostname),
        cmocka_unit_test(test_alpn),
        cmocka_unit_test(test_set_bio_ownership),
        cmocka_unit_test(test_set_fd_shares_bio),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_errors_without_role),
        cmocka_unit_test(test_want_read_on_mem_bio),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

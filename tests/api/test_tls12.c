/*
 * TLS 1.2 through the OpenSSL API: the ECDHE + AEAD cipher suites × groups × certificate
 * types over the BIO pair and the trickles, version negotiation between 1.2 and 1.3 (and the
 * RFC 9846 §4.2.3 downgrade sentinel), verification failures, key logging.
 *
 * Kept apart from the TLS 1.3 tests because Clasp gains TLS 1.2 later: this whole program can
 * be marked as expected to fail until then.
 *
 * Beyond the common API list this uses SSL_CTX_set_cipher_list, the TLS 1.2 suite selector.
 */
#include <stdio.h>
#include <string.h>

#include "helpers/testutil.h"

#include <openssl/obj_mac.h>

typedef struct {
    const char *name;     /* OpenSSL's name */
    const char *standard; /* RFC name */
    int ecdsa;            /* 1: needs an ECDSA/EdDSA certificate, 0: RSA */
    int bits;
} suite12;

static const suite12 suites[] = {
    {"ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 1, 128},
    {"ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 1, 256},
    {"ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 1, 256},
    {"ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0, 128},
    {"ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0, 256},
    {"ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0, 256},
};
#define NUM_SUITES (sizeof(suites) / sizeof(suites[0]))

static const struct {
    const char *name;
    int nid;
} groups[] = {{"X25519", NID_X25519}, {"P-256", NID_X9_62_prime256v1}, {"P-384", NID_secp384r1}};
#define NUM_GROUPS (sizeof(groups) / sizeof(groups[0]))

static const clasp_test_key ecdsa_keys[] = {CLASP_TEST_KEY_P256, CLASP_TEST_KEY_P384,
                                            CLASP_TEST_KEY_ED25519};
/* RSA-4096 gets one row only (see build_cases): its key generation and signing are slow. */
static const clasp_test_key rsa_keys[] = {CLASP_TEST_KEY_RSA2048, CLASP_TEST_KEY_RSA4096};

enum { VIA_PAIR, VIA_TRICKLE_ONE, VIA_TRICKLE_RANDOM, NUM_VIAS };
static const char *const via_names[NUM_VIAS] = {"pair16k", "trickle1", "trickle-random"};

#define MAX_CASES (NUM_VIAS * NUM_SUITES * NUM_GROUPS * 3)

typedef struct {
    const suite12 *suite;
    unsigned group, via;
    clasp_test_key key;
    uint32_t seed;
    char name[112];
} hs_case;

static hs_case cases[MAX_CASES];

static const size_t pair_sizes[] = {1, 1000, 16384, 16385, 100000};
static const size_t trickle_sizes[] = {1, 16385};

/* Contexts for TLS 1.2 only: server with the given leaf, client trusting the root. */
static void make_ctxs(clasp_test_key key, clasp_test_leaf kind, SSL_CTX **cctx, SSL_CTX **sctx)
{
    *sctx = clasp_test_server_ctx(key, kind);
    *cctx = clasp_test_client_ctx();
    assert_non_null(*sctx);
    assert_non_null(*cctx);
    assert_int_equal(SSL_CTX_set_min_proto_version(*sctx, TLS1_2_VERSION), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(*sctx, TLS1_2_VERSION), 1);
    assert_int_equal(SSL_CTX_set_min_proto_version(*cctx, TLS1_2_VERSION), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(*cctx, TLS1_2_VERSION), 1);
}

static int expected_sig_type(clasp_test_key key)
{
    switch (key) {
    case CLASP_TEST_KEY_P256:
    case CLASP_TEST_KEY_P384:
        return EVP_PKEY_EC;
    case CLASP_TEST_KEY_RSA2048:
    case CLASP_TEST_KEY_RSA4096:
        return EVP_PKEY_RSA_PSS; /* rsa_pss_rsae_* comes before rsa_pkcs1_* in the offer */
    case CLASP_TEST_KEY_ED25519:
        return EVP_PKEY_ED25519;
    default:
        return NID_undef;
    }
}

static void check_tls12_session(SSL *ssl, const suite12 *suite, int group_nid)
{
    assert_true(SSL_is_init_finished(ssl));
    assert_string_equal(SSL_get_version(ssl), "TLSv1.2");
    assert_int_equal(SSL_version(ssl), TLS1_2_VERSION);
    const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
    assert_non_null(cipher);
    assert_string_equal(SSL_CIPHER_get_name(cipher), suite->name);
    assert_string_equal(SSL_CIPHER_standard_name(cipher), suite->standard);
    assert_string_equal(SSL_CIPHER_get_version(cipher), "TLSv1.2");
    assert_int_equal(SSL_CIPHER_get_bits(cipher, NULL), suite->bits);
    assert_int_equal(SSL_get_negotiated_group(ssl), group_nid);
}

/*
 * The case's group first, so that it is the ECDHE group, then the curve of an ECDSA
 * certificate: in TLS 1.2 the client's groups also bound the certificate's curve
 * (RFC 8422 §5.3).
 */
static const char *client_groups(const hs_case *c)
{
    static char list[64];
    const char *curve = c->key == CLASP_TEST_KEY_P256   ? "P-256"
                        : c->key == CLASP_TEST_KEY_P384 ? "P-384"
                                                        : NULL;
    const char *first = groups[c->group].name;
    if (curve == NULL || strcmp(curve, first) == 0) {
        return first;
    }
    snprintf(list, sizeof(list), "%s:%s", first, curve);
    return list;
}

static int make_link(clasp_test_link *link, const hs_case *c, SSL_CTX *cctx, SSL_CTX *sctx)
{
    switch (c->via) {
    case VIA_PAIR:
        return clasp_test_link_pair(link, cctx, sctx, 16384);
    case VIA_TRICKLE_ONE:
        return clasp_test_link_trickle(link, cctx, sctx, 1, 0);
    case VIA_TRICKLE_RANDOM:
        return clasp_test_link_trickle(link, cctx, sctx, 700, c->seed);
    default:
        return 0;
    }
}

static void test_matrix(void **state)
{
    const hs_case *c = *state;
    SSL_CTX *cctx, *sctx;
    make_ctxs(c->key, CLASP_TEST_LEAF_GOOD, &cctx, &sctx);
    assert_int_equal(SSL_CTX_set_cipher_list(cctx, c->suite->name), 1);
    assert_int_equal(SSL_CTX_set1_groups_list(cctx, client_groups(c)), 1);

    clasp_test_link link;
    assert_true(make_link(&link, c, cctx, sctx));
    assert_int_equal(SSL_set1_host(link.client, "localhost"), 1);
    assert_true(clasp_test_handshake(&link));
    check_tls12_session(link.client, c->suite, groups[c->group].nid);
    check_tls12_session(link.server, c->suite, groups[c->group].nid);
    assert_int_equal(SSL_get_verify_result(link.client), X509_V_OK);
    int sig_type = NID_undef;
    assert_int_equal(SSL_get_peer_signature_type_nid(link.client, &sig_type), 1);
    assert_int_equal(sig_type, expected_sig_type(c->key));

    const size_t *sizes = c->via == VIA_PAIR ? pair_sizes : trickle_sizes;
    size_t num_sizes = c->via == VIA_PAIR ? sizeof(pair_sizes) / sizeof(pair_sizes[0])
                                          : sizeof(trickle_sizes) / sizeof(trickle_sizes[0]);
    for (size_t i = 0; i < num_sizes; i++) {
        assert_true(clasp_test_transfer(&link, 1, sizes[i]));
        assert_true(clasp_test_transfer(&link, 0, sizes[i]));
    }
    clasp_test_op cs = clasp_test_op_new(CLASP_TEST_OP_SHUTDOWN);
    clasp_test_op ss = clasp_test_op_new(CLASP_TEST_OP_SHUTDOWN);
    assert_true(clasp_test_pump(&link, &cs, &ss));
    clasp_test_link_free(&link);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* ---- version negotiation ---------------------------------------------------------------- */

typedef struct {
    SSL_CTX *cctx, *sctx;
    clasp_test_link link;
    clasp_test_op c, s;
} fixture;

/* Client versions [cmin, cmax], server [smin, smax]; trickle link with capture. */
static int versions_handshake(fixture *f, int cmin, int cmax, int smin, int smax)
{
    memset(f, 0, sizeof(*f));
    f->sctx = clasp_test_server_ctx(CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_GOOD);
    f->cctx = clasp_test_client_ctx();
    assert_non_null(f->sctx);
    assert_non_null(f->cctx);
    assert_int_equal(SSL_CTX_set_min_proto_version(f->cctx, cmin), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(f->cctx, cmax), 1);
    assert_int_equal(SSL_CTX_set_min_proto_version(f->sctx, smin), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(f->sctx, smax), 1);
    assert_true(clasp_test_link_trickle(&f->link, f->cctx, f->sctx, 65536, 0));
    f->link.capture = 1;
    assert_int_equal(SSL_set1_host(f->link.client, "localhost"), 1);
    f->c = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    f->s = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    return clasp_test_pump(&f->link, &f->c, &f->s);
}

static void fixture_free(fixture *f)
{
    clasp_test_link_free(&f->link);
    SSL_CTX_free(f->cctx);
    SSL_CTX_free(f->sctx);
}

/* The ServerHello random's last 8 bytes (RFC 9846 §4.2.3), from the captured stream. */
static const unsigned char *server_random_tail(const clasp_test_buf *s2c)
{
    /* record(5) type(1) length(3) version(2) random(32) */
    if (s2c->len < 5 + 4 + 2 + 32 || s2c->data[0] != 22 || s2c->data[5] != 2) {
        return NULL;
    }
    return s2c->data + 5 + 4 + 2 + 24;
}

static void test_client_max_12_against_13_only_server(void **state)
{
    fixture f;
    assert_false(versions_handshake(&f, TLS1_2_VERSION, TLS1_2_VERSION, TLS1_3_VERSION,
                                    TLS1_3_VERSION));
    /* RFC 9846 Appendix E.2: no acceptable version → protocol_version. */
    assert_op_failed_with(&f.s, SSL_R_UNSUPPORTED_PROTOCOL);
    assert_op_failed_with(&f.c, SSL_R_TLSV1_ALERT_PROTOCOL_VERSION);
    fixture_free(&f);
}

static void test_client_13_only_against_server_max_12(void **state)
{
    fixture f;
    assert_false(versions_handshake(&f, TLS1_3_VERSION, TLS1_3_VERSION, TLS1_2_VERSION,
                                    TLS1_2_VERSION));
    assert_op_failed_with(&f.s, SSL_R_UNSUPPORTED_PROTOCOL);
    assert_op_failed_with(&f.c, SSL_R_TLSV1_ALERT_PROTOCOL_VERSION);
    fixture_free(&f);
}

static void test_client_12_13_against_server_max_12(void **state)
{
    fixture f;
    assert_true(versions_handshake(&f, TLS1_2_VERSION, TLS1_3_VERSION, TLS1_2_VERSION,
                                   TLS1_2_VERSION));
    assert_string_equal(SSL_get_version(f.link.client), "TLSv1.2");
    assert_string_equal(SSL_get_version(f.link.server), "TLSv1.2");
    /* A server without TLS 1.3 sets no downgrade sentinel. */
    const unsigned char *tail = server_random_tail(&f.link.s2c);
    assert_non_null(tail);
    assert_memory_not_equal(tail, "DOWNGRD", 7);
    assert_true(clasp_test_transfer(&f.link, 1, 1000));
    fixture_free(&f);
}

static void test_downgrade_sentinel(void **state)
{
    /* RFC 9846 §4.2.3: a TLS 1.3 server negotiating TLS 1.2 ends its random "DOWNGRD\1". */
    fixture f;
    assert_true(versions_handshake(&f, TLS1_2_VERSION, TLS1_2_VERSION, TLS1_2_VERSION,
                                   TLS1_3_VERSION));
    assert_string_equal(SSL_get_version(f.link.client), "TLSv1.2");
    const unsigned char *tail = server_random_tail(&f.link.s2c);
    assert_non_null(tail);
    assert_memory_equal(tail, "DOWNGRD\x01", 8);
    fixture_free(&f);
}

static void test_both_ranges_pick_13(void **state)
{
    fixture f;
    assert_true(versions_handshake(&f, TLS1_2_VERSION, TLS1_3_VERSION, TLS1_2_VERSION,
                                   TLS1_3_VERSION));
    assert_string_equal(SSL_get_version(f.link.client), "TLSv1.3");
    assert_string_equal(SSL_get_version(f.link.server), "TLSv1.3");
    fixture_free(&f);
}

/* ---- other TLS 1.2 behaviour ------------------------------------------------------------ */

static void test_reject_expired(void **state)
{
    SSL_CTX *cctx, *sctx;
    make_ctxs(CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_EXPIRED, &cctx, &sctx);
    clasp_test_link link;
    assert_true(clasp_test_link_pair(&link, cctx, sctx, 16384));
    clasp_test_op c = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    clasp_test_op s = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    assert_false(clasp_test_pump(&link, &c, &s));
    assert_int_equal(c.ret, -1);
    assert_op_failed_with(&c, SSL_R_CERTIFICATE_VERIFY_FAILED);
    assert_int_equal(SSL_get_verify_result(link.client), X509_V_ERR_CERT_HAS_EXPIRED);
    assert_op_failed_with(&s, SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED);
    clasp_test_link_free(&link);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_cipher_mismatch(void **state)
{
    SSL_CTX *cctx, *sctx;
    make_ctxs(CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_GOOD, &cctx, &sctx);
    /* The server has an ECDSA certificate only: an RSA suite cannot be served. */
    assert_int_equal(SSL_CTX_set_cipher_list(cctx, "ECDHE-RSA-AES128-GCM-SHA256"), 1);
    clasp_test_link link;
    assert_true(clasp_test_link_pair(&link, cctx, sctx, 16384));
    clasp_test_op c = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    clasp_test_op s = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    assert_false(clasp_test_pump(&link, &c, &s));
    assert_op_failed_with(&s, SSL_R_NO_SHARED_CIPHER);
    assert_op_failed_with(&c, SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
    clasp_test_link_free(&link);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_cert_curve_not_offered(void **state)
{
    /* RFC 8422 §5.3: a P-384 certificate is unusable for a client offering only P-256. */
    SSL_CTX *cctx, *sctx;
    make_ctxs(CLASP_TEST_KEY_P384, CLASP_TEST_LEAF_GOOD, &cctx, &sctx);
    assert_int_equal(SSL_CTX_set1_groups_list(cctx, "P-256"), 1);
    clasp_test_link link;
    assert_true(clasp_test_link_pair(&link, cctx, sctx, 16384));
    clasp_test_op c = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    clasp_test_op s = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    assert_false(clasp_test_pump(&link, &c, &s));
    assert_op_failed_with(&s, SSL_R_NO_SHARED_CIPHER);
    assert_op_failed_with(&c, SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
    clasp_test_link_free(&link);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_key_update_refused(void **state)
{
    SSL_CTX *cctx, *sctx;
    make_ctxs(CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_GOOD, &cctx, &sctx);
    clasp_test_link link;
    assert_true(clasp_test_link_pair(&link, cctx, sctx, 16384));
    assert_true(clasp_test_handshake(&link));
    ERR_clear_error();
    assert_int_equal(SSL_key_update(link.client, SSL_KEY_UPDATE_NOT_REQUESTED), 0);
    assert_int_equal(ERR_GET_REASON(ERR_get_error()), SSL_R_WRONG_SSL_VERSION);
    assert_true(clasp_test_transfer(&link, 1, 100));
    clasp_test_link_free(&link);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static char keylog_line[400];

static void keylog_callback(const SSL *ssl, const char *line)
{
    if (SSL_is_server(ssl) == 0) {
        snprintf(keylog_line, sizeof(keylog_line), "%s", line);
    }
}

static void test_keylog_client_random(void **state)
{
    /* TLS 1.2 logs one line: CLIENT_RANDOM <random, 64 hex> <master secret, 96 hex>. */
    SSL_CTX *cctx, *sctx;
    make_ctxs(CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_GOOD, &cctx, &sctx);
    SSL_CTX_set_keylog_callback(cctx, keylog_callback);
    keylog_line[0] = '\0';
    clasp_test_link link;
    assert_true(clasp_test_link_trickle(&link, cctx, sctx, 65536, 0));
    link.capture = 1;
    assert_true(clasp_test_handshake(&link));
    char random_hex[65];
    for (int i = 0; i < 32; i++) {
        snprintf(random_hex + 2 * i, 3, "%02x", link.c2s.data[5 + 4 + 2 + i]);
    }
    assert_int_equal(strlen(keylog_line), strlen("CLIENT_RANDOM") + 1 + 64 + 1 + 96);
    assert_memory_equal(keylog_line, "CLIENT_RANDOM ", 14);
    assert_memory_equal(keylog_line + 14, random_hex, 64);
    clasp_test_link_free(&link);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* ---- main ------------------------------------------------------------------------------- */

static int add_case(struct CMUnitTest *tests, int n, const suite12 *suite, unsigned group,
                    unsigned via, clasp_test_key key)
{
    hs_case *c = &cases[n];
    c->suite = suite;
    c->group = group;
    c->via = via;
    c->key = key;
    c->seed = 1000 + (uint32_t)n;
    snprintf(c->name, sizeof(c->name), "tls12 %s %s %s %s", via_names[via], suite->name,
             groups[group].name, clasp_test_key_name(key));
    tests[n].name = c->name;
    tests[n].test_func = test_matrix;
    tests[n].setup_func = NULL;
    tests[n].teardown_func = NULL;
    tests[n].initial_state = c;
    return n + 1;
}

static int build_cases(struct CMUnitTest *tests)
{
    int n = 0;
    for (unsigned via = 0; via < NUM_VIAS; via++) {
        for (unsigned s = 0; s < NUM_SUITES; s++) {
            for (unsigned g = 0; g < NUM_GROUPS; g++) {
                const clasp_test_key *keys = suites[s].ecdsa ? ecdsa_keys : rsa_keys;
                size_t num_keys = suites[s].ecdsa ? 3 : 2;
                for (size_t k = 0; k < num_keys; k++) {
                    /* RSA-4096: one row (first RSA suite, first group, every transport). */
                    if (keys[k] == CLASP_TEST_KEY_RSA4096 && (s != 3 || g != 0)) {
                        continue;
                    }
                    n = add_case(tests, n, &suites[s], g, via, keys[k]);
                }
            }
        }
    }
    return n;
}

#define NUM_FIXED 10

int main(void)
{
    static struct CMUnitTest tests[MAX_CASES + NUM_FIXED];
    static const struct CMUnitTest fixed[NUM_FIXED] = {
        cmocka_unit_test(test_client_max_12_against_13_only_server),
        cmocka_unit_test(test_client_13_only_against_server_max_12),
        cmocka_unit_test(test_client_12_13_against_server_max_12),
        cmocka_unit_test(test_downgrade_sentinel),
        cmocka_unit_test(test_both_ranges_pick_13),
        cmocka_unit_test(test_reject_expired),
        cmocka_unit_test(test_cipher_mismatch),
        cmocka_unit_test(test_cert_curve_not_offered),
        cmocka_unit_test(test_key_update_refused),
        cmocka_unit_test(test_keylog_client_random),
    };
    int n = build_cases(tests);
    memcpy(&tests[n], fixed, sizeof(fixed));
    n += NUM_FIXED;
    /* The table is sized for the full product; run only what was filled in. */
    return _cmocka_run_group_tests("tls12", tests, (size_t)n, clasp_test_group_setup,
                                   clasp_test_group_teardown);
}

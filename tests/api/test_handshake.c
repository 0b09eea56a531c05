/*
 * TLS 1.3 handshakes through the OpenSSL API: every cipher suite × key-exchange group × server
 * certificate type, over a 16 KiB BIO pair (with application data of several sizes both
 * ways), over the one-byte trickle and over the random-piece trickle; small BIO pairs; and
 * HelloRetryRequest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/testutil.h"

#include <openssl/evp.h>
#include <openssl/obj_mac.h>

static const char *const suites[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                     "TLS_CHACHA20_POLY1305_SHA256"};
#define NUM_SUITES (sizeof(suites) / sizeof(suites[0]))

static const struct {
    const char *name;
    int nid;
} groups[] = {{"X25519", NID_X25519}, {"P-256", NID_X9_62_prime256v1}, {"P-384", NID_secp384r1}};
#define NUM_GROUPS (sizeof(groups) / sizeof(groups[0]))

#define NUM_KEYS CLASP_TEST_KEY_COUNT

enum { VIA_PAIR, VIA_TRICKLE_ONE, VIA_TRICKLE_RANDOM, NUM_VIAS };
static const char *const via_names[NUM_VIAS] = {"pair16k", "trickle1", "trickle-random"};

#define NUM_CASES (NUM_VIAS * NUM_SUITES * NUM_GROUPS * NUM_KEYS)

typedef struct {
    unsigned suite, group, via;
    clasp_test_key key;
    char name[112];
} hs_case;

static hs_case cases[NUM_CASES];

/* Application data sizes sent both ways over the 16 KiB pair: around one full record. */
static const size_t pair_sizes[] = {1, 1000, 16383, 16384, 16385, 100000};
/* The trickle moves data one byte per round: keep it short but still crossing a record. */
static const size_t trickle_sizes[] = {1, 16385};

/* The signature type OpenSSL reports for a server key in TLS 1.3 (RSA keys sign with PSS). */
static int expected_sig_type(clasp_test_key key)
{
    switch (key) {
    case CLASP_TEST_KEY_P256:
    case CLASP_TEST_KEY_P384:
        return EVP_PKEY_EC;
    case CLASP_TEST_KEY_RSA2048:
    case CLASP_TEST_KEY_RSA4096:
        return EVP_PKEY_RSA_PSS;
    case CLASP_TEST_KEY_ED25519:
        return EVP_PKEY_ED25519;
    default:
        return NID_undef;
    }
}

static void check_tls13_session(SSL *ssl, const char *suite, int group_nid)
{
    assert_true(SSL_is_init_finished(ssl));
    assert_false(SSL_in_init(ssl));
    assert_string_equal(SSL_get_version(ssl), "TLSv1.3");
    assert_int_equal(SSL_version(ssl), TLS1_3_VERSION);
    const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
    assert_non_null(cipher);
    assert_string_equal(SSL_CIPHER_standard_name(cipher), suite);
    /* For TLS 1.3 suites OpenSSL's own name is the IANA name. */
    assert_string_equal(SSL_CIPHER_get_name(cipher), suite);
    assert_int_equal(SSL_get_negotiated_group(ssl), group_nid);
}

/* The client checks the server's chain and name; everything the matrix asserts afterwards. */
static void check_handshake_result(clasp_test_link *link, const hs_case *c)
{
    const char *suite = suites[c->suite];
    check_tls13_session(link->client, suite, groups[c->group].nid);
    check_tls13_session(link->server, suite, groups[c->group].nid);
    assert_int_equal(SSL_get_verify_result(link->client), X509_V_OK);
    int sig_type = NID_undef;
    assert_int_equal(SSL_get_peer_signature_type_nid(link->client, &sig_type), 1);
    assert_int_equal(sig_type, expected_sig_type(c->key));
    X509 *peer = SSL_get1_peer_certificate(link->client);
    assert_non_null(peer);
    assert_int_equal(X509_cmp(peer, clasp_test_leaf_get0(c->key, CLASP_TEST_LEAF_GOOD)), 0);
    X509_free(peer);
}

static int make_link(clasp_test_link *link, const hs_case *c, SSL_CTX *cctx, SSL_CTX *sctx)
{
    uint32_t seed = 1 + (uint32_t)(c - cases);
    switch (c->via) {
    case VIA_PAIR:
        return clasp_test_link_pair(link, cctx, sctx, 16384);
    case VIA_TRICKLE_ONE:
        return clasp_test_link_trickle(link, cctx, sctx, 1, 0);
    case VIA_TRICKLE_RANDOM:
        return clasp_test_link_trickle(link, cctx, sctx, 700, seed);
    default:
        return 0;
    }
}

static void test_matrix(void **state)
{
    const hs_case *c = *state;
    const char *suite = suites[c->suite];
    SSL_CTX *sctx = clasp_test_server_ctx(c->key, CLASP_TEST_LEAF_GOOD);
    SSL_CTX *cctx = clasp_test_client_ctx();
    assert_non_null(sctx);
    assert_non_null(cctx);
    assert_int_equal(SSL_CTX_set_ciphersuites(sctx, suite), 1);
    assert_int_equal(SSL_CTX_set_ciphersuites(cctx, suite), 1);
    assert_int_equal(SSL_CTX_set1_groups_list(cctx, groups[c->group].name), 1);

    clasp_test_link link;
    assert_true(make_link(&link, c, cctx, sctx));
    assert_int_equal(SSL_set1_host(link.client, "localhost"), 1);
    assert_true(clasp_test_handshake(&link));
    check_handshake_result(&link, c);
    if (c->via == VIA_TRICKLE_ONE) {
        /* One byte per direction and round: the rounds bound the bytes from below. */
        assert_true(link.rounds >= BIO_number_read(link.client_in));
        assert_true(link.rounds >= BIO_number_read(link.server_in));
        assert_true(BIO_number_read(link.server_in) > 200);
    }

    const size_t *sizes = c->via == VIA_PAIR ? pair_sizes : trickle_sizes;
    size_t num_sizes = c->via == VIA_PAIR ? sizeof(pair_sizes) / sizeof(pair_sizes[0])
                                          : sizeof(trickle_sizes) / sizeof(trickle_sizes[0]);
    for (size_t i = 0; i < num_sizes; i++) {
        assert_true(clasp_test_transfer(&link, 1, sizes[i]));
        assert_true(clasp_test_transfer(&link, 0, sizes[i]));
    }
    clasp_test_link_free(&link);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* ---- small BIO pairs -------------------------------------------------------------------- */

/* Handshake and a two-record transfer each way through a BIO pair of `bufsize` bytes. */
static void handshake_over_pair(size_t bufsize, clasp_test_key key)
{
    SSL_CTX *sctx = clasp_test_server_ctx(key, CLASP_TEST_LEAF_GOOD);
    SSL_CTX *cctx = clasp_test_client_ctx();
    assert_non_null(sctx);
    assert_non_null(cctx);
    clasp_test_link link;
    assert_true(clasp_test_link_pair(&link, cctx, sctx, bufsize));
    assert_int_equal(SSL_set1_host(link.client, "localhost"), 1);
    assert_true(clasp_test_handshake(&link));
    assert_int_equal(SSL_get_verify_result(link.client), X509_V_OK);
    assert_string_equal(SSL_get_version(link.server), "TLSv1.3");
    assert_true(clasp_test_transfer(&link, 1, 16385));
    assert_true(clasp_test_transfer(&link, 0, 16385));
    clasp_test_link_free(&link);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_pair_1_byte(void **state)
{
    handshake_over_pair(1, CLASP_TEST_KEY_P256);
}

static void test_pair_17_bytes(void **state)
{
    handshake_over_pair(17, CLASP_TEST_KEY_RSA2048);
}

static void test_pair_1_byte_big_transfer(void **state)
{
    SSL_CTX *sctx = clasp_test_server_ctx(CLASP_TEST_KEY_ED25519, CLASP_TEST_LEAF_GOOD);
    SSL_CTX *cctx = clasp_test_client_ctx();
    assert_non_null(sctx);
    assert_non_null(cctx);
    clasp_test_link link;
    assert_true(clasp_test_link_pair(&link, cctx, sctx, 1));
    assert_true(clasp_test_handshake(&link));
    assert_true(clasp_test_transfer(&link, 1, 100000));
    assert_true(clasp_test_transfer(&link, 0, 100000));
    clasp_test_link_free(&link);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* ---- HelloRetryRequest ------------------------------------------------------------------ */

/*
 * Client groups `client_groups` (key share for the first only), server `server_groups`: the
 * handshake completes with `want_nid`, and a HelloRetryRequest was sent iff `want_hrr`.
 */
static void hrr_case(const char *client_groups, const char *server_groups, int want_nid,
                     int want_hrr, size_t max_piece)
{
    SSL_CTX *sctx = clasp_test_server_ctx(CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_GOOD);
    SSL_CTX *cctx = clasp_test_client_ctx();
    assert_non_null(sctx);
    assert_non_null(cctx);
    assert_int_equal(SSL_CTX_set1_groups_list(sctx, server_groups), 1);
    clasp_test_link link;
    assert_true(clasp_test_link_trickle(&link, cctx, sctx, max_piece, max_piece > 1 ? 77 : 0));
    link.capture = 1;
    if (client_groups != NULL) {
        assert_int_equal(SSL_set1_groups_list(link.client, client_groups), 1);
    }
    assert_int_equal(SSL_set1_host(link.client, "localhost"), 1);
    assert_true(clasp_test_handshake(&link));
    assert_int_equal(SSL_get_negotiated_group(link.client), want_nid);
    assert_int_equal(SSL_get_negotiated_group(link.server), want_nid);
    assert_int_equal(SSL_get_verify_result(link.client), X509_V_OK);
    assert_int_equal(clasp_test_has_hrr(&link.s2c), want_hrr);
    /* RFC 9846 §4.2.2: after a HelloRetryRequest the client sends a second ClientHello. */
    assert_int_equal(clasp_test_count_plain_hs(&link.c2s, 1), want_hrr ? 2 : 1);
    assert_true(clasp_test_transfer(&link, 1, 5000));
    assert_true(clasp_test_transfer(&link, 0, 5000));
    clasp_test_link_free(&link);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_hrr_to_p256(void **state)
{
    hrr_case("X25519:P-256", "P-256", NID_X9_62_prime256v1, 1, 500);
}

static void test_hrr_to_p256_one_byte(void **state)
{
    hrr_case("X25519:P-256", "P-256", NID_X9_62_prime256v1, 1, 1);
}

static void test_hrr_default_client_groups(void **state)
{
    /* The default client offers a key share for X25519 only. */
    hrr_case(NULL, "P-384", NID_secp384r1, 1, 500);
}

static void test_no_hrr_when_share_matches(void **state)
{
    hrr_case("P-256:X25519", "P-256", NID_X9_62_prime256v1, 0, 500);
}

static void test_hrr_server_preference(void **state)
{
    /* A usable key share is taken even if the server lists another group first: no retry. */
    hrr_case("X25519:P-384", "P-384:X25519", NID_X25519, 0, 500);
}

static void test_no_common_group(void **state)
{
    SSL_CTX *sctx = clasp_test_server_ctx(CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_GOOD);
    SSL_CTX *cctx = clasp_test_client_ctx();
    assert_non_null(sctx);
    assert_non_null(cctx);
    assert_int_equal(SSL_CTX_set1_groups_list(sctx, "P-384"), 1);
    assert_int_equal(SSL_CTX_set1_groups_list(cctx, "X25519:P-256"), 1);
    clasp_test_link link;
    assert_true(clasp_test_link_pair(&link, cctx, sctx, 16384));
    clasp_test_op c = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    clasp_test_op s = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    assert_false(clasp_test_pump(&link, &c, &s));
    /* RFC 9846 §4.2.1: no overlap in parameters → handshake_failure. */
    assert_op_failed_with(&s, SSL_R_NO_SUITABLE_KEY_SHARE);
    assert_op_failed_with(&c, SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
    clasp_test_link_free(&link);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* ---- main ------------------------------------------------------------------------------- */

static int build_cases(struct CMUnitTest *tests)
{
    int n = 0;
    for (unsigned via = 0; via < NUM_VIAS; via++) {
        for (unsigned s = 0; s < NUM_SUITES; s++) {
            for (unsigned g = 0; g < NUM_GROUPS; g++) {
                for (unsigned k = 0; k < NUM_KEYS; k++) {
                    hs_case *c = &cases[n];
                    c->suite = s;
                    c->group = g;
                    c->via = via;
                    c->key = (clasp_test_key)k;
                    snprintf(c->name, sizeof(c->name), "tls13 %s %s %s %s", via_names[via],
                             suites[s], groups[g].name, clasp_test_key_name(c->key));
                    tests[n].name = c->name;
                    tests[n].test_func = test_matrix;
                    tests[n].setup_func = NULL;
                    tests[n].teardown_func = NULL;
                    tests[n].initial_state = c;
                    n++;
                }
            }
        }
    }
    return n;
}

int main(void)
{
    static struct CMUnitTest tests[NUM_CASES + 9] = {
        [NUM_CASES + 0] = cmocka_unit_test(test_pair_1_byte),
        [NUM_CASES + 1] = cmocka_unit_test(test_pair_17_bytes),
        [NUM_CASES + 2] = cmocka_unit_test(test_pair_1_byte_big_transfer),
        [NUM_CASES + 3] = cmocka_unit_test(test_hrr_to_p256),
        [NUM_CASES + 4] = cmocka_unit_test(test_hrr_to_p256_one_byte),
        [NUM_CASES + 5] = cmocka_unit_test(test_hrr_default_client_groups),
        [NUM_CASES + 6] = cmocka_unit_test(test_no_hrr_when_share_matches),
        [NUM_CASES + 7] = cmocka_unit_test(test_hrr_server_preference),
        [NUM_CASES + 8] = cmocka_unit_test(test_no_common_group),
    };
    build_cases(tests);
    return cmocka_run_group_tests(tests, clasp_test_group_setup, clasp_test_group_teardown);
}

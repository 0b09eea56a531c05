/*
 * Certificate verification through the OpenSSL API: failures with SSL_VERIFY_PEER (expired,
 * wrong host, unknown CA, chain too long) and the alert the server receives; the same leaves
 * with SSL_VERIFY_NONE; verify callbacks; peer certificate getters; client authentication.
 */
#include <stdio.h>
#include <string.h>

#include "helpers/testutil.h"

#include <openssl/x509_vfy.h>

/* A client/server pair over a 16 KiB BIO pair; server leaf of the given kind. */
typedef struct {
    SSL_CTX *cctx, *sctx;
    clasp_test_link link;
    clasp_test_op c, s;
} verify_fixture;

static void fixture_init(verify_fixture *f, clasp_test_key key, clasp_test_leaf kind)
{
    memset(f, 0, sizeof(*f));
    f->sctx = clasp_test_server_ctx(key, kind);
    f->cctx = clasp_test_client_ctx();
    assert_non_null(f->sctx);
    assert_non_null(f->cctx);
}

static void fixture_link(verify_fixture *f)
{
    assert_true(clasp_test_link_pair(&f->link, f->cctx, f->sctx, 16384));
    assert_int_equal(SSL_set1_host(f->link.client, "localhost"), 1);
}

/* Runs both handshakes; returns 1 if both succeeded. */
static int fixture_handshake(verify_fixture *f)
{
    f->c = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    f->s = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    return clasp_test_pump(&f->link, &f->c, &f->s);
}

static void fixture_free(verify_fixture *f)
{
    clasp_test_link_free(&f->link);
    SSL_CTX_free(f->cctx);
    SSL_CTX_free(f->sctx);
}

/* ---- SSL_VERIFY_PEER failures ----------------------------------------------------------- */

/*
 * The client rejects the server's leaf: its handshake returns exactly -1 with SSL_ERROR_SSL
 * and SSL_R_CERTIFICATE_VERIFY_FAILED, the verify result is `verify_err`, and the server's
 * handshake fails on the alert, reported as `server_reason`.
 */
static void reject_case(clasp_test_leaf kind, long verify_err, int server_reason)
{
    verify_fixture f;
    fixture_init(&f, CLASP_TEST_KEY_P256, kind);
    fixture_link(&f);
    assert_false(fixture_handshake(&f));
    assert_int_equal(f.c.ret, -1);
    assert_op_failed_with(&f.c, SSL_R_CERTIFICATE_VERIFY_FAILED);
    assert_int_equal(SSL_get_verify_result(f.link.client), verify_err);
    assert_int_equal(f.s.ret, -1);
    assert_op_failed_with(&f.s, server_reason);
    assert_false(SSL_is_init_finished(f.link.client));
    assert_false(SSL_is_init_finished(f.link.server));
    fixture_free(&f);
}

static void test_reject_expired(void **state)
{
    reject_case(CLASP_TEST_LEAF_EXPIRED, X509_V_ERR_CERT_HAS_EXPIRED,
                SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED);
}

static void test_reject_wrong_host(void **state)
{
    reject_case(CLASP_TEST_LEAF_WRONG_HOST, X509_V_ERR_HOSTNAME_MISMATCH,
                SSL_R_SSLV3_ALERT_BAD_CERTIFICATE);
}

static void test_reject_unknown_ca(void **state)
{
    reject_case(CLASP_TEST_LEAF_UNKNOWN_CA, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                SSL_R_TLSV1_ALERT_UNKNOWN_CA);
}

static void test_reject_without_trusted_root(void **state)
{
    /* A client whose store is empty cannot build a path to any root. */
    verify_fixture f;
    fixture_init(&f, CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_GOOD);
    SSL_CTX_free(f.cctx);
    f.cctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(f.cctx);
    SSL_CTX_set_verify(f.cctx, SSL_VERIFY_PEER, NULL);
    fixture_link(&f);
    assert_false(fixture_handshake(&f));
    assert_op_failed_with(&f.c, SSL_R_CERTIFICATE_VERIFY_FAILED);
    assert_int_equal(SSL_get_verify_result(f.link.client),
                     X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    assert_op_failed_with(&f.s, SSL_R_TLSV1_ALERT_UNKNOWN_CA);
    fixture_free(&f);
}

static void test_verify_depth(void **state)
{
    /* leaf (0) ← intermediate (1) ← root (2): depth 0 is too short, depth 1 suffices. */
    verify_fixture f;
    fixture_init(&f, CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_GOOD);
    SSL_CTX_set_verify_depth(f.cctx, 0);
    fixture_link(&f);
    assert_false(fixture_handshake(&f));
    assert_op_failed_with(&f.c, SSL_R_CERTIFICATE_VERIFY_FAILED);
    assert_int_equal(SSL_get_verify_result(f.link.client), X509_V_ERR_CERT_CHAIN_TOO_LONG);
    clasp_test_link_free(&f.link);

    SSL_CTX_set_verify_depth(f.cctx, 1);
    fixture_link(&f);
    assert_true(fixture_handshake(&f));
    assert_int_equal(SSL_get_verify_result(f.link.client), X509_V_OK);
    fixture_free(&f);
}

/* ---- SSL_VERIFY_NONE -------------------------------------------------------------------- */

/* The handshake completes, and the verify result still records what was wrong. */
static void accept_unverified_case(clasp_test_leaf kind, long verify_err)
{
    verify_fixture f;
    fixture_init(&f, CLASP_TEST_KEY_P256, kind);
    SSL_CTX_set_verify(f.cctx, SSL_VERIFY_NONE, NULL);
    fixture_link(&f);
    assert_true(fixture_handshake(&f));
    assert_int_equal(SSL_get_verify_result(f.link.client), verify_err);
    assert_true(clasp_test_transfer(&f.link, 1, 100));
    fixture_free(&f);
}

static void test_none_expired(void **state)
{
    accept_unverified_case(CLASP_TEST_LEAF_EXPIRED, X509_V_ERR_CERT_HAS_EXPIRED);
}

static void test_none_wrong_host(void **state)
{
    accept_unverified_case(CLASP_TEST_LEAF_WRONG_HOST, X509_V_ERR_HOSTNAME_MISMATCH);
}

static void test_none_unknown_ca(void **state)
{
    accept_unverified_case(CLASP_TEST_LEAF_UNKNOWN_CA, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

static void test_per_ssl_verify_overrides_ctx(void **state)
{
    /* SSL_set_verify on the connection wins over the context's SSL_VERIFY_PEER. */
    verify_fixture f;
    fixture_init(&f, CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_EXPIRED);
    fixture_link(&f);
    SSL_set_verify(f.link.client, SSL_VERIFY_NONE, NULL);
    assert_true(fixture_handshake(&f));
    assert_int_equal(SSL_get_verify_result(f.link.client), X509_V_ERR_CERT_HAS_EXPIRED);
    fixture_free(&f);
}

/* ---- verify callbacks ------------------------------------------------------------------- */

typedef struct {
    SSL *expected_ssl;
    int calls;
    int ssl_matches;     /* the X509_STORE_CTX's ex_data slot held expected_ssl every time */
    int saw_error;       /* X509_STORE_CTX_get_error seen with preverify_ok == 0 */
    int max_depth;       /* deepest X509_STORE_CTX_get_error_depth seen */
    int override;        /* return 1 even when preverify_ok == 0 */
    int reject_at_depth; /* return 0 at this depth (-1: never) */
} cb_record;

static int cb_index = -1;

static int record_verify(int preverify_ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    cb_record *rec = ssl != NULL ? SSL_get_ex_data(ssl, cb_index) : NULL;
    if (rec == NULL) {
        return 0;
    }
    int depth = X509_STORE_CTX_get_error_depth(store);
    rec->calls++;
    rec->ssl_matches = (rec->calls == 1 || rec->ssl_matches) && ssl == rec->expected_ssl;
    if (depth > rec->max_depth) {
        rec->max_depth = depth;
    }
    if (!preverify_ok && rec->saw_error == X509_V_OK) {
        rec->saw_error = X509_STORE_CTX_get_error(store);
    }
    if (depth == rec->reject_at_depth) {
        return 0;
    }
    return rec->override ? 1 : preverify_ok;
}

static void callback_case(clasp_test_leaf kind, cb_record *rec, int want_ok)
{
    verify_fixture f;
    fixture_init(&f, CLASP_TEST_KEY_P256, kind);
    SSL_CTX_set_verify(f.cctx, SSL_VERIFY_PEER, record_verify);
    fixture_link(&f);
    rec->expected_ssl = f.link.client;
    assert_int_equal(SSL_set_ex_data(f.link.client, cb_index, rec), 1);
    assert_int_equal(fixture_handshake(&f), want_ok);
    assert_true(rec->calls > 0);
    assert_true(rec->ssl_matches);
    if (!want_ok) {
        assert_op_failed_with(&f.c, SSL_R_CERTIFICATE_VERIFY_FAILED);
        /*
         * A callback that rejects a chain libcrypto found fine leaves X509_V_ERR_UNSPECIFIED,
         * which OpenSSL's error-to-alert table turns into internal_error.
         */
        assert_int_equal(SSL_get_verify_result(f.link.client), X509_V_ERR_UNSPECIFIED);
        assert_op_failed_with(&f.s, SSL_R_TLSV1_ALERT_INTERNAL_ERROR);
    }
    rec->expected_ssl = NULL;
    fixture_free(&f);
}

static void test_callback_sees_good_chain(void **state)
{
    cb_record rec = {.reject_at_depth = -1};
    callback_case(CLASP_TEST_LEAF_GOOD, &rec, 1);
    assert_int_equal(rec.saw_error, X509_V_OK);
    assert_int_equal(rec.max_depth, 2); /* leaf, intermediate, root */
}

static void test_callback_overrides_expired(void **state)
{
    cb_record rec = {.override = 1, .reject_at_depth = -1};
    callback_case(CLASP_TEST_LEAF_EXPIRED, &rec, 1);
    assert_int_equal(rec.saw_error, X509_V_ERR_CERT_HAS_EXPIRED);
}

static void test_callback_overrides_unknown_ca(void **state)
{
    cb_record rec = {.override = 1, .reject_at_depth = -1};
    callback_case(CLASP_TEST_LEAF_UNKNOWN_CA, &rec, 1);
    assert_int_equal(rec.saw_error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

static void test_callback_rejects_good_chain(void **state)
{
    cb_record rec = {.reject_at_depth = 0};
    callback_case(CLASP_TEST_LEAF_GOOD, &rec, 0);
}

static void test_override_leaves_verify_result(void **state)
{
    /* The handshake completes, but the verify result still names the error. */
    verify_fixture f;
    cb_record rec = {.override = 1, .reject_at_depth = -1};
    fixture_init(&f, CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_WRONG_HOST);
    SSL_CTX_set_verify(f.cctx, SSL_VERIFY_PEER, record_verify);
    fixture_link(&f);
    rec.expected_ssl = f.link.client;
    assert_int_equal(SSL_set_ex_data(f.link.client, cb_index, &rec), 1);
    assert_true(fixture_handshake(&f));
    assert_int_equal(rec.saw_error, X509_V_ERR_HOSTNAME_MISMATCH);
    assert_int_equal(SSL_get_verify_result(f.link.client), X509_V_ERR_HOSTNAME_MISMATCH);
    fixture_free(&f);
}

/* ---- peer certificate getters ----------------------------------------------------------- */

static void test_peer_certificate_getters(void **state)
{
    verify_fixture f;
    fixture_init(&f, CLASP_TEST_KEY_P384, CLASP_TEST_LEAF_GOOD);
    fixture_link(&f);
    assert_null(SSL_get1_peer_certificate(f.link.client));
    assert_null(SSL_get_peer_cert_chain(f.link.client));
    assert_true(fixture_handshake(&f));

    X509 *leaf = clasp_test_leaf_get0(CLASP_TEST_KEY_P384, CLASP_TEST_LEAF_GOOD);
    X509 *peer = SSL_get1_peer_certificate(f.link.client);
    assert_non_null(peer);
    assert_int_equal(X509_cmp(peer, leaf), 0);
    /* get1: a new reference each time; the caller frees it and the SSL keeps its own. */
    X509 *again = SSL_get1_peer_certificate(f.link.client);
    assert_ptr_equal(again, peer);
    X509_free(again);
    X509_free(peer);
    peer = SSL_get1_peer_certificate(f.link.client);
    assert_non_null(peer);
    assert_int_equal(X509_cmp(peer, leaf), 0);
    X509_free(peer);

    /* On the client the chain is what the server sent, leaf first. */
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(f.link.client);
    assert_non_null(chain);
    assert_int_equal(sk_X509_num(chain), 2);
    assert_int_equal(X509_cmp(sk_X509_value(chain, 0), leaf), 0);
    assert_int_equal(X509_cmp(sk_X509_value(chain, 1), clasp_test_intermediate_get0()), 0);

    /* No client certificate was asked for. */
    assert_null(SSL_get1_peer_certificate(f.link.server));
    assert_null(SSL_get_peer_cert_chain(f.link.server));
    fixture_free(&f);
}

/* ---- client authentication -------------------------------------------------------------- */

/* Server asks for a client certificate; `with_cert`: client presents the RSA-2048 leaf. */
static void client_auth_setup(verify_fixture *f, int mode, int with_cert)
{
    fixture_init(f, CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_GOOD);
    assert_true(clasp_test_ctx_trust_root(f->sctx));
    SSL_CTX_set_verify(f->sctx, mode, NULL);
    if (with_cert) {
        assert_true(clasp_test_ctx_use_leaf(f->cctx, CLASP_TEST_KEY_RSA2048, CLASP_TEST_LEAF_GOOD));
    }
    fixture_link(f);
}

static void test_client_auth(void **state)
{
    verify_fixture f;
    client_auth_setup(&f, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, 1);
    assert_true(fixture_handshake(&f));
    assert_int_equal(SSL_get_verify_result(f.link.server), X509_V_OK);
    X509 *peer = SSL_get1_peer_certificate(f.link.server);
    assert_non_null(peer);
    assert_int_equal(X509_cmp(peer, clasp_test_leaf_get0(CLASP_TEST_KEY_RSA2048,
                                                         CLASP_TEST_LEAF_GOOD)),
                     0);
    X509_free(peer);
    /* On the server the chain does not include the leaf (OpenSSL's documented asymmetry). */
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(f.link.server);
    assert_non_null(chain);
    assert_int_equal(sk_X509_num(chain), 1);
    assert_int_equal(X509_cmp(sk_X509_value(chain, 0), clasp_test_intermediate_get0()), 0);
    assert_true(clasp_test_transfer(&f.link, 1, 1000));
    fixture_free(&f);
}

static void test_client_auth_optional_without_cert(void **state)
{
    verify_fixture f;
    client_auth_setup(&f, SSL_VERIFY_PEER, 0);
    assert_true(fixture_handshake(&f));
    assert_null(SSL_get1_peer_certificate(f.link.server));
    assert_true(clasp_test_transfer(&f.link, 1, 1000));
    fixture_free(&f);
}

static void test_client_auth_required_without_cert(void **state)
{
    /*
     * In TLS 1.3 the client's handshake is complete once it sent its (empty) Certificate and
     * Finished; the server's certificate_required alert (RFC 9846 §4.5.1.3) reaches the client
     * on its next read.
     */
    verify_fixture f;
    client_auth_setup(&f, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, 0);
    assert_false(fixture_handshake(&f));
    assert_true(f.c.ok);
    assert_op_failed_with(&f.s, SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE);
    unsigned char buf[16];
    clasp_test_op r = clasp_test_op_read(buf, sizeof(buf));
    clasp_test_op idle = clasp_test_op_new(CLASP_TEST_OP_IDLE);
    assert_false(clasp_test_pump(&f.link, &r, &idle));
    assert_op_failed_with(&r, SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED);
    fixture_free(&f);
}

int main(void)
{
    cb_index = SSL_get_ex_new_index(0, "verify callback record", NULL, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reject_expired),
        cmocka_unit_test(test_reject_wrong_host),
        cmocka_unit_test(test_reject_unknown_ca),
        cmocka_unit_test(test_reject_without_trusted_root),
        cmocka_unit_test(test_verify_depth),
        cmocka_unit_test(test_none_expired),
        cmocka_unit_test(test_none_wrong_host),
        cmocka_unit_test(test_none_unknown_ca),
        cmocka_unit_test(test_per_ssl_verify_overrides_ctx),
        cmocka_unit_test(test_callback_sees_good_chain),
        cmocka_unit_test(test_callback_overrides_expired),
        cmocka_unit_test(test_callback_overrides_unknown_ca),
        cmocka_unit_test(test_callback_rejects_good_chain),
        cmocka_unit_test(test_override_leaves_verify_result),
        cmocka_unit_test(test_peer_certificate_getters),
        cmocka_unit_test(test_client_auth),
        cmocka_unit_test(test_client_auth_optional_without_cert),
        cmocka_unit_test(test_client_auth_required_without_cert),
    };
    return cmocka_run_group_tests(tests, clasp_test_group_setup, clasp_test_group_teardown);
}

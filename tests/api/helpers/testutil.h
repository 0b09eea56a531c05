/*
 * Small shared pieces of the API tests that need cmocka: include after <cmocka.h>'s
 * prerequisites. Everything here is static inline so that helpers stay cmocka-free.
 */
#ifndef CLASP_TEST_TESTUTIL_H
#define CLASP_TEST_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/err.h>

#include "pki.h"
#include "pump.h"

/*
 * Asserts that an operation failed with SSL_ERROR_SSL and left exactly one error on the queue:
 * ERR_LIB_SSL with `reason` (one error at the point of detection, as OpenSSL does).
 */
#define assert_op_failed_with(op, reason)                                                          \
    do {                                                                                           \
        if (!(op)->finished || (op)->ok || (op)->err != SSL_ERROR_SSL ||                          \
            !clasp_test_op_has_reason((op), ERR_LIB_SSL, (reason))) {                             \
            clasp_test_op_print(#op, (op));                                                        \
        }                                                                                          \
        assert_true((op)->finished);                                                               \
        assert_false((op)->ok);                                                                    \
        assert_int_equal((op)->err, SSL_ERROR_SSL);                                                \
        assert_int_equal(ERR_GET_LIB(clasp_test_op_first_err(op)), ERR_LIB_SSL);                  \
        assert_int_equal(ERR_GET_REASON(clasp_test_op_first_err(op)), (reason));                  \
        assert_int_equal((op)->num_errs, 1);                                                       \
    } while (0)

/* Group setup/teardown shared by the test programs: builds the PKI once, frees it at the end. */
static inline int clasp_test_group_setup(void **state)
{
    (void)state;
    return clasp_test_root_get0() != NULL && clasp_test_intermediate_get0() != NULL ? 0 : -1;
}

static inline int clasp_test_group_teardown(void **state)
{
    (void)state;
    clasp_test_pki_free();
    return 0;
}

#endif

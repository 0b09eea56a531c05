/* The TLS 1.3 record layer on its own (RFC 9846 §5): protection round
 * trips, content-type hiding and padding, size limits, tampering, and
 * records that arrive one byte at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ssl.h>

#include "record/record.h"

static clasp_crypto *crypto;
static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t iv[12] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa};

static int setup(void **state)
{
    (void)state;
    crypto = clasp_crypto_new(NULL, NULL);
    return crypto != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    clasp_crypto_free(crypto);
    return 0;
}

/* A sender and a receiver sharing one key. */
typedef struct {
    clasp_record tx;
    clasp_record rx;
} link_t;

static void link_init(link_t *l, int protect)
{
    assert_true(clasp_rec_init(&l->tx));
    assert_true(clasp_rec_init(&l->rx));
    if (protect) {
        assert_true(clasp_rec_set_key(&l->tx.wr, crypto, CLASP_AEAD_AES_128_GCM, key, iv, 1));
        assert_true(clasp_rec_set_key(&l->rx.rd, crypto, CLASP_AEAD_AES_128_GCM, key, iv, 0));
    }
}

static void link_free(link_t *l)
{
    clasp_rec_cleanup(&l->tx);
    clasp_rec_cleanup(&l->rx);
}

/* Moves at most n bytes of the sender's output into the receiver. */
static size_t carry(link_t *l, size_t n)
{
    const uint8_t *out;
    size_t avail = clasp_rec_out_pending(&l->tx, &out);

    if (n > avail) {
        n = avail;
    }
    uint8_t *in;
    size_t space = clasp_rec_in_space(&l->rx, &in);

    if (n > space) {
        n = space;
    }
    memcpy(in, out, n);
    clasp_rec_in_commit(&l->rx, n);
    clasp_rec_out_consume(&l->tx, n);
    return n;
}

/* Puts raw bytes straight into the receiver's input. */
static void inject(link_t *l, const uint8_t *data, size_t len)
{
    uint8_t *in;

    assert_true(clasp_rec_in_space(&l->rx, &in) >= len);
    memcpy(in, data, len);
    clasp_rec_in_commit(&l->rx, len);
}

static void expect_error(link_t *l, int alert)
{
    int a = -1;
    int reason = 0;

    assert_int_equal(clasp_rec_read(&l->rx, &a, &reason), CLASP_REC_ERROR);
    assert_int_equal(a, alert);
    assert_int_not_equal(reason, 0);
}

static void test_round_trip_hides_content_type(void **state)
{
    link_t l;
    const uint8_t *out;
    int alert;
    int reason;

    (void)state;
    link_init(&l, 1);
    assert_true(clasp_rec_write(&l.tx, CLASP_RT_HANDSHAKE, (const uint8_t *)"hello", 5));
    assert_int_equal(clasp_rec_out_pending(&l.tx, &out), 5 + 5 + 1 + 16);
    assert_int_equal(out[0], CLASP_RT_APPLICATION_DATA); /* §5.2: outer type */
    carry(&l, 1 << 20);
    assert_int_equal(clasp_rec_read(&l.rx, &alert, &reason), CLASP_REC_OK);
    assert_int_equal(l.rx.rec_type, CLASP_RT_HANDSHAKE);
    assert_int_equal(l.rx.rec_len, 5);
    assert_memory_equal(l.rx.rec_data, "hello", 5);
    clasp_rec_drop(&l.rx);
    assert_int_equal(l.rx.in_len, 0);
    link_free(&l);
}

static void test_one_byte_at_a_time(void **state)
{
    link_t l;
    uint8_t big[CLASP_MAX_PLAINTEXT + 100];
    int alert;
    int reason;
    size_t got = 0;

    (void)state;
    memset(big, 0x42, sizeof(big));
    link_init(&l, 1);
    assert_true(clasp_rec_write(&l.tx, CLASP_RT_APPLICATION_DATA, big, sizeof(big)));
    while (carry(&l, 1) == 1) {
        clasp_rec_result r = clasp_rec_read(&l.rx, &alert, &reason);
        assert_int_not_equal(r, CLASP_REC_ERROR);
        if (r == CLASP_REC_OK) {
            got += l.rx.rec_len;
            clasp_rec_drop(&l.rx);
        }
    }
    /* split at 2^14 (§5.1) into two records, both delivered whole */
    assert_int_equal(got, sizeof(big));
    link_free(&l);
}

static void test_padding_is_stripped(void **state)
{
    link_t l;
    uint8_t inner[8] = {'o', 'k', CLASP_RT_APPLICATION_DATA, 0, 0, 0, 0, 0};
    int alert;
    int reason;

    (void)state;
    link_init(&l, 1);
    /* Sealing "ok", type 23 and five zero bytes as content of type 0 gives
     * the inner plaintext of "ok" sent as application data with six bytes
     * of padding (RFC 9846 §5.4). */
    assert_true(clasp_rec_write(&l.tx, 0, inner, sizeof(inner)));
    carry(&l, 1 << 20);
    assert_int_equal(clasp_rec_read(&l.rx, &alert, &reason), CLASP_REC_OK);
    assert_int_equal(l.rx.rec_type, CLASP_RT_APPLICATION_DATA);
    assert_int_equal(l.rx.rec_len, 2);
    link_free(&l);
}

static void test_all_zero_inner_plaintext_is_unexpected_message(void **state)
{
    link_t l;
    uint8_t zeros[4] = {0};

    (void)state;
    link_init(&l, 1);
    assert_true(clasp_rec_write(&l.tx, 0, zeros, sizeof(zeros)));
    carry(&l, 1 << 20);
    expect_error(&l, SSL_AD_UNEXPECTED_MESSAGE);
    link_free(&l);
}

static void test_tampered_record_is_bad_record_mac(void **state)
{
    link_t l;

    (void)state;
    link_init(&l, 1);
    assert_true(clasp_rec_write(&l.tx, CLASP_RT_APPLICATION_DATA, (const uint8_t *)"data", 4));
    carry(&l, 1 << 20);
    l.rx.in[7] ^= 0x01;
    expect_error(&l, SSL_AD_BAD_RECORD_MAC);
    link_free(&l);
}

static void test_replayed_record_is_bad_record_mac(void **state)
{
    link_t l;
    uint8_t copy[64];
    size_t n;
    int alert;
    int reason;

    (void)state;
    link_init(&l, 1);
    assert_true(clasp_rec_write(&l.tx, CLASP_RT_APPLICATION_DATA, (const uint8_t *)"data", 4));
    n = carry(&l, 1 << 20);
    memcpy(copy, l.rx.in, n);
    assert_int_equal(clasp_rec_read(&l.rx, &alert, &reason), CLASP_REC_OK);
    clasp_rec_drop(&l.rx);
    inject(&l, copy, n); /* §5.3: the sequence number moved on */
    expect_error(&l, SSL_AD_BAD_RECORD_MAC);
    link_free(&l);
}

static void test_plaintext_over_2_14_is_record_overflow(void **state)
{
    link_t l;
    uint8_t header[5] = {CLASP_RT_HANDSHAKE, 3, 3, 0x40, 0x01}; /* 16385 */

    (void)state;
    link_init(&l, 0);
    inject(&l, header, sizeof(header));
    expect_error(&l, SSL_AD_RECORD_OVERFLOW);
    link_free(&l);
}

static void test_ciphertext_over_limit_is_record_overflow(void **state)
{
    link_t l;
    uint8_t header[5] = {CLASP_RT_APPLICATION_DATA, 3, 3, 0x41, 0x01}; /* 2^14 + 257 */

    (void)state;
    link_init(&l, 1);
    inject(&l, header, sizeof(header));
    expect_error(&l, SSL_AD_RECORD_OVERFLOW);
    link_free(&l);
}

static void test_protected_record_with_wrong_outer_type_is_unexpected(void **state)
{
    link_t l;
    uint8_t rec[5 + 17] = {CLASP_RT_HANDSHAKE, 3, 3, 0, 17};

    (void)state;
    link_init(&l, 1);
    inject(&l, rec, sizeof(rec));
    expect_error(&l, SSL_AD_UNEXPECTED_MESSAGE);
    link_free(&l);
}

static void test_idle_buffers_are_released_and_come_back(void **state)
{
    link_t l;
    int alert;
    int reason;

    (void)state;
    link_init(&l, 1);
    assert_true(clasp_rec_write(&l.tx, CLASP_RT_APPLICATION_DATA, (const uint8_t *)"one", 3));
    carry(&l, 1 << 20);
    clasp_rec_release_idle(&l.tx); /* flushed: the output buffer goes */
    assert_null(l.tx.out.buf);
    clasp_rec_release_idle(&l.rx); /* a record waits: the input stays */
    assert_non_null(l.rx.in);
    assert_int_equal(clasp_rec_read(&l.rx, &alert, &reason), CLASP_REC_OK);
    clasp_rec_drop(&l.rx);
    clasp_rec_release_idle(&l.rx);
    assert_null(l.rx.in);
    {
        uint8_t *in;
        /* it comes back small: handshake records are */
        assert_int_equal(clasp_rec_in_space(&l.rx, &in), CLASP_IN_BUF_INITIAL);
    }
    /* both come back, and the stream goes on where it was */
    assert_true(clasp_rec_write(&l.tx, CLASP_RT_APPLICATION_DATA, (const uint8_t *)"two", 3));
    carry(&l, 1 << 20);
    assert_int_equal(clasp_rec_read(&l.rx, &alert, &reason), CLASP_REC_OK);
    assert_memory_equal(l.rx.rec_data, "two", 3);
    link_free(&l);
}

static void test_incomplete_record_waits(void **state)
{
    link_t l;
    uint8_t rec[5 + 3] = {CLASP_RT_HANDSHAKE, 3, 3, 0, 4, 1, 2, 3};
    int alert;
    int reason;

    (void)state;
    link_init(&l, 0);
    inject(&l, rec, 4);
    assert_int_equal(clasp_rec_read(&l.rx, &alert, &reason), CLASP_REC_NEED_MORE);
    inject(&l, rec + 4, 4);
    assert_int_equal(clasp_rec_read(&l.rx, &alert, &reason), CLASP_REC_NEED_MORE);
    link_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_hides_content_type),
        cmocka_unit_test(test_one_byte_at_a_time),
        cmocka_unit_test(test_padding_is_stripped),
        cmocka_unit_test(test_all_zero_inner_plaintext_is_unexpected_message),
        cmocka_unit_test(test_tampered_record_is_bad_record_mac),
        cmocka_unit_test(test_replayed_record_is_bad_record_mac),
        cmocka_unit_test(test_plaintext_over_2_14_is_record_overflow),
        cmocka_unit_test(test_ciphertext_over_limit_is_record_overflow),
        cmocka_unit_test(test_protected_record_with_wrong_outer_type_is_unexpected),
        cmocka_unit_test(test_incomplete_record_waits),
        cmocka_unit_test(test_idle_buffers_are_released_and_come_back),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

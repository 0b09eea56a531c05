/* ClientHello and ServerHello / HelloRetryRequest parsers. */
#include <openssl/ssl.h>

#include "msg/msg.h"

const uint8_t clasp_hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static int decode_fail(int *reason, int r)
{
    *reason = r;
    return 0;
}

/* An extensions block is optional at the end of a hello (RFC 9846 §4.2.2
 * keeps the TLS 1.2 rule that it may be absent). */
static int read_optional_extensions(clasp_reader *body, clasp_reader *out)
{
    if (clasp_rd_done(body)) {
        clasp_rd_init(out, NULL, 0);
        return 1;
    }
    return clasp_rd_u16_prefixed(body, out) && clasp_rd_done(body);
}

/* struct { ProtocolVersion legacy_version; Random random;
 *          opaque legacy_session_id<0..32>; CipherSuite cipher_suites<2..2^16-2>;
 *          opaque legacy_compression_methods<1..2^8-1>;
 *          Extension extensions<7..2^16-1>; } ClientHello; */
int clasp_ch_parse(clasp_reader *body, clasp_client_hello *out, int *reason)
{
    if (!clasp_rd_u16(body, &out->legacy_version) ||
        !clasp_rd_bytes(body, &out->random, 32) ||
        !clasp_rd_u8_prefixed(body, &out->session_id) ||
        !clasp_rd_u16_prefixed(body, &out->suites) ||
        !clasp_rd_u8_prefixed(body, &out->compression) ||
        !read_optional_extensions(body, &out->extensions)) {
        return decode_fail(reason, SSL_R_LENGTH_MISMATCH);
    }
    if (clasp_rd_left(&out->session_id) > 32) {
        return decode_fail(reason, SSL_R_LENGTH_MISMATCH);
    }
    if (clasp_rd_left(&out->suites) < 2 || clasp_rd_left(&out->suites) % 2 != 0) {
        return decode_fail(reason, SSL_R_LENGTH_MISMATCH);
    }
    if (clasp_rd_left(&out->compression) < 1) {
        return decode_fail(reason, SSL_R_LENGTH_MISMATCH);
    }
    return 1;
}

/* struct { ProtocolVersion legacy_version; Random random;
 *          opaque legacy_session_id_echo<0..32>; CipherSuite cipher_suite;
 *          uint8 legacy_compression_method; Extension extensions<6..2^16-1>;
 *        } ServerHello; */
int clasp_sh_parse(clasp_reader *body, clasp_server_hello *out, int *reason)
{
    if (!clasp_rd_u16(body, &out->legacy_version) ||
        !clasp_rd_bytes(body, &out->random, 32) ||
        !clasp_rd_u8_prefixed(body, &out->session_id) ||
        !clasp_rd_u16(body, &out->suite) || !clasp_rd_u8(body, &out->compression) ||
        !read_optional_extensions(body, &out->extensions)) {
        return decode_fail(reason, SSL_R_LENGTH_MISMATCH);
    }
    if (clasp_rd_left(&out->session_id) > 32) {
        return decode_fail(reason, SSL_R_LENGTH_MISMATCH);
    }
    out->is_hrr = CRYPTO_memcmp(out->random, clasp_hrr_random, 32) == 0;
    return 1;
}

int clasp_u16_list_parse(clasp_reader *ext, uint16_t *out, size_t max, size_t *num)
{
    clasp_reader list;

    *num = 0;
    if (!clasp_rd_u16_prefixed(ext, &list) || !clasp_rd_done(ext) ||
        clasp_rd_left(&list) == 0 || clasp_rd_left(&list) % 2 != 0) {
        return 0;
    }
    while (!clasp_rd_done(&list)) {
        uint16_t v;
        if (!clasp_rd_u16(&list, &v)) {
            return 0;
        }
        if (*num < max) {
            out[(*num)++] = v;
        }
    }
    return 1;
}

/* Parsers of the messages after the hellos (RFC 9846 §4.4 - §4.7). */
#include <openssl/ssl.h>

#include "msg/msg.h"

static int decode_fail(int *reason, int r)
{
    *reason = r;
    return 0;
}

/* struct { Extension extensions<0..2^16-1>; } EncryptedExtensions; */
int clasp_ee_parse(clasp_reader *body, clasp_reader *extensions, int *reason)
{
    if (!clasp_rd_u16_prefixed(body, extensions) || !clasp_rd_done(body)) {
        return decode_fail(reason, SSL_R_LENGTH_MISMATCH);
    }
    return 1;
}

/* struct { opaque certificate_request_context<0..2^8-1>;
 *          CertificateEntry certificate_list<0..2^24-1>; } Certificate; */
int clasp_cert_parse(clasp_reader *body, clasp_certificate *out, int *reason)
{
    if (!clasp_rd_u8_prefixed(body, &out->context) ||
        !clasp_rd_u24_prefixed(body, &out->entries) || !clasp_rd_done(body)) {
        return decode_fail(reason, SSL_R_LENGTH_MISMATCH);
    }
    return 1;
}

/* struct { opaque cert_data<1..2^24-1>; Extension extensions<0..2^16-1>;
 *        } CertificateEntry; */
int clasp_cert_next_entry(clasp_reader *entries, clasp_reader *cert_data,
                          clasp_reader *extensions)
{
    if (clasp_rd_done(entries)) {
        return 0;
    }
    if (!clasp_rd_u24_prefixed(entries, cert_data) || clasp_rd_left(cert_data) == 0 ||
        !clasp_rd_u16_prefixed(entries, extensions)) {
        return -1;
    }
    return 1;
}

/* struct { SignatureScheme algorithm; opaque signature<0..2^16-1>;
 *        } CertificateVerify; */
int clasp_cv_parse(clasp_reader *body, clasp_cert_verify *out, int *reason)
{
    if (!clasp_rd_u16(body, &out->scheme) || !clasp_rd_u16_prefixed(body, &out->signature) ||
        !clasp_rd_done(body)) {
        return decode_fail(reason, SSL_R_LENGTH_MISMATCH);
    }
    return 1;
}

/* struct { opaque certificate_request_context<0..2^8-1>;
 *          Extension extensions<0..2^16-1>; } CertificateRequest; */
int clasp_cr_parse(clasp_reader *body, clasp_cert_request *out, int *reason)
{
    if (!clasp_rd_u8_prefixed(body, &out->context) ||
        !clasp_rd_u16_prefixed(body, &out->extensions) || !clasp_rd_done(body)) {
        return decode_fail(reason, SSL_R_LENGTH_MISMATCH);
    }
    return 1;
}

/* struct { uint32 ticket_lifetime; uint32 ticket_age_add;
 *          opaque ticket_nonce<0..255>; opaque ticket<1..2^16-1>;
 *          Extension extensions<0..2^16-1>; } NewSessionTicket; */
int clasp_nst_parse(clasp_reader *body, clasp_new_session_ticket *out, int *reason)
{
    if (!clasp_rd_u32(body, &out->lifetime) || !clasp_rd_u32(body, &out->age_add) ||
        !clasp_rd_u8_prefixed(body, &out->nonce) || !clasp_rd_u16_prefixed(body, &out->ticket) ||
        clasp_rd_left(&out->ticket) == 0 || !clasp_rd_u16_prefixed(body, &out->extensions) ||
        !clasp_rd_done(body)) {
        return decode_fail(reason, SSL_R_LENGTH_MISMATCH);
    }
    return 1;
}

/* struct { KeyUpdateRequest request_update; } KeyUpdate; */
int clasp_key_update_parse(clasp_reader *body, uint8_t *request, int *reason)
{
    if (!clasp_rd_u8(body, request) || !clasp_rd_done(body)) {
        return decode_fail(reason, SSL_R_LENGTH_MISMATCH);
    }
    return 1;
}

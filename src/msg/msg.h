/* Handshake messages: one parser (and where we send it, one builder) per
 * message, reading like the RFC's structs (DESIGN.md principle 5).
 * Parsers fill plain structs of views into the message buffer; they check
 * syntax only (decode_error); semantics are checked by the state steps. */
#ifndef CLASP_MSG_H
#define CLASP_MSG_H

#include <stdint.h>

#include "ext/ext.h"
#include "wire/wire.h"

/* RFC 9846 §4.2.3: SHA-256("HelloRetryRequest"). */
extern const uint8_t clasp_hrr_random[32];

/* RFC 9846 §4.2.2 ClientHello. */
typedef struct {
    uint16_t legacy_version;
    const uint8_t *random; /* 32 bytes */
    clasp_reader session_id;
    clasp_reader suites;      /* CipherSuite list, even length >= 2 */
    clasp_reader compression; /* legacy_compression_methods */
    clasp_reader extensions;  /* the raw block (may be empty) */
} clasp_client_hello;
/* Returns 1, or 0 with *reason (alert is decode_error). */
int clasp_ch_parse(clasp_reader *body, clasp_client_hello *out, int *reason);

/* RFC 9846 §4.2.3 ServerHello (and HelloRetryRequest). */
typedef struct {
    uint16_t legacy_version;
    const uint8_t *random;
    clasp_reader session_id;
    uint16_t suite;
    uint8_t compression;
    clasp_reader extensions;
    int is_hrr;
} clasp_server_hello;
int clasp_sh_parse(clasp_reader *body, clasp_server_hello *out, int *reason);

/* RFC 9846 §4.4.1 EncryptedExtensions: the extension block. */
int clasp_ee_parse(clasp_reader *body, clasp_reader *extensions, int *reason);

/* RFC 9846 §4.5.1 Certificate: the request context and the entry list
 * (walk it with clasp_cert_next_entry). */
typedef struct {
    clasp_reader context;
    clasp_reader entries;
} clasp_certificate;
int clasp_cert_parse(clasp_reader *body, clasp_certificate *out, int *reason);
/* Next CertificateEntry: cert_data and its extensions.  Returns 1, 0 at
 * the end, -1 on a decode error. */
int clasp_cert_next_entry(clasp_reader *entries, clasp_reader *cert_data,
                          clasp_reader *extensions);

/* RFC 9846 §4.5.2 CertificateVerify. */
typedef struct {
    uint16_t scheme;
    clasp_reader signature;
} clasp_cert_verify;
int clasp_cv_parse(clasp_reader *body, clasp_cert_verify *out, int *reason);

/* RFC 9846 §4.4.2 CertificateRequest. */
typedef struct {
    clasp_reader context;
    clasp_reader extensions;
} clasp_cert_request;
int clasp_cr_parse(clasp_reader *body, clasp_cert_request *out, int *reason);

/* RFC 9846 §4.7.1 NewSessionTicket. */
typedef struct {
    uint32_t lifetime;
    uint32_t age_add;
    clasp_reader nonce;
    clasp_reader ticket;
    clasp_reader extensions;
} clasp_new_session_ticket;
int clasp_nst_parse(clasp_reader *body, clasp_new_session_ticket *out, int *reason);

/* RFC 9846 §4.7.3 KeyUpdate: request_update (0 or 1 checked by caller). */
int clasp_key_update_parse(clasp_reader *body, uint8_t *request, int *reason);

/* Lists inside extensions. */
/* A u16-prefixed list of u16 values (supported_groups, signature_algorithms):
 * copies up to max entries (more are ignored); 0 on a decode error or an
 * empty list. */
int clasp_u16_list_parse(clasp_reader *ext, uint16_t *out, size_t max, size_t *num);

#endif

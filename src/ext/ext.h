/* Extensions as a table (DESIGN.md principle 6): which messages may carry
 * each extension, and one generic loop that enforces RFC 9846 §4.3's rules
 * (no duplicates; a known extension in a message that may not carry it is
 * illegal_parameter; an answer to an extension never offered is
 * unsupported_extension). */
#ifndef CLASP_EXT_H
#define CLASP_EXT_H

#include <stdint.h>

#include "wire/wire.h"

/* Extension code points (RFC 9846 §4.3 and the TLS registry). */
#define CLASP_EXT_SERVER_NAME 0
#define CLASP_EXT_MAX_FRAGMENT_LENGTH 1
#define CLASP_EXT_STATUS_REQUEST 5
#define CLASP_EXT_SUPPORTED_GROUPS 10
#define CLASP_EXT_EC_POINT_FORMATS 11
#define CLASP_EXT_SIGNATURE_ALGORITHMS 13
#define CLASP_EXT_USE_SRTP 14
#define CLASP_EXT_HEARTBEAT 15
#define CLASP_EXT_ALPN 16
#define CLASP_EXT_SCT 18
#define CLASP_EXT_CLIENT_CERT_TYPE 19
#define CLASP_EXT_SERVER_CERT_TYPE 20
#define CLASP_EXT_PADDING 21
#define CLASP_EXT_EXTENDED_MASTER_SECRET 23
#define CLASP_EXT_RECORD_SIZE_LIMIT 28
#define CLASP_EXT_SESSION_TICKET 35
#define CLASP_EXT_PRE_SHARED_KEY 41
#define CLASP_EXT_EARLY_DATA 42
#define CLASP_EXT_SUPPORTED_VERSIONS 43
#define CLASP_EXT_COOKIE 44
#define CLASP_EXT_PSK_KEY_EXCHANGE_MODES 45
#define CLASP_EXT_CERTIFICATE_AUTHORITIES 47
#define CLASP_EXT_OID_FILTERS 48
#define CLASP_EXT_POST_HANDSHAKE_AUTH 49
#define CLASP_EXT_SIGNATURE_ALGORITHMS_CERT 50
#define CLASP_EXT_KEY_SHARE 51
#define CLASP_EXT_RENEGOTIATION_INFO 0xff01

/* The messages extensions appear in (bit flags). */
#define CLASP_MSG_CH (1u << 0)
#define CLASP_MSG_SH (1u << 1)
#define CLASP_MSG_HRR (1u << 2)
#define CLASP_MSG_EE (1u << 3)
#define CLASP_MSG_CT (1u << 4)
#define CLASP_MSG_CR (1u << 5)
#define CLASP_MSG_NST (1u << 6)
#define CLASP_MSG_SH12 (1u << 7) /* a TLS 1.2 ServerHello (RFC 5246 §7.4.1.4) */

/* Indexes of the extensions Clasp reads. */
typedef enum {
    CLASP_X_SERVER_NAME,
    CLASP_X_SUPPORTED_GROUPS,
    CLASP_X_SIGNATURE_ALGORITHMS,
    CLASP_X_ALPN,
    CLASP_X_SUPPORTED_VERSIONS,
    CLASP_X_COOKIE,
    CLASP_X_KEY_SHARE,
    CLASP_X_SIGNATURE_ALGORITHMS_CERT,
    CLASP_X_PRE_SHARED_KEY,
    CLASP_X_EARLY_DATA,
    CLASP_X_PSK_KEY_EXCHANGE_MODES,
    CLASP_X_RENEGOTIATION_INFO,
    CLASP_X_EC_POINT_FORMATS,
    CLASP_X_EXTENDED_MASTER_SECRET,
    CLASP_X_SESSION_TICKET,
    CLASP_X_COUNT
} clasp_ext_index;

/* The extensions found in one message: a view of each known one. */
typedef struct {
    int present[CLASP_X_COUNT];
    clasp_reader body[CLASP_X_COUNT];
    uint16_t last_type; /* the last extension in the block (pre_shared_key rule) */
} clasp_exts;

/* Parses an extensions block of message msg (one CLASP_MSG_* flag).
 * offered: for a response message, the extension types we sent (so an
 * unsolicited one is refused); NULL for ClientHello.  Returns 1, or 0 with
 * *alert and *reason set. */
int clasp_ext_parse(clasp_reader *block, unsigned msg, const uint16_t *offered,
                    size_t num_offered, clasp_exts *out, int *alert, int *reason);

#endif

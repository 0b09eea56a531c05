#include "ext/ext.h"

#include <string.h>

#include <openssl/ssl.h>

typedef struct {
    uint16_t type;
    unsigned allowed; /* CLASP_MSG_* where it may appear (RFC 9846 §4.3; for
                       * SH12, the RFC that defines it for TLS 1.2) */
    int index;        /* clasp_ext_index, or -1 when only validated */
} ext_rule;

#define CH CLASP_MSG_CH
#define SH CLASP_MSG_SH
#define HRR CLASP_MSG_HRR
#define EE CLASP_MSG_EE
#define CT CLASP_MSG_CT
#define CR CLASP_MSG_CR
#define NST CLASP_MSG_NST
#define SH12 CLASP_MSG_SH12

static const ext_rule rules[] = {
    {CLASP_EXT_SERVER_NAME, CH | EE | SH12, CLASP_X_SERVER_NAME},
    {CLASP_EXT_MAX_FRAGMENT_LENGTH, CH | EE | SH12, -1},
    {CLASP_EXT_STATUS_REQUEST, CH | CR | CT | SH12, -1},
    {CLASP_EXT_SUPPORTED_GROUPS, CH | EE, CLASP_X_SUPPORTED_GROUPS},
    {CLASP_EXT_SIGNATURE_ALGORITHMS, CH | CR, CLASP_X_SIGNATURE_ALGORITHMS},
    {CLASP_EXT_USE_SRTP, CH | EE | SH12, -1},
    {CLASP_EXT_HEARTBEAT, CH | EE | SH12, -1},
    {CLASP_EXT_ALPN, CH | EE | SH12, CLASP_X_ALPN},
    {CLASP_EXT_SCT, CH | CR | CT | SH12, -1},
    {CLASP_EXT_CLIENT_CERT_TYPE, CH | EE | SH12, -1},
    {CLASP_EXT_SERVER_CERT_TYPE, CH | EE | SH12, -1},
    {CLASP_EXT_PADDING, CH, -1},
    {CLASP_EXT_RECORD_SIZE_LIMIT, CH | EE | SH12, -1},
    {CLASP_EXT_PRE_SHARED_KEY, CH | SH, CLASP_X_PRE_SHARED_KEY},
    {CLASP_EXT_EARLY_DATA, CH | EE | NST, CLASP_X_EARLY_DATA},
    {CLASP_EXT_SUPPORTED_VERSIONS, CH | SH | HRR, CLASP_X_SUPPORTED_VERSIONS},
    {CLASP_EXT_COOKIE, CH | HRR, CLASP_X_COOKIE},
    {CLASP_EXT_PSK_KEY_EXCHANGE_MODES, CH, CLASP_X_PSK_KEY_EXCHANGE_MODES},
    {CLASP_EXT_CERTIFICATE_AUTHORITIES, CH | CR, -1},
    {CLASP_EXT_OID_FILTERS, CR, -1},
    {CLASP_EXT_POST_HANDSHAKE_AUTH, CH, -1},
    {CLASP_EXT_SIGNATURE_ALGORITHMS_CERT, CH | CR, CLASP_X_SIGNATURE_ALGORITHMS_CERT},
    {CLASP_EXT_KEY_SHARE, CH | SH | HRR, CLASP_X_KEY_SHARE},
    /* TLS 1.2-only extensions: a TLS 1.3 ClientHello may carry them, a
     * TLS 1.2 ServerHello answers them (RFC 8422 §5.2, RFC 7627 §5.1,
     * RFC 5077 §3.2, RFC 5746 §3.6). */
    {CLASP_EXT_EC_POINT_FORMATS, CH | SH12, CLASP_X_EC_POINT_FORMATS},
    {CLASP_EXT_EXTENDED_MASTER_SECRET, CH | SH12, CLASP_X_EXTENDED_MASTER_SECRET},
    {CLASP_EXT_SESSION_TICKET, CH | SH12, CLASP_X_SESSION_TICKET},
    {CLASP_EXT_RENEGOTIATION_INFO, CH | SH12, CLASP_X_RENEGOTIATION_INFO},
};

static const ext_rule *find_rule(uint16_t type)
{
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        if (rules[i].type == type) {
            return &rules[i];
        }
    }
    return NULL;
}

static int was_offered(uint16_t type, const uint16_t *offered, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (offered[i] == type) {
            return 1;
        }
    }
    return 0;
}

static int fail(int *alert, int *reason, int a, int r)
{
    *alert = a;
    *reason = r;
    return 0;
}

#define MAX_EXTS 64

/* RFC 9846 §4.3: "There MUST NOT be more than one extension of the same
 * type in a given extension block." */
static int seen_before(uint16_t *seen, size_t *num_seen, uint16_t type)
{
    for (size_t i = 0; i < *num_seen; i++) {
        if (seen[i] == type) {
            return 1;
        }
    }
    if (*num_seen < MAX_EXTS) {
        seen[(*num_seen)++] = type;
    }
    return 0;
}

/* Applies the table's rule for one extension in a response message. */
static int check_response_ext(uint16_t type, unsigned msg, const uint16_t *offered,
                              size_t num_offered, int *alert, int *reason)
{
    const ext_rule *rule = find_rule(type);

    /* §4.3: responses may only carry extensions the client offered
     * (cookie in HRR is the server's own). */
    if (!was_offered(type, offered, num_offered) &&
        !(type == CLASP_EXT_COOKIE && msg == CLASP_MSG_HRR)) {
        return fail(alert, reason, SSL_AD_UNSUPPORTED_EXTENSION, SSL_R_UNSOLICITED_EXTENSION);
    }
    if (rule != NULL && !(rule->allowed & msg)) {
        return fail(alert, reason, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_EXTENSION);
    }
    return 1;
}

int clasp_ext_parse(clasp_reader *block, unsigned msg, const uint16_t *offered,
                    size_t num_offered, clasp_exts *out, int *alert, int *reason)
{
    uint16_t seen[MAX_EXTS];
    size_t num_seen = 0;

    memset(out, 0, sizeof(*out));
    while (!clasp_rd_done(block)) {
        uint16_t type;
        clasp_reader body;
        const ext_rule *rule;

        if (!clasp_rd_u16(block, &type) || !clasp_rd_u16_prefixed(block, &body)) {
            return fail(alert, reason, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
        }
        if (seen_before(seen, &num_seen, type)) {
            return fail(alert, reason, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_EXTENSION);
        }
        if (msg != CLASP_MSG_CH &&
            !check_response_ext(type, msg, offered, num_offered, alert, reason)) {
            return 0;
        }
        rule = find_rule(type);
        if (msg == CLASP_MSG_CH && rule != NULL && !(rule->allowed & CLASP_MSG_CH)) {
            return fail(alert, reason, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_EXTENSION);
        }
        if (rule != NULL && rule->index >= 0) {
            out->present[rule->index] = 1;
            out->body[rule->index] = body;
        }
        out->last_type = type;
    }
    return 1;
}

/* Every handshake-message parser and the extension loop on arbitrary
 * input.  The first byte picks the parser. */
#include <stddef.h>
#include <stdint.h>

#include "ext/ext.h"
#include "msg/msg.h"

static void parse_exts(clasp_reader block, unsigned msg)
{
    static const uint16_t offered[] = {0, 10, 13, 16, 43, 51};
    clasp_exts exts;
    int alert;
    int reason;

    clasp_ext_parse(&block, msg, msg == CLASP_MSG_CH ? NULL : offered,
                    msg == CLASP_MSG_CH ? 0 : 6, &exts, &alert, &reason);
}

static void walk_certificate(clasp_reader *body)
{
    clasp_certificate cert;
    clasp_reader der;
    clasp_reader exts;
    int reason;

    if (!clasp_cert_parse(body, &cert, &reason)) {
        return;
    }
    while (clasp_cert_next_entry(&cert.entries, &der, &exts) == 1) {
        parse_exts(exts, CLASP_MSG_CT);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clasp_reader body;
    int reason;

    if (size < 1) {
        return 0;
    }
    clasp_rd_init(&body, data + 1, size - 1);
    switch (data[0] % 9) {
    case 0: {
        clasp_client_hello ch;
        if (clasp_ch_parse(&body, &ch, &reason)) {
            parse_exts(ch.extensions, CLASP_MSG_CH);
        }
        break;
    }
    case 1: {
        clasp_server_hello sh;
        if (clasp_sh_parse(&body, &sh, &reason)) {
            parse_exts(sh.extensions, sh.is_hrr ? CLASP_MSG_HRR : CLASP_MSG_SH);
        }
        break;
    }
    case 2: {
        clasp_reader block;
        if (clasp_ee_parse(&body, &block, &reason)) {
            parse_exts(block, CLASP_MSG_EE);
        }
        break;
    }
    case 3:
        walk_certificate(&body);
        break;
    case 4: {
        clasp_cert_verify cv;
        clasp_cv_parse(&body, &cv, &reason);
        break;
    }
    case 5: {
        clasp_cert_request cr;
        if (clasp_cr_parse(&body, &cr, &reason)) {
            parse_exts(cr.extensions, CLASP_MSG_CR);
        }
        break;
    }
    case 6: {
        clasp_new_session_ticket nst;
        clasp_nst_parse(&body, &nst, &reason);
        break;
    }
    case 7: {
        uint8_t req;
        clasp_key_update_parse(&body, &req, &reason);
        break;
    }
    default: {
        uint16_t list[32];
        size_t n;
        clasp_u16_list_parse(&body, list, 32, &n);
        break;
    }
    }
    return 0;
}

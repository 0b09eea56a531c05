/* Whole-handshake harness: the input is what the peer sends, fed to a
 * client (first byte even) or a server (odd) engine in pieces whose sizes
 * come from the input too, so the record layer, reassembly, both state
 * machines and the post-handshake code all see arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "engine.h"
#include "fuzz_engine.h"

static const uint16_t suites[] = {0x1301, 0x1302, 0x1303};
static const uint16_t groups[] = {0x001d, 0x0017, 0x0018};
static const uint16_t sigalgs[] = {0x0403, 0x0804, 0x0807, 0x0503};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clasp_config cfg;
    clasp_conn *conn;

    fuzz_init_once();
    if (size < 2) {
        return 0;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = fuzz_crypto;
    cfg.is_server = data[0] & 1;
    cfg.min_version = cfg.max_version = 0x0304;
    cfg.suites = suites;
    cfg.num_suites = 3;
    cfg.groups = groups;
    cfg.num_groups = 3;
    cfg.sigalgs = sigalgs;
    cfg.num_sigalgs = 4;
    cfg.middlebox_compat = 1;
    cfg.max_cert_list = 100 * 1024;
    conn = clasp_conn_new(&cfg);
    if (conn == NULL || !clasp_conn_start(conn)) {
        clasp_conn_free(conn);
        return 0;
    }
    size_t chunk = (size_t)(data[1] % 64) + 1;
    data += 2;
    size -= 2;
    fuzz_feed(conn, data, size, chunk);
    clasp_conn_free(conn);
    return 0;
}

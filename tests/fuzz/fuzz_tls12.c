/* TLS 1.2 whole-handshake harness: as fuzz_handshake.c, with engines that
 * negotiate TLS 1.2 — first byte bit 0: server (else client); bit 1: the
 * range is 1.2–1.3 (the version negotiation and the hand-over from the
 * TLS 1.3 machines), else 1.2 only.  The input is what the peer sends, in
 * pieces whose sizes come from the second byte. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "engine.h"
#include "fuzz_engine.h"

static const uint16_t suites13[] = {0x1301, 0x1302, 0x1303};
static const uint16_t suites12[] = {0xc02b, 0xc02c, 0xcca9, 0xc02f, 0xc030, 0xcca8};
static const uint16_t groups[] = {0x001d, 0x0017, 0x0018};
static const uint16_t sigalgs[] = {0x0403, 0x0804, 0x0807, 0x0503, 0x0401};

static clasp_config make_config(uint8_t mode)
{
    clasp_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = fuzz_crypto;
    cfg.is_server = mode & 1;
    cfg.min_version = 0x0303;
    cfg.max_version = (mode & 2) ? 0x0304 : 0x0303;
    cfg.suites = suites13;
    cfg.num_suites = 3;
    cfg.suites12 = suites12;
    cfg.num_suites12 = 6;
    cfg.groups = groups;
    cfg.num_groups = 3;
    cfg.sigalgs = sigalgs;
    cfg.num_sigalgs = 5;
    cfg.middlebox_compat = 1;
    cfg.max_cert_list = 100 * 1024;
    cfg.request_client_cert = (mode & 4) != 0;
    return cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clasp_config cfg;
    clasp_conn *conn;
    size_t chunk;

    fuzz_init_once();
    if (size < 2) {
        return 0;
    }
    cfg = make_config(data[0]);
    conn = clasp_conn_new(&cfg);
    if (conn == NULL || !clasp_conn_start(conn)) {
        clasp_conn_free(conn);
        return 0;
    }
    fuzz_drive(conn);
    chunk = (size_t)(data[1] % 64) + 1;
    data += 2;
    size -= 2;
    fuzz_feed(conn, data, size, chunk);
    clasp_conn_free(conn);
    return 0;
}

/* Unit tests for the TLS 1.3 key schedule (src/hs/keysched.c).
 *
 * Known answers from RFC 8448 ("Example Handshake Traces for TLS 1.3"),
 * §3, the simple 1-RTT handshake (X25519, TLS_AES_128_GCM_SHA256): the
 * ECDHE secret, the transcript hashes, every secret of the schedule, the
 * traffic keys and IVs, both Finished values and the resumption secret.
 * The trace's protected records are opened with the derived keys, so the
 * messages hashed into the transcript come out of the trace itself (and a
 * mistyped byte anywhere breaks a GCM tag).  §4's resumption values check
 * the PSK derived from §3's ticket, the Early Secret and the binder key.
 *
 * RFC 8448 has no SHA-384 trace and no exporter output: those are checked
 * against an independent computation with libcrypto's HKDF and TLS13-KDF. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "crypto/crypto.h"
#include "hs/keysched.h"

/* ---- helpers ------------------------------------------------------------------------ */

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;

    for (const char *p = hex; *p != '\0';) {
        unsigned v;

        if (*p == ' ') {
            p++;
            continue;
        }
        assert_true(n < cap);
        assert_int_equal(sscanf(p, "%2x", &v), 1);
        out[n++] = (uint8_t)v;
        p += 2;
    }
    return n;
}

#define assert_hex_equal(buf, len, hex)                                                    \
    do {                                                                                   \
        uint8_t want_[1024];                                                               \
        size_t want_len_ = unhex((hex), want_, sizeof(want_));                             \
        assert_int_equal((len), want_len_);                                                \
        assert_memory_equal((buf), want_, want_len_);                                      \
    } while (0)

static clasp_crypto *C;

static int setup(void **state)
{
    C = clasp_crypto_new(NULL, NULL);
    return C == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    clasp_crypto_free(C);
    return 0;
}

/* ---- RFC 8448 §3 ---------------------------------------------------------------------- */

static const char rfc_client_priv[] =
    "49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005";
static const char rfc_client_pub[] =
    "99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c";
static const char rfc_server_priv[] =
    "b1580eeadf6dd589b8ef4f2d5652578cc810e9980191ec8d058308cea216a21e";
static const char rfc_server_pub[] =
    "c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f";
static const char rfc_ecdhe[] = "8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d";

static const char rfc_client_hello[] =
    "010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113031302"
    "010000910000000b0009000006736572766572ff01000100000a00140012001d001700180019010001010102010301"
    "0400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c"
    "002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d0002"
    "0101001c00024001";
static const char rfc_server_hello[] =
    "020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e003300"
    "24001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304";

/* The server's EncryptedExtensions..Finished in one record under the
 * server handshake traffic key, sequence number 0. */
static const char rfc_server_flight_record[] =
    "17030302a2d1ff334a56f5bff6594a07cc87b580233f500f45e489e7f33af35edf7869fcf40aa40aa2b8ea73f848a7ca"
    "07612ef9f945cb960b4068905123ea78b111b429ba9191cd05d2a389280f526134aadc7fc78c4b729df828b5ecf7b13b"
    "d9aefb0e57f271585b8ea9bb355c7c79020716cfb9b1183ef3ab20e37d57a6b9d7477609aee6e122a4cf51427325250c"
    "7d0e509289444c9b3a648f1d71035d2ed65b0e3cdd0cbae8bf2d0b227812cbb360987255cc744110c453baa4fcd61092"
    "8d809810e4b7ed1a8fd991f06aa6248204797e36a6a73b70a2559c09ead686945ba246ab66e5edd8044b4c6de3fcf2a8"
    "9441ac66272fd8fb330ef8190579b3684596c960bd596eea520a56a8d650f563aad27409960dca63d3e688611ea5e22f"
    "4415cf9538d51a200c27034272968a264ed6540c84838d89f72c24461aad6d26f59ecaba9acbbb317b66d902f4f292a3"
    "6ac1b639c637ce343117b659622245317b49eeda0c6258f100d7d961ffb138647e92ea330faeea6dfa31c7a84dc3bd7e"
    "1b7a6c7178af36879018e3f252107f243d243dc7339d5684c8b0378bf30244da8c87c843f5e56eb4c5e8280a2b48052c"
    "f93b16499a66db7cca71e4599426f7d461e66f99882bd89fc50800becca62d6c74116dbd2972fda1fa80f85df881edbe"
    "5a37668936b335583b599186dc5c6918a396fa48a181d6b6fa4f9d62d513afbb992f2b992f67f8afe67f76913fa388cb"
    "5630c8ca01e0c65d11c66a1e2ac4c85977b7c7a6999bbf10dc35ae69f5515614636c0b9b68c19ed2e31c0b3b66763038"
    "ebba42f3b38edc0399f3a9f23faa63978c317fc9fa66a73f60f0504de93b5b845e275592c12335ee340bbc4fddd50278"
    "4016e4b3be7ef04dda49f4b440a30cb5d2af939828fd4ae3794e44f94df5a631ede42c1719bfdabf0253fe5175be898e"
    "750edc53370d2b";
/* The client's Finished under the client handshake key, sequence 0. */
static const char rfc_client_finished_record[] =
    "170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc46deb384bd1c"
    "aeacab6867d726c40546";
/* NewSessionTicket under the server application key, sequence 0. */
static const char rfc_ticket_record[] =
    "17030300de3a6b8f90414a97d6959c3487680de5134a2b240e6cffac116e95d41d6af8f6b580dcf3d11d63c758db289a"
    "015940252f55713e061dc13e078891a38efbcf5753ad8ef170ad3c7353d16d9da773b9ca7f2b9fa1b6c0d4a3d03f75e0"
    "9c30ba1e62972ac46f75f7b981be63439b2999ce13064615139891d5e4c5b406f16e3fc181a77ca475840025db2f0a77"
    "f81b5ab05b94c01346755f69232c86519d86cbeeac87aac347d143f9605d64f650db4d023e70e952ca49fe5137121c74"
    "bc2697687e248746d6df353005f3bce18696129c8153556b3b6c6779b37bf15985684f";
/* 50 bytes 00..31 from the client (client application key, sequence 0) and
 * echoed by the server (server application key, sequence 1). */
static const char rfc_client_data_record[] =
    "1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b395bd54a9a20441e2b"
    "62974e1f5a6292a2977014bd1e3deae63aeebb21694915e4";
static const char rfc_server_data_record[] =
    "17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e30efaf97d90e6dffc602dcb501a59a8"
    "fcc49c4bf2e5f0a21c0047c2abf332540dd032e167c2955d";
/* close_notify alerts: client (sequence 1), server (sequence 2). */
static const char rfc_client_alert_record[] = "1703030013c9872760655666b74d7ff1153efd6db6d0b0e3";
static const char rfc_server_alert_record[] = "1703030013b58fd67166ebf599d24720cfbe7efa7a8864a9";

static const char rfc_early_secret[] =
    "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a";
static const char rfc_handshake_secret[] =
    "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac";
static const char rfc_th_server_hello[] =
    "860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8";
static const char rfc_c_hs_traffic[] =
    "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21";
static const char rfc_s_hs_traffic[] =
    "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38";
static const char rfc_s_hs_key[] = "3fce516009c21727d0f2e4e86ee403bc";
static const char rfc_s_hs_iv[] = "5d313eb2671276ee13000b30";
static const char rfc_c_hs_key[] = "dbfaa693d1762c5b666af5d950258d01";
static const char rfc_c_hs_iv[] = "5bd3c71b836e0b76bb73265f";
static const char rfc_c_finished_key[] =
    "b80ad01015fb2f0bd65ff7d4da5d6bf83f84821d1f87fdc7d3c75b5a7b42d9c4";
static const char rfc_s_finished_key[] =
    "008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8";
static const char rfc_s_verify_data[] =
    "9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718";
static const char rfc_c_verify_data[] =
    "a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61";
static const char rfc_master_secret[] =
    "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919";
static const char rfc_th_server_finished[] =
    "9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13";
static const char rfc_c_ap_traffic[] =
    "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5";
static const char rfc_s_ap_traffic[] =
    "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643";
static const char rfc_exp_master[] =
    "fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50";
static const char rfc_s_ap_key[] = "9f02283b6c9c07efc26bb9f2ac92e356";
static const char rfc_s_ap_iv[] = "cf782b88dd83549aadf1e984";
static const char rfc_c_ap_key[] = "17422dda596ed5d9acd890e3c63f5051";
static const char rfc_c_ap_iv[] = "5b78923dee08579033e523d9";
static const char rfc_th_client_finished[] =
    "209145a96ee8e2a122ff810047cc952684658d6049e86429426db87c54ad143d";
static const char rfc_res_master[] =
    "7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c";

/* ---- RFC 8448 §4 (resumption with the ticket from §3) ---------------------------------- */

static const char rfc_resumption_psk[] =
    "4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3";
static const char rfc_psk_early_secret[] =
    "9b2188e9b2fc6d64d71dc329900e20bb41915000f678aa839cbb797cb7d8332c";
static const char rfc_res_binder_key[] =
    "69fe131a3bbad5d63c64eebcc30e395b9d8107726a13d074e389dbc8a4e47256";

/* Opens one protected TLS 1.3 record (RFC 9846 §5.2) with key and iv at
 * sequence number seq: the nonce is the IV XOR the padded sequence number
 * (§5.3) and the AAD is the record header.  Returns the inner plaintext's
 * length (content and type byte) in *len. */
static void open_record(const uint8_t *key, const uint8_t *iv, uint64_t seq, const char *hex,
                        uint8_t *out, size_t *len)
{
    uint8_t rec[1024], nonce[12];
    size_t n = unhex(hex, rec, sizeof(rec));
    clasp_aead *ae = clasp_aead_new(C, CLASP_AEAD_AES_128_GCM, key, 0);

    assert_non_null(ae);
    assert_true(n > 5 + 16);
    assert_int_equal(((size_t)rec[3] << 8 | rec[4]), n - 5);
    memcpy(nonce, iv, 12);
    for (int i = 0; i < 8; i++) {
        nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
    }
    *len = n - 5 - 16;
    memcpy(out, rec + 5, *len);
    assert_true(clasp_aead_open(ae, nonce, rec, 5, out, *len, rec + n - 16));
    clasp_aead_free(ae);
}

/* The X25519 exchange of the trace, both ways, using the door to import
 * each peer's share (the private keys are imported by the test). */
static void test_rfc8448_ecdhe(void **state)
{
    static const char *const privs[2] = {rfc_client_priv, rfc_server_priv};
    static const char *const pubs[2] = {rfc_client_pub, rfc_server_pub};

    for (int side = 0; side < 2; side++) {
        uint8_t priv[32], pub[32], secret[32];
        size_t len = sizeof(secret);
        EVP_PKEY *me, *peer;
        EVP_PKEY_CTX *ctx;

        unhex(privs[side], priv, sizeof(priv));
        unhex(pubs[1 - side], pub, sizeof(pub));
        me = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, priv, 32);
        peer = clasp_kex_peer_pkey(C, CLASP_GROUP_X25519, pub, 32);
        assert_non_null(me);
        assert_non_null(peer);
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, me, NULL);
        assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
        assert_int_equal(EVP_PKEY_derive_set_peer(ctx, peer), 1);
        assert_int_equal(EVP_PKEY_derive(ctx, secret, &len), 1);
        assert_hex_equal(secret, len, rfc_ecdhe);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(me);
        EVP_PKEY_free(peer);
    }
}

/* Appends a run of handshake messages to the transcript, returning their
 * total length (each is type(1) + uint24 length + body). */
static size_t hash_messages(clasp_hash_ctx *th, const uint8_t *msgs, size_t n_msgs)
{
    size_t off = 0;

    for (size_t i = 0; i < n_msgs; i++) {
        size_t body = (size_t)msgs[off + 1] << 16 | (size_t)msgs[off + 2] << 8 | msgs[off + 3];

        assert_true(clasp_hash_ctx_update(th, msgs + off, 4 + body));
        off += 4 + body;
    }
    return off;
}

static void test_rfc8448_full_handshake(void **state)
{
    uint8_t ch[256], sh[128], ecdhe[32], th[32], buf[1024];
    uint8_t c_hs[32], s_hs[32], c_ap[32], s_ap[32], exp[32], res[32], vd[32];
    uint8_t key[16], iv[12];
    size_t ch_len = unhex(rfc_client_hello, ch, sizeof(ch));
    size_t sh_len = unhex(rfc_server_hello, sh, sizeof(sh));
    size_t len, off;
    clasp_keysched ks;
    clasp_hash_ctx *t = clasp_hash_ctx_new(C, CLASP_HASH_SHA256);

    assert_non_null(t);
    assert_int_equal(ch_len, 196);
    assert_int_equal(sh_len, 90);
    unhex(rfc_ecdhe, ecdhe, sizeof(ecdhe));

    /* Early Secret, no PSK */
    assert_true(clasp_ks_init(&ks, C, CLASP_HASH_SHA256, NULL, 0));
    assert_int_equal(ks.hash_len, 32);
    assert_hex_equal(ks.secret, 32, rfc_early_secret);

    /* Handshake Secret and the handshake traffic secrets */
    assert_true(clasp_hash_ctx_update(t, ch, ch_len));
    assert_true(clasp_hash_ctx_update(t, sh, sh_len));
    assert_true(clasp_hash_ctx_peek(t, th));
    assert_hex_equal(th, 32, rfc_th_server_hello);
    assert_true(clasp_ks_handshake(&ks, C, ecdhe, 32, th, c_hs, s_hs));
    assert_hex_equal(ks.secret, 32, rfc_handshake_secret);
    assert_hex_equal(c_hs, 32, rfc_c_hs_traffic);
    assert_hex_equal(s_hs, 32, rfc_s_hs_traffic);
    assert_true(clasp_ks_traffic_key(C, CLASP_HASH_SHA256, CLASP_AEAD_AES_128_GCM, s_hs, key, iv));
    assert_hex_equal(key, 16, rfc_s_hs_key);
    assert_hex_equal(iv, 12, rfc_s_hs_iv);
    {
        uint8_t fk[32];

        assert_true(clasp_hkdf_expand_label(C, CLASP_HASH_SHA256, s_hs, "finished", NULL, 0, fk,
                                            32));
        assert_hex_equal(fk, 32, rfc_s_finished_key);
        assert_true(clasp_hkdf_expand_label(C, CLASP_HASH_SHA256, c_hs, "finished", NULL, 0, fk,
                                            32));
        assert_hex_equal(fk, 32, rfc_c_finished_key);
    }

    /* The server's flight: EE, Certificate, CertificateVerify, Finished,
     * then the inner content type (handshake). */
    open_record(key, iv, 0, rfc_server_flight_record, buf, &len);
    assert_int_equal(len, 657 + 1);
    assert_int_equal(buf[len - 1], 0x16);
    off = hash_messages(t, buf, 3);
    assert_true(clasp_hash_ctx_peek(t, th)); /* ClientHello..CertificateVerify */
    assert_true(clasp_ks_finished(C, CLASP_HASH_SHA256, s_hs, th, vd));
    assert_hex_equal(vd, 32, rfc_s_verify_data);
    assert_int_equal(buf[off], 20); /* finished */
    assert_int_equal(off + 4 + 32, 657);
    assert_memory_equal(buf + off + 4, vd, 32);
    hash_messages(t, buf + off, 1);
    assert_true(clasp_hash_ctx_peek(t, th));
    assert_hex_equal(th, 32, rfc_th_server_finished);

    /* Master Secret and the application traffic secrets */
    assert_true(clasp_ks_master(&ks, C, th, c_ap, s_ap, exp));
    assert_hex_equal(ks.secret, 32, rfc_master_secret);
    assert_hex_equal(c_ap, 32, rfc_c_ap_traffic);
    assert_hex_equal(s_ap, 32, rfc_s_ap_traffic);
    assert_hex_equal(exp, 32, rfc_exp_master);

    /* The client's Finished over ClientHello..server Finished */
    assert_true(clasp_ks_finished(C, CLASP_HASH_SHA256, c_hs, th, vd));
    assert_hex_equal(vd, 32, rfc_c_verify_data);
    assert_true(clasp_ks_traffic_key(C, CLASP_HASH_SHA256, CLASP_AEAD_AES_128_GCM, c_hs, key, iv));
    assert_hex_equal(key, 16, rfc_c_hs_key);
    assert_hex_equal(iv, 12, rfc_c_hs_iv);
    open_record(key, iv, 0, rfc_client_finished_record, buf, &len);
    assert_int_equal(len, 4 + 32 + 1);
    assert_memory_equal(buf, "\x14\x00\x00\x20", 4);
    assert_memory_equal(buf + 4, vd, 32);
    hash_messages(t, buf, 1);
    assert_true(clasp_hash_ctx_peek(t, th));
    assert_hex_equal(th, 32, rfc_th_client_finished);

    /* resumption_master_secret */
    assert_true(clasp_ks_resumption(&ks, C, th, res));
    assert_hex_equal(res, 32, rfc_res_master);

    clasp_ks_cleanup(&ks);
    for (size_t i = 0; i < sizeof(ks); i++) {
        assert_int_equal(((const uint8_t *)&ks)[i], 0);
    }
    clasp_hash_ctx_free(t);
}

/* The application keys open the trace's post-handshake records. */
static void test_rfc8448_application_records(void **state)
{
    uint8_t c_ap[32], s_ap[32], ckey[16], civ[12], skey[16], siv[12], buf[1024];
    size_t len;

    unhex(rfc_c_ap_traffic, c_ap, sizeof(c_ap));
    unhex(rfc_s_ap_traffic, s_ap, sizeof(s_ap));
    assert_true(clasp_ks_traffic_key(C, CLASP_HASH_SHA256, CLASP_AEAD_AES_128_GCM, s_ap, skey,
                                     siv));
    assert_hex_equal(skey, 16, rfc_s_ap_key);
    assert_hex_equal(siv, 12, rfc_s_ap_iv);
    assert_true(clasp_ks_traffic_key(C, CLASP_HASH_SHA256, CLASP_AEAD_AES_128_GCM, c_ap, ckey,
                                     civ));
    assert_hex_equal(ckey, 16, rfc_c_ap_key);
    assert_hex_equal(civ, 12, rfc_c_ap_iv);

    open_record(skey, siv, 0, rfc_ticket_record, buf, &len);
    assert_int_equal(len, 205 + 1);
    assert_int_equal(buf[0], 4); /* new_session_ticket */
    assert_int_equal(buf[len - 1], 0x16);
    open_record(ckey, civ, 0, rfc_client_data_record, buf, &len);
    assert_int_equal(len, 51);
    for (size_t i = 0; i < 50; i++) {
        assert_int_equal(buf[i], i);
    }
    assert_int_equal(buf[50], 0x17);
    open_record(skey, siv, 1, rfc_server_data_record, buf, &len);
    assert_int_equal(len, 51);
    assert_int_equal(buf[49], 49);
    open_record(ckey, civ, 1, rfc_client_alert_record, buf, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(buf, "\x01\x00\x15", 3); /* warning, close_notify, alert */
    open_record(skey, siv, 2, rfc_server_alert_record, buf, &len);
    assert_memory_equal(buf, "\x01\x00\x15", 3);
}

/* §3's ticket (nonce 00 00) gives §4's PSK (RFC 9846 §4.7.1), whose Early
 * Secret and resumption binder key §4 prints. */
static void test_rfc8448_resumption(void **state)
{
    static const uint8_t ticket_nonce[2] = {0, 0};
    uint8_t res[32], psk[32], binder[32], ext_binder[32];
    clasp_keysched ks;

    unhex(rfc_res_master, res, sizeof(res));
    assert_true(clasp_hkdf_expand_label(C, CLASP_HASH_SHA256, res, "resumption", ticket_nonce, 2,
                                        psk, 32));
    assert_hex_equal(psk, 32, rfc_resumption_psk);
    assert_true(clasp_ks_init(&ks, C, CLASP_HASH_SHA256, psk, 32));
    assert_hex_equal(ks.secret, 32, rfc_psk_early_secret);
    assert_true(clasp_ks_binder_key(&ks, C, 0, binder));
    assert_hex_equal(binder, 32, rfc_res_binder_key);
    /* The external-PSK label gives another key (RFC 9846 §7.1). */
    assert_true(clasp_ks_binder_key(&ks, C, 1, ext_binder));
    assert_memory_not_equal(binder, ext_binder, 32);
    clasp_ks_cleanup(&ks);
}

/* ---- an independent schedule for what RFC 8448 does not cover --------------------------- */

static const char *md_name(clasp_hash_id h)
{
    return h == CLASP_HASH_SHA384 ? "SHA384" : "SHA256";
}

static void ref_extract(clasp_hash_id h, const uint8_t *salt, size_t salt_len,
                        const uint8_t *ikm, size_t ikm_len, uint8_t *out)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *k = EVP_KDF_CTX_new(kdf);
    int mode = EVP_KDF_HKDF_MODE_EXTRACT_ONLY;
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md_name(h), 0),
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
        OSSL_PARAM_construct_end(),
    };

    assert_int_equal(EVP_KDF_derive(k, out, clasp_hash_len(h), p), 1);
    EVP_KDF_CTX_free(k);
    EVP_KDF_free(kdf);
}

static void ref_expand_label(clasp_hash_id h, const uint8_t *secret, const char *label,
                             size_t label_len, const uint8_t *ctx, size_t ctx_len, uint8_t *out,
                             size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS13-KDF", NULL);
    EVP_KDF_CTX *k = EVP_KDF_CTX_new(kdf);
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md_name(h), 0),
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, clasp_hash_len(h)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, "tls13 ", 6),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, (void *)label, label_len),
        /* TLS13-KDF refuses a NULL context even when empty. */
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_DATA, ctx != NULL ? (void *)ctx : "",
                                          ctx_len),
        OSSL_PARAM_construct_end(),
    };

    assert_int_equal(EVP_KDF_derive(k, out, out_len, p), 1);
    EVP_KDF_CTX_free(k);
    EVP_KDF_free(kdf);
}

static void ref_derive(clasp_hash_id h, const uint8_t *secret, const char *label,
                       const uint8_t *th, uint8_t *out)
{
    size_t hl = clasp_hash_len(h);

    ref_expand_label(h, secret, label, strlen(label), th, hl, out, hl);
}

static void ref_hash(clasp_hash_id h, const uint8_t *data, size_t len, uint8_t *out)
{
    assert_int_equal(EVP_Q_digest(NULL, md_name(h), NULL, data, len, out, NULL), 1);
}

/* The whole schedule for one hash and PSK, ours against the reference:
 * every stage, the traffic keys of each AEAD, both Finished values, a key
 * update and the resumption secret. */
static void schedule_matches_reference(clasp_hash_id h, const uint8_t *psk, size_t psk_len)
{
    size_t hl = clasp_hash_len(h);
    uint8_t zeros[48] = {0}, empty[48], ecdhe[66], th1[48], th2[48], th3[48];
    uint8_t early[48], derived[48], hs[48], ms[48], tmp[48], want[48];
    uint8_t c_hs[48], s_hs[48], c_ap[48], s_ap[48], exp[48], res[48];
    clasp_keysched ks;

    for (size_t i = 0; i < sizeof(ecdhe); i++) {
        ecdhe[i] = (uint8_t)(0xa0 ^ i);
    }
    ref_hash(h, (const uint8_t *)"CH..SH", 6, th1);
    ref_hash(h, (const uint8_t *)"CH..SF", 6, th2);
    ref_hash(h, (const uint8_t *)"CH..CF", 6, th3);
    ref_hash(h, NULL, 0, empty);

    ref_extract(h, zeros, hl, psk != NULL ? psk : zeros, psk != NULL ? psk_len : hl, early);
    assert_true(clasp_ks_init(&ks, C, h, psk, psk_len));
    assert_int_equal(ks.hash_len, hl);
    assert_memory_equal(ks.secret, early, hl);

    ref_derive(h, early, psk != NULL ? "res binder" : "ext binder", empty, want);
    assert_true(clasp_ks_binder_key(&ks, C, psk == NULL, tmp));
    assert_memory_equal(tmp, want, hl);

    ref_derive(h, early, "derived", empty, derived);
    ref_extract(h, derived, hl, ecdhe, 66, hs);
    assert_true(clasp_ks_handshake(&ks, C, ecdhe, 66, th1, c_hs, s_hs));
    assert_memory_equal(ks.secret, hs, hl);
    ref_derive(h, hs, "c hs traffic", th1, want);
    assert_memory_equal(c_hs, want, hl);
    ref_derive(h, hs, "s hs traffic", th1, want);
    assert_memory_equal(s_hs, want, hl);

    ref_derive(h, hs, "derived", empty, derived);
    ref_extract(h, derived, hl, zeros, hl, ms);
    assert_true(clasp_ks_master(&ks, C, th2, c_ap, s_ap, exp));
    assert_memory_equal(ks.secret, ms, hl);
    ref_derive(h, ms, "c ap traffic", th2, want);
    assert_memory_equal(c_ap, want, hl);
    ref_derive(h, ms, "s ap traffic", th2, want);
    assert_memory_equal(s_ap, want, hl);
    ref_derive(h, ms, "exp master", th2, want);
    assert_memory_equal(exp, want, hl);
    assert_true(clasp_ks_resumption(&ks, C, th3, res));
    ref_derive(h, ms, "res master", th3, want);
    assert_memory_equal(res, want, hl);

    for (int a = 0; a < 3; a++) {
        uint8_t key[32], iv[12], rkey[32], riv[12];
        size_t kl = clasp_aead_key_len((clasp_aead_id)a);

        assert_true(clasp_ks_traffic_key(C, h, (clasp_aead_id)a, c_ap, key, iv));
        ref_expand_label(h, c_ap, "key", 3, NULL, 0, rkey, kl);
        ref_expand_label(h, c_ap, "iv", 2, NULL, 0, riv, 12);
        assert_memory_equal(key, rkey, kl);
        assert_memory_equal(iv, riv, 12);
    }
    {
        uint8_t fk[48], vd[48], rvd[48];
        size_t vd_len = 0;

        assert_true(clasp_ks_finished(C, h, s_hs, th2, vd));
        ref_expand_label(h, s_hs, "finished", 8, NULL, 0, fk, hl);
        assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, md_name(h), NULL, fk, hl, th2, hl, rvd,
                                  sizeof(rvd), &vd_len));
        assert_int_equal(vd_len, hl);
        assert_memory_equal(vd, rvd, hl);
    }
    /* KeyUpdate (RFC 9846 §7.2), twice, in place. */
    memcpy(tmp, s_ap, hl);
    for (int i = 0; i < 2; i++) {
        ref_expand_label(h, tmp, "traffic upd", 11, NULL, 0, want, hl);
        assert_true(clasp_ks_next_traffic_secret(C, h, tmp));
        assert_memory_equal(tmp, want, hl);
    }
    assert_memory_not_equal(tmp, s_ap, hl);
    clasp_ks_cleanup(&ks);
}

static void test_schedule_sha256_and_sha384(void **state)
{
    uint8_t psk[48];

    memset(psk, 0x42, sizeof(psk));
    schedule_matches_reference(CLASP_HASH_SHA256, NULL, 0);
    schedule_matches_reference(CLASP_HASH_SHA384, NULL, 0);
    schedule_matches_reference(CLASP_HASH_SHA256, psk, 32);
    schedule_matches_reference(CLASP_HASH_SHA384, psk, 48);
}

/* psk_ke mode has no (EC)DHE: the 0-value stands in (RFC 9846 §7.1). */
static void test_handshake_without_ecdhe(void **state)
{
    uint8_t zeros[32] = {0}, th[32] = {1}, a1[32], a2[32], b1[32], b2[32];
    clasp_keysched ka, kb;

    assert_true(clasp_ks_init(&ka, C, CLASP_HASH_SHA256, zeros, 32));
    assert_true(clasp_ks_init(&kb, C, CLASP_HASH_SHA256, zeros, 32));
    assert_true(clasp_ks_handshake(&ka, C, NULL, 0, th, a1, a2));
    assert_true(clasp_ks_handshake(&kb, C, zeros, 32, th, b1, b2));
    assert_memory_equal(ka.secret, kb.secret, 32);
    assert_memory_equal(a1, b1, 32);
    assert_memory_equal(a2, b2, 32);
    clasp_ks_cleanup(&ka);
    clasp_ks_cleanup(&kb);
}

/* RFC 9846 §7.5, against the reference; an absent context equals an empty
 * one; the label is taken by length, not up to a NUL. */
static void test_exporter(void **state)
{
    static const char label[] = "EXPERIMENTAL clasp test label";
    uint8_t exp[32], secret[48], ctx_hash[48], want[100], out[100], out2[100];

    unhex(rfc_exp_master, exp, sizeof(exp));
    for (int h = 0; h < 2; h++) {
        size_t hl = clasp_hash_len((clasp_hash_id)h);
        uint8_t empty[48];
        uint8_t exp_h[48];

        memset(exp_h, 0, sizeof(exp_h));
        memcpy(exp_h, exp, 32);
        ref_hash((clasp_hash_id)h, NULL, 0, empty);
        ref_expand_label((clasp_hash_id)h, exp_h, label, strlen(label), empty, hl, secret, hl);
        ref_hash((clasp_hash_id)h, (const uint8_t *)"context", 7, ctx_hash);
        ref_expand_label((clasp_hash_id)h, secret, "exporter", 8, ctx_hash, hl, want, 100);
        assert_true(clasp_ks_export(C, (clasp_hash_id)h, exp_h, label, strlen(label),
                                    (const uint8_t *)"context", 7, out, 100));
        assert_memory_equal(out, want, 100);

        assert_true(clasp_ks_export(C, (clasp_hash_id)h, exp_h, label, strlen(label), NULL, 0,
                                    out, 32));
        assert_true(clasp_ks_export(C, (clasp_hash_id)h, exp_h, label, strlen(label),
                                    (const uint8_t *)"", 0, out2, 32));
        assert_memory_equal(out, out2, 32);
        ref_expand_label((clasp_hash_id)h, secret, "exporter", 8, empty, hl, want, 32);
        assert_memory_equal(out, want, 32);
    }
    /* "EXPERIMENTAL" out of the longer string, by length. */
    assert_true(clasp_ks_export(C, CLASP_HASH_SHA256, exp, label, 12, NULL, 0, out, 16));
    assert_true(clasp_ks_export(C, CLASP_HASH_SHA256, exp, "EXPERIMENTAL", 12, NULL, 0, out2, 16));
    assert_memory_equal(out, out2, 16);
    /* An over-long label cannot be encoded. */
    {
        char big[251];

        memset(big, 'x', sizeof(big));
        assert_false(clasp_ks_export(C, CLASP_HASH_SHA256, exp, big, 250, NULL, 0, out, 16));
        assert_true(clasp_ks_export(C, CLASP_HASH_SHA256, exp, big, 249, NULL, 0, out, 16));
    }
}

static void test_bad_arguments(void **state)
{
    uint8_t secret[48] = {0}, key[32], iv[12];
    clasp_keysched ks;

    memset(&ks, 0xaa, sizeof(ks));
    assert_false(clasp_ks_init(&ks, C, (clasp_hash_id)5, NULL, 0));
    assert_int_equal(ks.hash_len, 0);
    assert_false(clasp_ks_traffic_key(C, CLASP_HASH_SHA256, (clasp_aead_id)9, secret, key, iv));
    assert_false(clasp_ks_finished(C, (clasp_hash_id)5, secret, secret, key));
    assert_false(clasp_ks_next_traffic_secret(C, (clasp_hash_id)5, secret));
    assert_false(clasp_ks_export(C, (clasp_hash_id)5, secret, "x", 1, NULL, 0, key, 8));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8448_ecdhe),
        cmocka_unit_test(test_rfc8448_full_handshake),
        cmocka_unit_test(test_rfc8448_application_records),
        cmocka_unit_test(test_rfc8448_resumption),
        cmocka_unit_test(test_schedule_sha256_and_sha384),
        cmocka_unit_test(test_handshake_without_ecdhe),
        cmocka_unit_test(test_exporter),
        cmocka_unit_test(test_bad_arguments),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

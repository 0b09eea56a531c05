/*
 * Clasp public header <openssl/tls1.h>: TLS protocol numbers (versions,
 * alerts, extension types, the cipher suites Clasp implements) and the
 * server-name (SNI) API.
 *
 * Names and values are OpenSSL 3.0's (DESIGN.md §12). What OpenSSL defines as
 * a macro over SSL_ctrl()/SSL_CTX_ctrl()/SSL_CTX_callback_ctrl() is the same
 * macro here with the same control number, so a binary compiled against
 * OpenSSL's headers makes the same calls into Clasp.
 */
#ifndef OPENSSL_TLS1_H
#define OPENSSL_TLS1_H

#include <openssl/macros.h>
#ifndef OPENSSL_NO_DEPRECATED_3_0
#define HEADER_TLS1_H
#endif

#include <openssl/buffer.h>
#include <openssl/x509.h>
#include <openssl/prov_ssl.h> /* TLS1_VERSION .. TLS1_3_VERSION */

#ifdef __cplusplus
extern "C" {
#endif

/* Security level used when the application sets none. */
#ifndef OPENSSL_TLS_SECURITY_LEVEL
#define OPENSSL_TLS_SECURITY_LEVEL 1
#endif

/* ---- Versions --------------------------------------------------------------
 * The version numbers themselves (TLS1_2_VERSION, TLS1_3_VERSION, ...) come
 * from libcrypto's <openssl/prov_ssl.h>. TLS_ANY_VERSION is the version of a
 * version-flexible method such as TLS_method(). */
#ifndef OPENSSL_NO_DEPRECATED_3_0
#define TLS_MAX_VERSION TLS1_3_VERSION
#endif
#define TLS_ANY_VERSION 0x10000

#define TLS1_VERSION_MAJOR 0x03
#define TLS1_VERSION_MINOR 0x01
#define TLS1_1_VERSION_MAJOR 0x03
#define TLS1_1_VERSION_MINOR 0x02
#define TLS1_2_VERSION_MAJOR 0x03
#define TLS1_2_VERSION_MINOR 0x03

#define TLS1_get_version(s) \
    ((SSL_version(s) >> 8) == TLS1_VERSION_MAJOR ? SSL_version(s) : 0)
#define TLS1_get_client_version(s) \
    ((SSL_client_version(s) >> 8) == TLS1_VERSION_MAJOR ? SSL_client_version(s) : 0)

/* ---- Alert descriptions beyond SSL 3.0's (RFC 9846 §6) ------------------- */
#define TLS1_AD_DECRYPTION_FAILED 21
#define TLS1_AD_RECORD_OVERFLOW 22
#define TLS1_AD_UNKNOWN_CA 48
#define TLS1_AD_ACCESS_DENIED 49
#define TLS1_AD_DECODE_ERROR 50
#define TLS1_AD_DECRYPT_ERROR 51
#define TLS1_AD_EXPORT_RESTRICTION 60
#define TLS1_AD_PROTOCOL_VERSION 70
#define TLS1_AD_INSUFFICIENT_SECURITY 71
#define TLS1_AD_INTERNAL_ERROR 80
#define TLS1_AD_INAPPROPRIATE_FALLBACK 86
#define TLS1_AD_USER_CANCELLED 90
#define TLS1_AD_NO_RENEGOTIATION 100
#define TLS13_AD_MISSING_EXTENSION 109
#define TLS13_AD_CERTIFICATE_REQUIRED 116
#define TLS1_AD_UNSUPPORTED_EXTENSION 110
#define TLS1_AD_CERTIFICATE_UNOBTAINABLE 111
#define TLS1_AD_UNRECOGNIZED_NAME 112
#define TLS1_AD_BAD_CERTIFICATE_STATUS_RESPONSE 113
#define TLS1_AD_BAD_CERTIFICATE_HASH_VALUE 114
#define TLS1_AD_UNKNOWN_PSK_IDENTITY 115
#define TLS1_AD_NO_APPLICATION_PROTOCOL 120

/* ---- Extension types (IANA "TLS ExtensionType Values") ------------------- */
#define TLSEXT_TYPE_server_name 0
#define TLSEXT_TYPE_max_fragment_length 1
#define TLSEXT_TYPE_client_certificate_url 2
#define TLSEXT_TYPE_trusted_ca_keys 3
#define TLSEXT_TYPE_truncated_hmac 4
#define TLSEXT_TYPE_status_request 5
#define TLSEXT_TYPE_user_mapping 6
#define TLSEXT_TYPE_client_authz 7
#define TLSEXT_TYPE_server_authz 8
#define TLSEXT_TYPE_cert_type 9
#define TLSEXT_TYPE_supported_groups 10
#define TLSEXT_TYPE_elliptic_curves TLSEXT_TYPE_supported_groups /* old name */
#define TLSEXT_TYPE_ec_point_formats 11
#define TLSEXT_TYPE_srp 12
#define TLSEXT_TYPE_signature_algorithms 13
#define TLSEXT_TYPE_use_srtp 14
#define TLSEXT_TYPE_application_layer_protocol_negotiation 16
#define TLSEXT_TYPE_signed_certificate_timestamp 18
#define TLSEXT_TYPE_padding 21
#define TLSEXT_TYPE_encrypt_then_mac 22
#define TLSEXT_TYPE_extended_master_secret 23
#define TLSEXT_TYPE_session_ticket 35
#define TLSEXT_TYPE_psk 41
#define TLSEXT_TYPE_early_data 42
#define TLSEXT_TYPE_supported_versions 43
#define TLSEXT_TYPE_cookie 44
#define TLSEXT_TYPE_psk_kex_modes 45
#define TLSEXT_TYPE_certificate_authorities 47
#define TLSEXT_TYPE_post_handshake_auth 49
#define TLSEXT_TYPE_signature_algorithms_cert 50
#define TLSEXT_TYPE_key_share 51
#define TLSEXT_TYPE_renegotiate 0xff01
#ifndef OPENSSL_NO_NEXTPROTONEG
#define TLSEXT_TYPE_next_proto_neg 13172
#endif

/* ServerNameList entries (RFC 6066 §3): only host_name is defined. */
#define TLSEXT_NAMETYPE_host_name 0
/* A DNS host name is at most 255 octets. */
#define TLSEXT_MAXLEN_host_name 255

/* status_request (RFC 6066 §8) */
#define TLSEXT_STATUSTYPE_ocsp 1

/* ec_point_formats (RFC 8422 §5.1.2) */
#define TLSEXT_ECPOINTFORMAT_first 0
#define TLSEXT_ECPOINTFORMAT_uncompressed 0
#define TLSEXT_ECPOINTFORMAT_ansiX962_compressed_prime 1
#define TLSEXT_ECPOINTFORMAT_ansiX962_compressed_char2 2
#define TLSEXT_ECPOINTFORMAT_last 2

/* TLS 1.2 SignatureAndHashAlgorithm halves (RFC 5246 §7.4.1.4.1) */
#define TLSEXT_signature_anonymous 0
#define TLSEXT_signature_rsa 1
#define TLSEXT_signature_dsa 2
#define TLSEXT_signature_ecdsa 3
#define TLSEXT_signature_gostr34102001 237
#define TLSEXT_signature_gostr34102012_256 238
#define TLSEXT_signature_gostr34102012_512 239
#define TLSEXT_signature_num 7

#define TLSEXT_hash_none 0
#define TLSEXT_hash_md5 1
#define TLSEXT_hash_sha1 2
#define TLSEXT_hash_sha224 3
#define TLSEXT_hash_sha256 4
#define TLSEXT_hash_sha384 5
#define TLSEXT_hash_sha512 6
#define TLSEXT_hash_gostr3411 237
#define TLSEXT_hash_gostr34112012_256 238
#define TLSEXT_hash_gostr34112012_512 239
#define TLSEXT_hash_num 10

#define TLSEXT_nid_unknown 0x1000000

#define TLSEXT_curve_P_256 23
#define TLSEXT_curve_P_384 24

/* max_fragment_length codes (RFC 6066 §4) */
#define TLSEXT_max_fragment_length_DISABLED 0
#define TLSEXT_max_fragment_length_512 1
#define TLSEXT_max_fragment_length_1024 2
#define TLSEXT_max_fragment_length_2048 3
#define TLSEXT_max_fragment_length_4096 4
#define TLSEXT_max_fragment_length_UNSPECIFIED 255

/* ---- Server name indication ----------------------------------------------- */

/* Client: the host name to send in server_name. */
#define SSL_set_tlsext_host_name(s, name)                                \
    SSL_ctrl(s, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, \
        (void *)name)

/* Server: called with (SSL *, int *alert, void *arg) once the ClientHello's
 * server_name is known; returns one of SSL_TLSEXT_ERR_*. */
#define SSL_CTX_set_tlsext_servername_callback(ctx, cb)           \
    SSL_CTX_callback_ctrl(ctx, SSL_CTRL_SET_TLSEXT_SERVERNAME_CB, \
        (void (*)(void))cb)
#define SSL_CTX_set_tlsext_servername_arg(ctx, arg) \
    SSL_CTX_ctrl(ctx, SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG, 0, arg)

/* Return values of the servername (and ALPN select) callbacks. */
#define SSL_TLSEXT_ERR_OK 0
#define SSL_TLSEXT_ERR_ALERT_WARNING 1
#define SSL_TLSEXT_ERR_ALERT_FATAL 2
#define SSL_TLSEXT_ERR_NOACK 3

/* The name the client asked for (server) or sent (client); NULL if none. */
const char *SSL_get_servername(const SSL *s, const int type);
/* TLSEXT_NAMETYPE_host_name if a name is known, else -1. */
int SSL_get_servername_type(const SSL *s);

/* ---- OCSP stapling (status_request) ---------------------------------------- */
#define SSL_get_tlsext_status_type(ssl) \
    SSL_ctrl(ssl, SSL_CTRL_GET_TLSEXT_STATUS_REQ_TYPE, 0, NULL)
#define SSL_set_tlsext_status_type(ssl, type) \
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_STATUS_REQ_TYPE, type, NULL)
#define SSL_get_tlsext_status_ocsp_resp(ssl, arg) \
    SSL_ctrl(ssl, SSL_CTRL_GET_TLSEXT_STATUS_REQ_OCSP_RESP, 0, arg)
#define SSL_set_tlsext_status_ocsp_resp(ssl, arg, arglen) \
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_STATUS_REQ_OCSP_RESP, arglen, arg)
#define SSL_CTX_set_tlsext_status_cb(ssl, cb)                     \
    SSL_CTX_callback_ctrl(ssl, SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB, \
        (void (*)(void))cb)
#define SSL_CTX_get_tlsext_status_cb(ssl, cb) \
    SSL_CTX_ctrl(ssl, SSL_CTRL_GET_TLSEXT_STATUS_REQ_CB, 0, (void *)cb)
#define SSL_CTX_set_tlsext_status_arg(ssl, arg) \
    SSL_CTX_ctrl(ssl, SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB_ARG, 0, arg)
#define SSL_CTX_get_tlsext_status_arg(ssl, arg) \
    SSL_CTX_ctrl(ssl, SSL_CTRL_GET_TLSEXT_STATUS_REQ_CB_ARG, 0, arg)
#define SSL_CTX_set_tlsext_status_type(ssl, type) \
    SSL_CTX_ctrl(ssl, SSL_CTRL_SET_TLSEXT_STATUS_REQ_TYPE, type, NULL)
#define SSL_CTX_get_tlsext_status_type(ssl) \
    SSL_CTX_ctrl(ssl, SSL_CTRL_GET_TLSEXT_STATUS_REQ_TYPE, 0, NULL)

/* ---- Session tickets ----------------------------------------------------------- */
#define SSL_CTX_get_tlsext_ticket_keys(ctx, keys, keylen) \
    SSL_CTX_ctrl(ctx, SSL_CTRL_GET_TLSEXT_TICKET_KEYS, keylen, keys)
#define SSL_CTX_set_tlsext_ticket_keys(ctx, keys, keylen) \
    SSL_CTX_ctrl(ctx, SSL_CTRL_SET_TLSEXT_TICKET_KEYS, keylen, keys)

/* ---- Keying material exporter (RFC 9846 §7.5, RFC 5705) ------------------ */
int SSL_export_keying_material(SSL *s, unsigned char *out, size_t olen,
    const char *label, size_t llen,
    const unsigned char *context,
    size_t contextlen, int use_context);

/* ---- Handshake signatures ------------------------------------------------------
 * The key type (NID, e.g. NID_rsassaPss, NID_ED25519) of the signature the
 * peer / this side made in the handshake. The digest is SSL_get_peer_signature_nid(). */
int SSL_get_peer_signature_type_nid(const SSL *s, int *pnid);
int SSL_get_signature_type_nid(const SSL *s, int *pnid);

/* ---- Cipher suites Clasp implements ---------------------------------------
 * Ids are 0x0300 << 16 | the IANA two-byte value, as SSL_CIPHER_get_id()
 * returns them; *_RFC_* are the IANA names (SSL_CIPHER_standard_name()),
 * *_TXT_* OpenSSL's names (SSL_CIPHER_get_name()). */

/* TLS 1.3 (RFC 9846 §B.4) */
#define TLS1_3_CK_AES_128_GCM_SHA256 0x03001301
#define TLS1_3_CK_AES_256_GCM_SHA384 0x03001302
#define TLS1_3_CK_CHACHA20_POLY1305_SHA256 0x03001303
#define TLS1_3_RFC_AES_128_GCM_SHA256 "TLS_AES_128_GCM_SHA256"
#define TLS1_3_RFC_AES_256_GCM_SHA384 "TLS_AES_256_GCM_SHA384"
#define TLS1_3_RFC_CHACHA20_POLY1305_SHA256 "TLS_CHACHA20_POLY1305_SHA256"

/* TLS 1.2 ECDHE with AES-GCM (RFC 5289) */
#define TLS1_CK_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 0x0300C02B
#define TLS1_CK_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 0x0300C02C
#define TLS1_CK_ECDHE_RSA_WITH_AES_128_GCM_SHA256 0x0300C02F
#define TLS1_CK_ECDHE_RSA_WITH_AES_256_GCM_SHA384 0x0300C030
#define TLS1_RFC_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
#define TLS1_RFC_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
#define TLS1_RFC_ECDHE_RSA_WITH_AES_128_GCM_SHA256 "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
#define TLS1_RFC_ECDHE_RSA_WITH_AES_256_GCM_SHA384 "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
#define TLS1_TXT_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 "ECDHE-ECDSA-AES128-GCM-SHA256"
#define TLS1_TXT_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 "ECDHE-ECDSA-AES256-GCM-SHA384"
#define TLS1_TXT_ECDHE_RSA_WITH_AES_128_GCM_SHA256 "ECDHE-RSA-AES128-GCM-SHA256"
#define TLS1_TXT_ECDHE_RSA_WITH_AES_256_GCM_SHA384 "ECDHE-RSA-AES256-GCM-SHA384"

/* TLS 1.2 ECDHE with ChaCha20-Poly1305 (RFC 7905) */
#define TLS1_CK_ECDHE_RSA_WITH_CHACHA20_POLY1305 0x0300CCA8
#define TLS1_CK_ECDHE_ECDSA_WITH_CHACHA20_POLY1305 0x0300CCA9
#define TLS1_RFC_ECDHE_RSA_WITH_CHACHA20_POLY1305 "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
#define TLS1_RFC_ECDHE_ECDSA_WITH_CHACHA20_POLY1305 "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
#define TLS1_TXT_ECDHE_RSA_WITH_CHACHA20_POLY1305 "ECDHE-RSA-CHACHA20-POLY1305"
#define TLS1_TXT_ECDHE_ECDSA_WITH_CHACHA20_POLY1305 "ECDHE-ECDSA-CHACHA20-POLY1305"

/* ---- TLS 1.2 CertificateRequest certificate types (RFC 5246, RFC 8422) --- */
#define TLS_CT_RSA_SIGN 1
#define TLS_CT_DSS_SIGN 2
#define TLS_CT_RSA_FIXED_DH 3
#define TLS_CT_DSS_FIXED_DH 4
#define TLS_CT_ECDSA_SIGN 64
#define TLS_CT_RSA_FIXED_ECDH 65
#define TLS_CT_ECDSA_FIXED_ECDH 66
#define TLS_CT_GOST01_SIGN 22
#define TLS_CT_GOST12_IANA_SIGN 67
#define TLS_CT_GOST12_IANA_512_SIGN 68
#define TLS_CT_GOST12_LEGACY_SIGN 238
#define TLS_CT_GOST12_LEGACY_512_SIGN 239
#ifndef OPENSSL_NO_DEPRECATED_3_0
#define TLS_CT_GOST12_SIGN TLS_CT_GOST12_LEGACY_SIGN
#define TLS_CT_GOST12_512_SIGN TLS_CT_GOST12_LEGACY_512_SIGN
#endif
#define TLS_CT_NUMBER 12

/* ---- TLS 1.2 PRF labels (RFC 5246 §8.1, §6.3; RFC 7627 §4) ---------------- */
#define TLS1_FINISH_MAC_LENGTH 12
#define TLS_MD_MAX_CONST_SIZE 22
#define TLS_MD_CLIENT_FINISH_CONST "client finished"
#define TLS_MD_CLIENT_FINISH_CONST_SIZE 15
#define TLS_MD_SERVER_FINISH_CONST "server finished"
#define TLS_MD_SERVER_FINISH_CONST_SIZE 15
#define TLS_MD_KEY_EXPANSION_CONST "key expansion"
#define TLS_MD_KEY_EXPANSION_CONST_SIZE 13
#define TLS_MD_MASTER_SECRET_CONST "master secret"
#define TLS_MD_MASTER_SECRET_CONST_SIZE 13
#define TLS_MD_EXTENDED_MASTER_SECRET_CONST "extended master secret"
#define TLS_MD_EXTENDED_MASTER_SECRET_CONST_SIZE 22

#ifdef __cplusplus
}
#endif
#endif /* OPENSSL_TLS1_H */

/*
 * Clasp public header <openssl/ssl3.h>: record-layer and handshake-layer
 * numbers shared by SSL 3.0 and every TLS version.
 *
 * Clasp never speaks SSL 3.0; this header exists because OpenSSL 3.0's
 * callers find the record content types (SSL3_RT_*), handshake message types
 * (SSL3_MT_*), alert levels and alert descriptions here, most often in
 * SSL_CTX_set_msg_callback() and SSL_CTX_set_info_callback() handlers.
 * Names and values are those of OpenSSL 3.0 (DESIGN.md §12: ABI is part of
 * the API); tests/abi/test_abi.sh checks every one against the system headers.
 */
#ifndef OPENSSL_SSL3_H
#define OPENSSL_SSL3_H

#include <openssl/macros.h>
#ifndef OPENSSL_NO_DEPRECATED_3_0
#define HEADER_SSL3_H
#endif

#include <openssl/e_os2.h>
#include <openssl/buffer.h>
#include <openssl/evp.h>
#include <openssl/prov_ssl.h> /* SSL3_VERSION .. TLS1_3_VERSION */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Signalling cipher suite values (RFC 5746, RFC 7507) ----------------
 * OpenSSL's cipher ids are 0x0300 << 16 | the two-byte wire value. */
#define SSL3_CK_SCSV 0x030000FF          /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV */
#define SSL3_CK_FALLBACK_SCSV 0x03005600 /* TLS_FALLBACK_SCSV */

/* ---- Sizes ---------------------------------------------------------------- */
#define SSL3_SSL_SESSION_ID_LENGTH 32
#define SSL3_MAX_SSL_SESSION_ID_LENGTH 32
#define SSL3_MASTER_SECRET_SIZE 48
#define SSL3_RANDOM_SIZE 32 /* ClientHello.random / ServerHello.random */
#define SSL3_SESSION_ID_SIZE 32
#define SSL3_RT_HEADER_LENGTH 5 /* type(1) version(2) length(2) */
#define SSL3_HM_HEADER_LENGTH 4 /* msg_type(1) length(3) */

#ifndef SSL3_ALIGN_PAYLOAD
#define SSL3_ALIGN_PAYLOAD 8
#endif

/* Record size limits. TLSPlaintext.fragment is at most 2^14 bytes
 * (RFC 9846 §5.1); a TLS 1.3 TLSCiphertext adds at most 256 (§5.2). */
#define SSL3_RT_MAX_MD_SIZE 64
#define SSL_RT_MAX_CIPHER_BLOCK_SIZE 16
#define SSL3_RT_MAX_EXTRA (16384)
#define SSL3_RT_MAX_PLAIN_LENGTH 16384
#define SSL3_RT_MAX_COMPRESSED_OVERHEAD 1024
#define SSL3_RT_MAX_ENCRYPTED_OVERHEAD (256 + SSL3_RT_MAX_MD_SIZE)
#define SSL3_RT_MAX_TLS13_ENCRYPTED_OVERHEAD 256
#define SSL3_RT_SEND_MAX_ENCRYPTED_OVERHEAD \
    (SSL_RT_MAX_CIPHER_BLOCK_SIZE + SSL3_RT_MAX_MD_SIZE)
/* OpenSSL sizes this by whether the libcrypto build has compression. */
#ifdef OPENSSL_NO_COMP
#define SSL3_RT_MAX_COMPRESSED_LENGTH SSL3_RT_MAX_PLAIN_LENGTH
#else
#define SSL3_RT_MAX_COMPRESSED_LENGTH \
    (SSL3_RT_MAX_PLAIN_LENGTH + SSL3_RT_MAX_COMPRESSED_OVERHEAD)
#endif
#define SSL3_RT_MAX_ENCRYPTED_LENGTH \
    (SSL3_RT_MAX_ENCRYPTED_OVERHEAD + SSL3_RT_MAX_COMPRESSED_LENGTH)
#define SSL3_RT_MAX_TLS13_ENCRYPTED_LENGTH \
    (SSL3_RT_MAX_PLAIN_LENGTH + SSL3_RT_MAX_TLS13_ENCRYPTED_OVERHEAD)
#define SSL3_RT_MAX_PACKET_SIZE \
    (SSL3_RT_MAX_ENCRYPTED_LENGTH + SSL3_RT_HEADER_LENGTH)

#define SSL3_VERSION_MAJOR 0x03
#define SSL3_VERSION_MINOR 0x00

/* ---- Record content types (RFC 9846 §5.1 ContentType) -------------------- */
#define SSL3_RT_CHANGE_CIPHER_SPEC 20
#define SSL3_RT_ALERT 21
#define SSL3_RT_HANDSHAKE 22
#define SSL3_RT_APPLICATION_DATA 23

/* Pseudo content types passed to the message callback only: the 5-byte record
 * header, and the TLS 1.3 inner content type byte. */
#define SSL3_RT_HEADER 0x100
#define SSL3_RT_INNER_CONTENT_TYPE 0x101

/* ---- Alerts (RFC 9846 §6) ----------------------------------------------- */
#define SSL3_AL_WARNING 1
#define SSL3_AL_FATAL 2

#define SSL3_AD_CLOSE_NOTIFY 0
#define SSL3_AD_UNEXPECTED_MESSAGE 10
#define SSL3_AD_BAD_RECORD_MAC 20
#define SSL3_AD_DECOMPRESSION_FAILURE 30
#define SSL3_AD_HANDSHAKE_FAILURE 40
#define SSL3_AD_NO_CERTIFICATE 41
#define SSL3_AD_BAD_CERTIFICATE 42
#define SSL3_AD_UNSUPPORTED_CERTIFICATE 43
#define SSL3_AD_CERTIFICATE_REVOKED 44
#define SSL3_AD_CERTIFICATE_EXPIRED 45
#define SSL3_AD_CERTIFICATE_UNKNOWN 46
#define SSL3_AD_ILLEGAL_PARAMETER 47

/* ---- Certificate types (TLS 1.2 CertificateRequest.certificate_types) ---- */
#define SSL3_CT_RSA_SIGN 1
#define SSL3_CT_DSS_SIGN 2
#define SSL3_CT_RSA_FIXED_DH 3
#define SSL3_CT_DSS_FIXED_DH 4
#define SSL3_CT_RSA_EPHEMERAL_DH 5
#define SSL3_CT_DSS_EPHEMERAL_DH 6
#define SSL3_CT_FORTEZZA_DMS 20
#define SSL3_CT_NUMBER 12

/* ---- Handshake message types (RFC 9846 §4 HandshakeType) ----------------- */
#define SSL3_MT_HELLO_REQUEST 0
#define SSL3_MT_CLIENT_HELLO 1
#define SSL3_MT_SERVER_HELLO 2
#define SSL3_MT_NEWSESSION_TICKET 4
#define SSL3_MT_END_OF_EARLY_DATA 5
#define SSL3_MT_ENCRYPTED_EXTENSIONS 8
#define SSL3_MT_CERTIFICATE 11
#define SSL3_MT_SERVER_KEY_EXCHANGE 12
#define SSL3_MT_CERTIFICATE_REQUEST 13
#define SSL3_MT_SERVER_DONE 14
#define SSL3_MT_CERTIFICATE_VERIFY 15
#define SSL3_MT_CLIENT_KEY_EXCHANGE 16
#define SSL3_MT_FINISHED 20
#define SSL3_MT_CERTIFICATE_URL 21
#define SSL3_MT_CERTIFICATE_STATUS 22
#define SSL3_MT_SUPPLEMENTAL_DATA 23
#define SSL3_MT_KEY_UPDATE 24
#define SSL3_MT_NEXT_PROTO 67
#define SSL3_MT_MESSAGE_HASH 254
/* Dummy type for the message callback's ChangeCipherSpec reports. */
#define SSL3_MT_CHANGE_CIPHER_SPEC 0x0101

/* The single byte of a ChangeCipherSpec record. */
#define SSL3_MT_CCS 1

#ifdef __cplusplus
}
#endif

/* As with OpenSSL, including this header alone gives the whole libssl API. */
#include <openssl/ssl.h>

#endif /* OPENSSL_SSL3_H */

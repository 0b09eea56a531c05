/*
 * blocking_client: a TLS client on a blocking socket.
 *
 *     blocking_client HOST PORT CAFILE [LINE...]
 *
 * Connects to HOST:PORT, checks that the server's certificate chains to CAFILE and names
 * HOST, sends each LINE (default: "hello") and prints what the server answers until it closes
 * the connection. Against `openssl s_server -rev` every line comes back reversed, and a line
 * "CLOSE" makes the server hang up.
 *
 * On a blocking socket an SSL call returns only once it has finished or failed: the caller
 * never sees SSL_ERROR_WANT_READ or SSL_ERROR_WANT_WRITE (SSL_do_handshake(3)). Compare
 * nonblocking_client.c and bio_pair_client.c.
 *
 * Build: cc blocking_client.c -o blocking_client -lssl -lcrypto
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/* A connected TCP socket to host:port (the first address that answers), or -1. */
static int connect_to(const char *host, const char *port)
{
    struct addrinfo hints = {0}, *list, *ai;
    int fd = -1;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &list) != 0)
        return -1;
    for (ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(list);
    return fd;
}

/* What the handshake agreed on. */
static void print_connection(SSL *ssl)
{
    X509 *peer = SSL_get1_peer_certificate(ssl);
    char name[256] = "(none)";

    if (peer != NULL)
        X509_NAME_oneline(X509_get_subject_name(peer), name, sizeof(name));
    printf("Protocol: %s\n", SSL_get_version(ssl));
    printf("Cipher: %s\n", SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
    printf("Server: %s\n", name);
    printf("Verification: %s\n", X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
    X509_free(peer);
}

int main(int argc, char **argv)
{
    const char *host, *port, *cafile;
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    int fd = -1, ret = 1;
    char buf[4096];
    size_t n;

    if (argc < 4) {
        fprintf(stderr, "usage: %s HOST PORT CAFILE [LINE...]\n", argv[0]);
        return 2;
    }
    host = argv[1];
    port = argv[2];
    cafile = argv[3];

    /*
     * An SSL_CTX holds the configuration shared by connections: verify the server, trust
     * CAFILE, and accept nothing older than TLS 1.2.
     */
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        goto end;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1
        || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
        goto end;

    fd = connect_to(host, port);
    if (fd < 0) {
        fprintf(stderr, "cannot connect to %s:%s\n", host, port);
        goto end;
    }

    /*
     * One SSL per connection, reading and writing the socket itself (SSL_set_fd). The name
     * goes into the ClientHello (SNI) and is what the certificate must match.
     */
    ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1
        || SSL_set_tlsext_host_name(ssl, host) != 1 || SSL_set1_host(ssl, host) != 1)
        goto end;

    /* The handshake: on a blocking socket, 1 or a failure; nothing to retry. */
    if (SSL_connect(ssl) != 1) {
        printf("Handshake failed: %s\n",
               X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
        goto end;
    }
    print_connection(ssl);

    /* Send the lines; SSL_write_ex returns once all of them is written. */
    for (int i = 4; i < argc || i == 4; i++) {
        const char *line = i < argc ? argv[i] : "hello";

        if (SSL_write_ex(ssl, line, strlen(line), &n) != 1 || SSL_write_ex(ssl, "\n", 1, &n) != 1)
            goto end;
    }

    /* Read until the server closes: SSL_read_ex fails, SSL_get_error says how. */
    while (SSL_read_ex(ssl, buf, sizeof(buf), &n) == 1)
        fwrite(buf, 1, n, stdout);
    switch (SSL_get_error(ssl, 0)) {
    case SSL_ERROR_ZERO_RETURN:
        /* close_notify: a clean end. Answer with ours (SSL_shutdown(3)). */
        printf("Closed: close_notify\n");
        SSL_shutdown(ssl);
        ret = 0;
        break;
    case SSL_ERROR_SSL:
        /* OpenSSL 3: an EOF without close_notify is an error, the data may be truncated. */
        printf("Closed: %s\n", ERR_reason_error_string(ERR_peek_last_error()));
        break;
    default:
        printf("Closed: transport error\n");
        break;
    }

end:
    if (ret != 0)
        ERR_print_errors_fp(stderr);
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    SSL_CTX_free(ctx);
    return ret;
}

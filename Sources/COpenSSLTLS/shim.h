// OpenSSL 3 (libssl + libcrypto): TLS client connections for the I/O engine and the MQTT uplink.
// Wraps the macros Swift cannot call (they expand to SSL_ctrl / SSL_CTX_ctrl).
#ifndef FLOORLINK_COPENSSLTLS_SHIM_H
#define FLOORLINK_COPENSSLTLS_SHIM_H
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/// SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION): refuse anything older than TLS 1.2.
static inline int floorlink_ssl_ctx_require_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}
/// SSL_set_tlsext_host_name(ssl, name): the SNI server name.
static inline int floorlink_ssl_set_sni(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
/// SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER): non-blocking
/// writes may complete partly and be retried from a different buffer address.
static inline void floorlink_ssl_ctx_allow_partial_writes(SSL_CTX *ctx) {
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}
/// SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF): a peer that closes TCP without close_notify reads
/// as end of stream (as on plain TCP); the HTTP framing above, not TLS, tells a truncated response.
static inline void floorlink_ssl_ctx_eof_as_end_of_stream(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
}
/// The first certificate the peer presented (its own), or NULL; kept by OpenSSL even when verification failed.
static inline X509 *floorlink_ssl_peer_leaf(const SSL *ssl) {
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    return chain != NULL && sk_X509_num(chain) > 0 ? sk_X509_value(chain, 0) : NULL;
}
#endif

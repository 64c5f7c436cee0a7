// OpenSSL 3 (libssl + libcrypto): TLS client connections for the MQTT uplink.
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
#endif

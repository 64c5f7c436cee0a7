import COpenSSLTLS

/// An OpenSSL client context (SSL_CTX): TLS 1.2 or newer, the peer verified against the CA file or the system
/// trust store, an optional client certificate. Made once per client and shared by its connections.
// @unchecked Sendable: the SSL_CTX is fully configured in init and never changed afterwards; OpenSSL documents
// SSL_new on a shared, unchanging SSL_CTX as safe from any thread, and the pointer is freed only in deinit.
public final class TLSContext: @unchecked Sendable {
    /// The SSL_CTX, for a client that makes its own SSL objects on it (the MQTT connection thread).
    package let context: OpaquePointer
    /// The settings the context was made from.
    public let configuration: TLSConfiguration

    /// Builds the context with SSL_CTX_new, SSL_CTX_load_verify_locations and SSL_CTX_use_certificate_chain_file.
    public init(_ configuration: TLSConfiguration = TLSConfiguration()) throws(IOError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw .tlsConfiguration(detail: "SSL_CTX_new failed: \(Self.openSSLErrors())")
        }
        self.context = context
        self.configuration = configuration
        guard floorlink_ssl_ctx_require_tls12(context) == 1 else {
            throw .tlsConfiguration(detail: "cannot require TLS 1.2: \(Self.openSSLErrors())")
        }
        floorlink_ssl_ctx_allow_partial_writes(context)
        floorlink_ssl_ctx_eof_as_end_of_stream(context)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let caFile = configuration.caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw .tlsConfiguration(detail: "cannot load CA file '\(caFile)': \(Self.openSSLErrors())")
            }
        } else if SSL_CTX_set_default_verify_paths(context) != 1 {
            throw .tlsConfiguration(detail: "cannot load the system trust store: \(Self.openSSLErrors())")
        }
        switch (configuration.certificateFile, configuration.keyFile) {
        case (nil, nil):
            break
        case (let certificate?, let key?):
            guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
                throw .tlsConfiguration(
                    detail: "cannot load client certificate '\(certificate)': \(Self.openSSLErrors())"
                )
            }
            guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
                throw .tlsConfiguration(detail: "cannot load client key '\(key)': \(Self.openSSLErrors())")
            }
            guard SSL_CTX_check_private_key(context) == 1 else {
                throw .tlsConfiguration(detail: "client key '\(key)' does not match certificate '\(certificate)'")
            }
        default:
            throw .tlsConfiguration(detail: "a client certificate needs both a certificate file and a key file")
        }
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// Drains this thread's OpenSSL error queue into one line (ERR_get_error, ERR_error_string_n).
    package static func openSSLErrors() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? "unknown OpenSSL error" : messages.joined(separator: "; ")
    }
}

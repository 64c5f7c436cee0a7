/// What a TLS client trusts and presents: the CA that signs the server's certificate (nil: the system's trust
/// store) and, for mutual TLS, this controller's certificate and key (PEM files).
public struct TLSConfiguration: Hashable, Sendable {
    /// PEM CA bundle that verifies the server; nil uses the system's trust store.
    public var caFile: String?
    /// PEM certificate (chain) presented to the server, for mutual TLS.
    public var certificateFile: String?
    /// PEM private key for `certificateFile`.
    public var keyFile: String?

    /// TLS settings from PEM file paths.
    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}

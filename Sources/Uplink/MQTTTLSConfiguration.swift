/// TLS settings for `mqtts://`: the CA that signs the broker's certificate and, for mutual TLS, this
/// controller's certificate and key (PEM files).
public struct MQTTTLSConfiguration: Hashable, Sendable {
    /// PEM CA bundle that verifies the broker; nil uses the system's trust store.
    public var caFile: String?
    /// PEM certificate (chain) presented to the broker, for mutual TLS.
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

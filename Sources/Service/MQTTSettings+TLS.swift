import Uplink

extension MQTTSettings {
    /// The TLS files an `mqtts://` uplink uses (`caFile`, `certFile`, `keyFile`), each honoured without the
    /// others (a client certificate against a broker with a public CA needs no `caFile`); nil when none is set:
    /// then the broker is verified against the system trust store and no client certificate is presented.
    public var tls: MQTTTLSConfiguration? {
        guard caFile != nil || certificateFile != nil || keyFile != nil else { return nil }
        return MQTTTLSConfiguration(caFile: caFile, certificateFile: certificateFile, keyFile: keyFile)
    }
}

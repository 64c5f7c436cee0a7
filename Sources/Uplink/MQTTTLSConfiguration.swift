import IOEngine

/// TLS settings for `mqtts://`: the I/O engine's, shared with the webhook (the CA that signs the broker's
/// certificate and, for mutual TLS, this controller's certificate and key).
public typealias MQTTTLSConfiguration = TLSConfiguration

/// Everything that can go wrong between Floorlink and an MQTT broker, each case saying what to check.
public enum MQTTError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The broker sent bytes that are not MQTT 3.1.1 (garbage, an oversized or malformed packet).
    case protocolViolation(String)
    /// A packet could not be encoded: a string or payload exceeds an MQTT limit.
    case invalidPacket(String)
    /// The uplink URL is not `mqtt://host[:port]` or `mqtts://host[:port]`.
    case invalidURL(String)
    /// The host name did not resolve.
    case hostNotFound(host: String, port: Int, reason: String)
    /// The TCP connection could not be made (refused, unreachable, …).
    case connectionFailed(host: String, port: Int, reason: String)
    /// The TCP connection (or the TLS handshake, or CONNACK) did not complete in time.
    case connectTimedOut(host: String, port: Int, seconds: Double)
    /// An established connection failed: closed by the broker, reset, or a read/write error.
    case connectionLost(host: String, port: Int, reason: String)
    /// Nothing arrived from the broker within 1.5 keep-alive periods: a half-open connection.
    case keepAliveTimeout(host: String, port: Int, seconds: Double)
    /// The broker answered CONNECT with a refusal.
    case connectionRefused(host: String, port: Int, code: MQTTConnectReturnCode)
    /// The TLS handshake failed, e.g. the server certificate did not verify against the CA file.
    case tlsHandshakeFailed(host: String, port: Int, reason: String)
    /// A CA, certificate or key file could not be loaded.
    case tlsConfiguration(String)
    /// The broker refused a subscription.
    case subscriptionRefused(topic: String)
    /// The client was stopped before the operation finished.
    case stopped

    /// What happened and what to check.
    public var description: String {
        switch self {
        case .protocolViolation(let detail):
            return "MQTT protocol violation from the broker: \(detail); check that the URL points at an MQTT 3.1.1 "
                + "broker (and mqtts:// for a TLS port)"
        case .invalidPacket(let detail):
            return "cannot encode MQTT packet: \(detail)"
        case .invalidURL(let url):
            return "invalid MQTT URL '\(url)': expected mqtt://host[:port] or mqtts://host[:port]"
        case .hostNotFound(let host, let port, let reason):
            return "cannot resolve MQTT broker host '\(host)' (port \(port)): \(reason); check the uplink URL and DNS"
        case .connectionFailed(let host, let port, let reason):
            return "cannot connect to MQTT broker \(host):\(port): \(reason); check the broker is running and "
                + "reachable from this controller"
        case .connectTimedOut(let host, let port, let seconds):
            return "connecting to MQTT broker \(host):\(port) timed out after \(seconds) s; check firewalls and "
                + "the port"
        case .connectionLost(let host, let port, let reason):
            return "connection to MQTT broker \(host):\(port) lost: \(reason)"
        case .keepAliveTimeout(let host, let port, let seconds):
            return "MQTT broker \(host):\(port) silent for \(seconds) s (keep-alive timeout); the connection is "
                + "considered dead and will be re-established"
        case .connectionRefused(let host, let port, let code):
            return "MQTT broker \(host):\(port) refused the connection: \(code)"
        case .tlsHandshakeFailed(let host, let port, let reason):
            return "TLS handshake with MQTT broker \(host):\(port) failed: \(reason); check the CA file, that the "
                + "server certificate names '\(host)', and any client certificate"
        case .tlsConfiguration(let detail):
            return "TLS configuration: \(detail)"
        case .subscriptionRefused(let topic):
            return "MQTT broker refused the subscription to '\(topic)'; check its ACLs"
        case .stopped:
            return "MQTT client stopped"
        }
    }
}

import IOEngine

extension MQTTTransport {
    /// The MQTT error for a failed connect or TLS handshake: each keeps the host and port the uplink dialled.
    static func connectFailure(_ error: IOError, host: String, port: Int, timeout: Duration) -> MQTTError {
        switch error {
        case .nameResolution(_, let detail):
            return .hostNotFound(host: host, port: port, reason: detail)
        case .timedOut:
            return .connectTimedOut(host: host, port: port, seconds: seconds(timeout))
        case .cancelled, .closed:
            return .stopped
        case .failed(_, _, let code):
            return .connectionFailed(host: host, port: port, reason: "\(IOError.describe(errno: code)) (errno \(code))")
        case .certificateRejected(_, let subject, let reason):
            let presented = subject.map { " (certificate subject \($0))" } ?? ""
            return .tlsHandshakeFailed(
                host: host,
                port: port,
                reason: "certificate verify failed: \(reason)\(presented)"
            )
        case .tls(_, let detail):
            return .tlsHandshakeFailed(host: host, port: port, reason: detail)
        case .tlsConfiguration(let detail):
            return .tlsConfiguration(detail)
        }
    }

    /// The MQTT error for a failed read. TLS 1.3 finishes the client's handshake before the server checks the
    /// client certificate, so a TLS failure before any data is the broker rejecting the handshake.
    func readFailure(_ error: IOError, receivedAny: Bool) -> MQTTError {
        switch error {
        case .tls(_, let detail) where !receivedAny:
            return .tlsHandshakeFailed(host: host, port: port, reason: "rejected by the broker: \(detail)")
        case .tls(_, let detail):
            return .connectionLost(host: host, port: port, reason: "TLS read failed: \(detail)")
        case .failed(_, _, let code):
            return .connectionLost(host: host, port: port, reason: "\(IOError.describe(errno: code)) (errno \(code))")
        default:
            return .connectionLost(host: host, port: port, reason: error.description)
        }
    }

    /// The MQTT error for a failed write (a timed-out write means the broker stopped reading).
    func writeFailure(_ error: IOError) -> MQTTError {
        switch error {
        case .failed(_, _, let code):
            let reason = "write: \(IOError.describe(errno: code)) (errno \(code))"
            return .connectionLost(host: host, port: port, reason: reason)
        default:
            return .connectionLost(host: host, port: port, reason: "write: \(error.description)")
        }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(milliseconds(duration)) / 1000
    }
}

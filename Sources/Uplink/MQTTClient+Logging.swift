import Logging

extension MQTTClient {
    /// Logs why a session ended, once per state change: `disconnected` when a connection was up, `cannot connect`
    /// (or `TLS verification failed`) the first time in an outage that a connect fails a given way. A retry that
    /// fails a way already logged in this outage is logged at debug level only, so a broker that is down for an hour
    /// leaves one warning, and one that flaps between two failures two.
    func logFailure(_ failure: MQTTError?, afterConnection: Bool, retryIn delay: Duration) {
        let broker = "\(configuration.broker.host):\(configuration.broker.port)"
        let retry = MQTTTransport.milliseconds(delay)
        guard let failure else {
            if afterConnection {
                loggedFailures = []
                logger.warning("disconnected", ["broker": broker, "retry_in_ms": "\(retry)"])
            }
            return
        }
        var metadata = ["broker": broker, "reason": failure.description, "retry_in_ms": "\(retry)"]
        if afterConnection {
            loggedFailures = [failure.description]
            logger.warning("disconnected", metadata)
            return
        }
        guard loggedFailures.insert(failure.description).inserted else {
            logger.debug("still cannot connect", metadata)
            return
        }
        if case .tlsHandshakeFailed(_, _, let reason) = failure, let rejection = Self.certificateRejection(reason) {
            metadata["reason"] = rejection.reason
            if let subject = rejection.subject { metadata["subject"] = subject }
            logger.error("TLS verification failed", metadata)
        } else {
            logger.warning("cannot connect", metadata)
        }
    }

    /// The verify reason and certificate subject of a `tlsHandshakeFailed` reason written by
    /// `MQTTTransport.connectFailure` for a rejected certificate; nil for other handshake failures.
    static func certificateRejection(_ reason: String) -> (reason: String, subject: String?)? {
        let prefix = "certificate verify failed: "
        guard reason.hasPrefix(prefix) else { return nil }
        let rest = String(reason.dropFirst(prefix.count))
        let marker = " (certificate subject "
        guard let range = rest.firstRange(of: marker), rest.hasSuffix(")") else { return (rest, nil) }
        let subject = rest[range.upperBound...].dropLast()
        return (String(rest[..<range.lowerBound]), String(subject))
    }
}

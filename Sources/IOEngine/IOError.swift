import Glibc

/// The one error type of the I/O engine: each case names what was being done and to what, so a log line
/// says which host, port or descriptor failed and why.
public enum IOError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A system call failed: `operation` (`connect`, `epoll_ctl`, …) on `target` (`host:port`, `fd 7`) with `errno`.
    case failed(operation: String, target: String, errno: Int32)
    /// `operation` on `target` did not finish within `after`.
    case timedOut(operation: String, target: String, after: Duration)
    /// The waiting task was cancelled.
    case cancelled(operation: String, target: String)
    /// The stream was closed by this side while an operation used it.
    case closed(target: String)
    /// `getaddrinfo` found no address for `host`; `detail` is its `gai_strerror` text.
    case nameResolution(host: String, detail: String)
    /// The TLS settings cannot be used (a CA file, certificate or key that does not load).
    case tlsConfiguration(detail: String)
    /// The TLS handshake or record layer failed on `target` for a reason other than verification.
    case tls(target: String, detail: String)
    /// The peer's certificate did not verify: `subject` is the certificate's subject (when one was presented),
    /// `reason` OpenSSL's verify result text (e.g. "hostname mismatch", "unable to get local issuer certificate").
    case certificateRejected(target: String, subject: String?, reason: String)

    public var description: String {
        switch self {
        case .failed(let operation, let target, let code):
            return "\(operation) \(target) failed: \(Self.describe(errno: code)) (errno \(code))"
        case .timedOut(let operation, let target, let after):
            return "\(operation) \(target) timed out after \(after)"
        case .cancelled(let operation, let target):
            return "\(operation) \(target) was cancelled"
        case .closed(let target):
            return "\(target) is closed"
        case .nameResolution(let host, let detail):
            return "cannot resolve host name '\(host)': \(detail); check the name and the DNS settings"
        case .tlsConfiguration(let detail):
            return "TLS configuration: \(detail)"
        case .tls(let target, let detail):
            return "TLS with \(target) failed: \(detail)"
        case .certificateRejected(let target, let subject, let reason):
            let presented = subject.map { " (certificate subject \($0))" } ?? ""
            return "TLS certificate of \(target) rejected: \(reason)\(presented); check the CA file and the host name"
        }
    }

    /// `strerror(code)`.
    public static func describe(errno code: Int32) -> String {
        String(cString: strerror(code))
    }
}

import IOEngine

/// Why an HTTP exchange failed, with what to check.
public enum HTTPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The URL text cannot be used: `reason` says which part.
    case invalidURL(String, reason: String)
    /// A header name or value that cannot be sent (empty, or with CR, LF or other control characters).
    case invalidRequest(String)
    /// Connecting, the TLS handshake, a write or a read failed or timed out.
    case connection(IOError)
    /// The server closed the connection before sending any of the response.
    case closedBeforeResponse(peer: String)
    /// The server closed the connection in the middle of the response, after `received` bytes of it.
    case closedMidResponse(peer: String, received: Int)
    /// The bytes received are not an HTTP/1.x response: `detail` says where.
    case malformedResponse(String)
    /// The response (its head or its body) is larger than the client accepts.
    case responseTooLarge(limit: Int)
    /// The server answered with a redirect; the client does not follow them.
    case redirectRefused(status: Int, location: String?)

    public var description: String {
        switch self {
        case .invalidURL(let text, let reason):
            return "invalid URL \"\(text)\": \(reason)"
        case .invalidRequest(let detail):
            return "cannot send the request: \(detail)"
        case .connection(let error):
            return error.description
        case .closedBeforeResponse(let peer):
            return "\(peer) closed the connection without answering"
        case .closedMidResponse(let peer, let received):
            return "\(peer) closed the connection in the middle of the response (after \(received) bytes)"
        case .malformedResponse(let detail):
            return "the answer is not a valid HTTP/1.1 response: \(detail)"
        case .responseTooLarge(let limit):
            return "the response is larger than the \(limit)-byte limit"
        case .redirectRefused(let status, let location):
            let target = location.map { " to \($0)" } ?? ""
            return "HTTP \(status) redirect\(target) refused: redirects are not followed; configure the final URL"
        }
    }
}

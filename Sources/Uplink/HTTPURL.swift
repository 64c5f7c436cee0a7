/// An `http://` or `https://` URL split into what an HTTP/1.1 client needs: where to connect and the request
/// target. Credentials in the URL (`user@`) are refused; a fragment is dropped.
public struct HTTPURL: Hashable, Sendable, CustomStringConvertible {
    /// True for `https://`.
    public let isSecure: Bool
    /// The host to connect to and verify: a name, an IPv4 address, or an IPv6 address without brackets.
    public let host: String
    /// The port: the URL's, or 80 / 443.
    public let port: UInt16
    /// The request target: the path (at least `/`) and the `?query` when there is one.
    public let target: String

    /// Parses `text`; throws `HTTPError.invalidURL` naming what is wrong.
    public init(parsing text: String) throws(HTTPError) {
        func invalid(_ reason: String) -> HTTPError { .invalidURL(text, reason: reason) }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw invalid("spaces, control and non-ASCII characters must be percent-encoded")
        }
        guard let schemeEnd = text.firstRange(of: "://") else { throw invalid("expected http:// or https://") }
        switch text[..<schemeEnd.lowerBound].lowercased() {
        case "http": isSecure = false
        case "https": isSecure = true
        default: throw invalid("the scheme must be http or https")
        }
        var rest = text[schemeEnd.upperBound...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]
        guard !authority.contains("@") else {
            throw invalid("credentials in the URL are not supported (use the signing secret instead)")
        }
        var hostPart = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("an IPv6 address needs a closing ]") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw invalid("the host is missing") }
        host = String(hostPart)
        if let portText {
            guard let port = UInt16(portText), port > 0 else { throw invalid("the port must be 1–65535") }
            self.port = port
        } else {
            port = isSecure ? 443 : 80
        }
        target = path.hasPrefix("/") ? String(path) : "/" + path
    }

    /// The `Host` header value: the host (bracketed when IPv6) and the port when it is not the scheme's default.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (isSecure ? 443 : 80) ? name : "\(name):\(port)"
    }

    /// The URL as text, `https://host:port/path?query`.
    public var description: String {
        "\(isSecure ? "https" : "http")://\(hostHeader)\(target)"
    }
}

/// Where the broker is: `mqtt://host[:port]` (plain TCP, default port 1883) or `mqtts://host[:port]` (TLS,
/// default 8883); an IPv6 address goes in brackets.
public struct MQTTBrokerURL: Hashable, Sendable, CustomStringConvertible {
    /// The host name or IP address (IPv6 without brackets).
    public var host: String
    /// The TCP port.
    public var port: Int
    /// True for `mqtts://`.
    public var usesTLS: Bool

    /// A broker address from its parts.
    public init(host: String, port: Int, usesTLS: Bool) {
        self.host = host
        self.port = port
        self.usesTLS = usesTLS
    }

    /// Parses `mqtt://…` or `mqtts://…`; a path, user info or query is refused.
    public init(parsing text: String) throws(MQTTError) {
        let usesTLS: Bool
        let rest: Substring
        if text.hasPrefix("mqtt://") {
            usesTLS = false
            rest = text.dropFirst("mqtt://".count)
        } else if text.hasPrefix("mqtts://") {
            usesTLS = true
            rest = text.dropFirst("mqtts://".count)
        } else {
            throw .invalidURL(text)
        }
        let authority = rest.hasSuffix("/") ? rest.dropLast() : rest
        guard !authority.isEmpty, !authority.contains(where: { "/?#@ ".contains($0) }) else {
            throw .invalidURL(text)
        }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(text) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidURL(text) }
                portText = after.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw .invalidURL(text) }
        var port = usesTLS ? 8883 : 1883
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { throw .invalidURL(text) }
            port = value
        }
        self.init(host: String(host), port: port, usesTLS: usesTLS)
    }

    /// The URL form, e.g. `mqtt://127.0.0.1:1883`.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(usesTLS ? "mqtts" : "mqtt")://\(shownHost):\(port)"
    }
}

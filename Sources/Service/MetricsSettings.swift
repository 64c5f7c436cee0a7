import Glibc

/// The `metrics` member of the site config: where the HTTP listener for `/metrics`, `/` and `/healthz` binds.
public struct MetricsSettings: Sendable, Equatable {
    /// A numeric IPv4 or IPv6 address (`127.0.0.1`, `0.0.0.0`, `::1`).
    public var host: String
    public var port: UInt16
    /// How many HTTP clients may be connected at once (`metrics.maxConnections`, default 16).
    public var maxConnections: Int

    public init(host: String, port: UInt16, maxConnections: Int = 16) {
        self.host = host
        self.port = port
        self.maxConnections = maxConnections
    }

    /// `host:port` as configured.
    public var listen: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses `listen`: `IPV4:PORT` or `[IPV6]:PORT`, numeric (no names: nothing is resolved at start-up), port
    /// 1–65535. The error says what was expected.
    public static func parseListen(_ text: String) -> Result<(host: String, port: UInt16), ListenError> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return .failure(ListenError("\"\(text)\" is not [IPV6]:PORT"))
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                return .failure(
                    ListenError("\"\(text)\" has no port, expected ADDRESS:PORT such as \"127.0.0.1:9464\"")
                )
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else {
                return .failure(ListenError("\"\(host)\" is not a numeric IP address: write IPv6 as [ADDRESS]:PORT"))
            }
        }
        guard let port = UInt16(portText), port > 0 else {
            return .failure(ListenError("\"\(portText)\" is not a port, expected 1-65535"))
        }
        var buffer = [UInt8](repeating: 0, count: 16)
        let family = host.contains(":") ? AF_INET6 : AF_INET
        guard !host.isEmpty, inet_pton(family, String(host), &buffer) == 1 else {
            return .failure(
                ListenError("\"\(host)\" is not a numeric IP address, expected e.g. \"127.0.0.1\" or \"[::1]\"")
            )
        }
        return .success((String(host), port))
    }

    /// Why a `listen` value is not an address.
    public struct ListenError: Error, Sendable, Equatable {
        public var message: String
        init(_ message: String) { self.message = message }
    }
}

extension SiteConfigurationLoader {
    /// `metrics`: `listen` (required in the object) and `maxConnections`.
    func loadMetrics(_ object: inout ConfigObject) throws(ConfigError) -> MetricsSettings {
        let listen = try object.string("listen")
        let parsed: (host: String, port: UInt16)
        switch MetricsSettings.parseListen(listen) {
        case .success(let address): parsed = address
        case .failure(let error): throw object.error("listen", error.message)
        }
        let maxConnections = try object.int("maxConnections", in: 1...1024, default: 16)
        try object.finish()
        return MetricsSettings(host: parsed.host, port: parsed.port, maxConnections: maxConnections)
    }
}

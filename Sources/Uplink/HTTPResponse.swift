/// A complete HTTP/1.x response.
public struct HTTPResponse: Hashable, Sendable {
    /// The status code, 100–599.
    public var status: Int
    /// The reason phrase as sent (may be empty).
    public var reason: String
    /// `1` for HTTP/1.1, `0` for HTTP/1.0.
    public var minorVersion: Int
    /// The header fields in the order received (trailers of a chunked body not included).
    public var headers: [HTTPHeader]
    /// The body, de-chunked.
    public var body: [UInt8]
    /// True when the connection may carry another request: HTTP/1.1 without `Connection: close` (or 1.0 with
    /// `Connection: keep-alive`), and a body framed by length or chunks rather than by the close.
    public var keepAlive: Bool
}

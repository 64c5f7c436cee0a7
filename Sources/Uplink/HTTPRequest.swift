/// One HTTP/1.1 request: method, extra header fields and body. `Host`, `Content-Length` and `User-Agent` are
/// added by the client.
public struct HTTPRequest: Hashable, Sendable {
    public var method: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    /// A request with `method` (`POST`, `GET`, …), header fields and a body.
    public init(method: String, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.method = method
        self.headers = headers
        self.body = body
    }

    /// The bytes on the wire for `url`: request line, header fields, blank line, body. Throws
    /// `HTTPError.invalidRequest` for a name or value that would break the framing (CR, LF, other controls).
    func serialized(for url: HTTPURL) throws(HTTPError) -> [UInt8] {
        guard !method.isEmpty, method.utf8.allSatisfy(Self.isTokenByte) else {
            throw .invalidRequest("method \"\(method)\" is not an HTTP token")
        }
        var head = "\(method) \(url.target) HTTP/1.1\r\nHost: \(url.hostHeader)\r\nUser-Agent: floorlink\r\n"
        for header in headers {
            guard !header.name.isEmpty, header.name.utf8.allSatisfy(Self.isTokenByte) else {
                throw .invalidRequest("header name \"\(header.name)\" is not an HTTP token")
            }
            guard header.value.utf8.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                throw .invalidRequest("the value of \(header.name) contains a control character")
            }
            head += "\(header.name): \(header.value)\r\n"
        }
        if !body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH" {
            head += "Content-Length: \(body.count)\r\n"
        }
        return Array((head + "\r\n").utf8) + body
    }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}

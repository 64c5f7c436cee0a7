/// One answer of the metrics listener: a status, a content type and a body, serialised as HTTP/1.1.
public struct HTTPServerResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    /// Extra header fields (`Allow` for 405, `Retry-After`).
    public var headers: [String]

    public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: String, headers: [String] = []) {
        self.status = status
        self.contentType = contentType
        self.body = Array(body.utf8)
        self.headers = headers
    }

    /// A plain-text error answer: `status reason`, then `detail`.
    public static func error(_ status: Int, _ detail: String, headers: [String] = []) -> HTTPServerResponse {
        HTTPServerResponse(status: status, body: "\(status) \(reason(status))\n\(detail)\n", headers: headers)
    }

    /// The status line, headers and (unless `headOnly`) the body.
    public func serialised(keepAlive: Bool, headOnly: Bool = false) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
        head += "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
        for header in headers { head += header + "\r\n" }
        head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        return Array(head.utf8) + (headOnly ? [] : body)
    }

    /// The reason phrase of the status codes this server sends.
    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 414: return "URI Too Long"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}

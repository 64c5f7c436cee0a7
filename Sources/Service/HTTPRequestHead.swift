/// The request line and headers of one HTTP/1.1 request, parsed from bytes as they arrive: the metrics
/// listener's side of HTTP (GET and HEAD only; no request bodies).
public struct HTTPRequestHead: Sendable, Equatable {
    /// The size limits a request head must fit in.
    public struct Limits: Sendable, Equatable {
        /// The longest request line (method, target, version), CRLF excluded.
        public var requestLine: Int
        /// The whole head: request line plus headers and the blank line.
        public var head: Int
        /// How many header fields.
        public var headerCount: Int

        public init(requestLine: Int = 4096, head: Int = 8192, headerCount: Int = 64) {
            self.requestLine = requestLine
            self.head = head
            self.headerCount = headerCount
        }
    }

    /// What `parse` found in the bytes so far.
    public enum Parsed: Sendable, Equatable {
        /// The head is not complete yet (and within the limits): read more.
        case incomplete
        /// A whole head, and how many bytes it took (anything after it is the next request).
        case complete(HTTPRequestHead, consumed: Int)
        /// The request is refused with `status` (400, 414 or 431) and `reason`; the connection is then closed.
        case refused(status: Int, reason: String)
    }

    /// `GET`, `HEAD`, … as sent (methods are case-sensitive).
    public var method: String
    /// The path of the target, without its query string.
    public var path: String
    /// `HTTP/1.1` or `HTTP/1.0`.
    public var version: String
    /// Header fields in order, names lower-cased, values trimmed.
    public var headers: [(name: String, value: String)]

    public init(method: String, path: String, version: String, headers: [(name: String, value: String)]) {
        self.method = method
        self.path = path
        self.version = version
        self.headers = headers
    }

    public static func == (lhs: HTTPRequestHead, rhs: HTTPRequestHead) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path && lhs.version == rhs.version
            && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    /// The first value of header `name` (lower-case).
    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value
    }

    /// Whether the client wants the connection kept open after the answer (HTTP/1.1 unless `Connection: close`;
    /// HTTP/1.0 only with `Connection: keep-alive`).
    public var keepAlive: Bool {
        let connection = header("connection")?.lowercased() ?? ""
        if version == "HTTP/1.0" { return connection.contains("keep-alive") }
        return !connection.contains("close")
    }

    /// Parses the head at the start of `bytes` within `limits`.
    public static func parse(_ bytes: [UInt8], limits: Limits = Limits()) -> Parsed {
        guard let end = headEnd(bytes) else {
            if let firstLine = lineEnd(bytes, from: 0), firstLine > limits.requestLine {
                return .refused(status: 414, reason: "request line longer than \(limits.requestLine) bytes")
            }
            if lineEnd(bytes, from: 0) == nil, bytes.count > limits.requestLine {
                return .refused(status: 414, reason: "request line longer than \(limits.requestLine) bytes")
            }
            if bytes.count > limits.head {
                return .refused(status: 431, reason: "request head larger than \(limits.head) bytes")
            }
            return .incomplete
        }
        guard end <= limits.head else {
            return .refused(status: 431, reason: "request head larger than \(limits.head) bytes")
        }
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        while start < end - 2, let stop = lineEnd(bytes, from: start) {
            lines.append(bytes[start..<stop])
            start = stop + (bytes[stop] == 0x0D ? 2 : 1)
        }
        guard let requestLine = lines.first, requestLine.count <= limits.requestLine else {
            return .refused(status: 414, reason: "request line longer than \(limits.requestLine) bytes")
        }
        guard requestLine.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            return .refused(status: 400, reason: "request line is not printable ASCII")
        }
        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            return .refused(status: 400, reason: "request line is not METHOD TARGET VERSION")
        }
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = String(decoding: parts[1], as: UTF8.self)
        let version = String(decoding: parts[2], as: UTF8.self)
        guard method.utf8.allSatisfy(isTokenByte) else { return .refused(status: 400, reason: "malformed method") }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            return .refused(status: 400, reason: "unsupported version \(version)")
        }
        guard target.hasPrefix("/") else { return .refused(status: 400, reason: "target is not an absolute path") }
        let path = String(target.prefix { $0 != "?" && $0 != "#" })
        let fields = lines.dropFirst()
        guard fields.count <= limits.headerCount else {
            return .refused(status: 431, reason: "more than \(limits.headerCount) header fields")
        }
        var headers: [(name: String, value: String)] = []
        for field in fields {
            guard let colon = field.firstIndex(of: UInt8(ascii: ":")), colon > field.startIndex,
                field[field.startIndex..<colon].allSatisfy(isTokenByte)
            else { return .refused(status: 400, reason: "malformed header field") }
            let value = field[(colon + 1)...].drop { $0 == 0x20 || $0 == 0x09 }
            guard value.allSatisfy({ $0 == 0x09 || $0 >= 0x20 && $0 != 0x7F }) else {
                return .refused(status: 400, reason: "control character in a header value")
            }
            var trimmed = Array(value)
            while let last = trimmed.last, last == 0x20 || last == 0x09 { trimmed.removeLast() }
            headers.append(
                (
                    String(decoding: field[field.startIndex..<colon], as: UTF8.self).lowercased(),
                    String(decoding: trimmed, as: UTF8.self)
                )
            )
        }
        if version == "HTTP/1.1", !headers.contains(where: { $0.name == "host" }) {
            return .refused(status: 400, reason: "HTTP/1.1 request without Host")
        }
        let length = headers.first { $0.name == "content-length" }?.value
        if headers.contains(where: { $0.name == "transfer-encoding" }) || (length != nil && length != "0") {
            return .refused(status: 400, reason: "request bodies are not accepted")
        }
        return .complete(HTTPRequestHead(method: method, path: path, version: version, headers: headers), consumed: end)
    }

    /// The offset just past the blank line that ends the head (`\r\n\r\n`, or bare `\n\n`), if present.
    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0A {
                if index + 1 < bytes.count, bytes[index + 1] == 0x0A { return index + 2 }
                if index + 2 < bytes.count, bytes[index + 1] == 0x0D, bytes[index + 2] == 0x0A { return index + 3 }
            }
            index += 1
        }
        return nil
    }

    /// The offset of the line end (`\r\n` or `\n`) starting at `from`: the index of its `\r` or bare `\n`.
    private static func lineEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        guard let newline = bytes[start...].firstIndex(of: 0x0A) else { return nil }
        return newline > start && bytes[newline - 1] == 0x0D ? newline - 1 : newline
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}

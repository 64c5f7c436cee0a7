/// Reads one HTTP/1.x response from bytes as they arrive, with no I/O of its own: feed it whatever a read
/// returned, in any split, and it hands back the response once complete. Bodies framed by `Content-Length`,
/// by chunks (extensions ignored, trailers read and dropped) or by the close of the connection (`finish()`);
/// interim 1xx responses are skipped. The head is limited to 64 KiB and the body to `maximumBodyBytes`.
public struct HTTPResponseParser: Sendable {
    /// The largest head (status line and header fields) accepted.
    public static let maximumHeadBytes = 65_536
    /// The longest chunk-size line accepted (size and extensions).
    static let maximumChunkLineBytes = 4096

    private enum Stage: Sendable {
        case head
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case done
    }

    /// The largest body accepted; more throws `HTTPError.responseTooLarge`.
    public let maximumBodyBytes: Int
    private let bodyless: Bool
    private var stage = Stage.head
    private var buffer: [UInt8] = []
    private var start = 0
    private var received = 0
    private var response = HTTPResponse(status: 0, reason: "", minorVersion: 1, headers: [], body: [], keepAlive: true)

    /// A parser for the answer to a `method` request (`HEAD` answers have no body).
    public init(maximumBodyBytes: Int = 1 << 20, method: String = "POST") {
        self.maximumBodyBytes = maximumBodyBytes
        bodyless = method == "HEAD"
    }

    /// How many bytes of the response arrived so far (interim responses included).
    public var bytesReceived: Int { received }

    /// Bytes that arrived after the complete response (a server that pipelines or misbehaves).
    public var leftover: ArraySlice<UInt8> { buffer[start...] }

    /// Feeds `bytes`; returns the response once it is complete (later calls return it again).
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(HTTPError) -> HTTPResponse? {
        received += bytes.count
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
        while true {
            switch stage {
            case .head:
                guard try parseHead() else { return nil }
            case .fixed(let remaining):
                let taken = min(remaining, buffer.count - start)
                response.body += buffer[start..<start + taken]
                start += taken
                guard taken == remaining else {
                    stage = .fixed(remaining: remaining - taken)
                    return nil
                }
                stage = .done
            case .chunkSize:
                guard let line = try nextLine(limit: Self.maximumChunkLineBytes, what: "chunk size line") else {
                    return nil
                }
                let size = try Self.chunkSize(line)
                guard size <= maximumBodyBytes - response.body.count else {
                    throw .responseTooLarge(limit: maximumBodyBytes)
                }
                stage = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let taken = min(remaining, buffer.count - start)
                response.body += buffer[start..<start + taken]
                start += taken
                guard taken == remaining else {
                    stage = .chunkData(remaining: remaining - taken)
                    return nil
                }
                stage = .chunkDataEnd
            case .chunkDataEnd:
                guard let line = try nextLine(limit: 2, what: "end of chunk data") else { return nil }
                guard line.isEmpty else { throw .malformedResponse("chunk data is not followed by CRLF") }
                stage = .chunkSize
            case .trailers:
                guard let line = try nextLine(limit: Self.maximumHeadBytes, what: "trailer field") else {
                    return nil
                }
                if line.isEmpty { stage = .done }
            case .untilClose:
                guard response.body.count + buffer.count - start <= maximumBodyBytes else {
                    throw .responseTooLarge(limit: maximumBodyBytes)
                }
                response.body += buffer[start...]
                start = buffer.count
                return nil
            case .done:
                return response
            }
        }
    }

    /// The response when the connection closed: complete for a body framed by the close; otherwise
    /// `closedBeforeResponse` or `closedMidResponse` (truncated).
    public mutating func finish(peer: String) throws(HTTPError) -> HTTPResponse {
        switch stage {
        case .untilClose, .done:
            stage = .done
            return response
        case .head where received == 0:
            throw .closedBeforeResponse(peer: peer)
        default:
            throw .closedMidResponse(peer: peer, received: received)
        }
    }

    /// Parses the status line and header fields once the blank line is in; false while it is not.
    private mutating func parseHead() throws(HTTPError) -> Bool {
        var lines: [ArraySlice<UInt8>] = []
        var index = start
        while true {
            guard let newline = buffer[index...].firstIndex(of: 0x0A) else {
                if buffer.count - start > Self.maximumHeadBytes {
                    throw .responseTooLarge(limit: Self.maximumHeadBytes)
                }
                return false
            }
            var line = buffer[index..<newline]
            if line.last == 0x0D { line = line.dropLast() }
            index = newline + 1
            if line.isEmpty && !lines.isEmpty { break }
            if line.isEmpty { continue }  // RFC 9112 §2.2: a client may ignore empty lines before the status line
            lines.append(line)
        }
        guard index - start <= Self.maximumHeadBytes else { throw .responseTooLarge(limit: Self.maximumHeadBytes) }
        start = index
        let (minor, status, reason) = try Self.statusLine(lines[0])
        var headers: [HTTPHeader] = []
        for line in lines.dropFirst() { headers.append(try Self.field(line)) }
        if (100..<200).contains(status) {
            guard status != 101 else { throw .malformedResponse("101 Switching Protocols was not asked for") }
            return true  // interim response: the final one follows
        }
        let connection = headers.all("Connection").joined(separator: ",").lowercased()
        let tokens = connection.split(separator: ",").map { $0.trimmingOWS }
        let keepAlive = minor == 1 ? !tokens.contains("close") : tokens.contains("keep-alive")
        response = HTTPResponse(
            status: status,
            reason: reason,
            minorVersion: minor,
            headers: headers,
            body: [],
            keepAlive: keepAlive
        )
        try chooseFraming(headers: headers, status: status)
        return true
    }

    /// Sets the body stage from RFC 9112 §6.3: no body, chunked, Content-Length, or until the close.
    private mutating func chooseFraming(headers: [HTTPHeader], status: Int) throws(HTTPError) {
        if bodyless || status == 204 || status == 304 {
            stage = .done
            return
        }
        let codings = headers.all("Transfer-Encoding").joined(separator: ",").lowercased()
            .split(separator: ",").map { $0.trimmingOWS }.filter { !$0.isEmpty }
        if !codings.isEmpty {
            if codings.last == "chunked" {
                stage = .chunkSize
                // A message with both is a smuggling risk: read it, then drop the connection.
                if headers.first("Content-Length") != nil { response.keepAlive = false }
            } else {
                stage = .untilClose
                response.keepAlive = false
            }
            return
        }
        let lengths = headers.all("Content-Length").flatMap { $0.split(separator: ",") }.map { $0.trimmingOWS }
        guard let first = lengths.first else {
            stage = .untilClose
            response.keepAlive = false
            return
        }
        guard lengths.allSatisfy({ $0 == first }), !first.isEmpty, first.utf8.count <= 18,
            first.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let length = Int(first)
        else { throw .malformedResponse("Content-Length \"\(lengths.joined(separator: ","))\" is not one number") }
        guard length <= maximumBodyBytes else { throw .responseTooLarge(limit: maximumBodyBytes) }
        stage = length == 0 ? .done : .fixed(remaining: length)
    }

    /// The next line without its CRLF (or bare LF), consumed; nil while incomplete. Longer than `limit` throws.
    private mutating func nextLine(limit: Int, what: String) throws(HTTPError) -> ArraySlice<UInt8>? {
        guard let newline = buffer[start...].firstIndex(of: 0x0A) else {
            if buffer.count - start > limit { throw .malformedResponse("\(what) longer than \(limit) bytes") }
            return nil
        }
        var line = buffer[start..<newline]
        if line.last == 0x0D { line = line.dropLast() }
        guard line.count <= limit else { throw .malformedResponse("\(what) longer than \(limit) bytes") }
        start = newline + 1
        return line
    }

    /// `HTTP/1.1 200 OK` → (1, 200, "OK").
    private static func statusLine(_ line: ArraySlice<UInt8>) throws(HTTPError) -> (Int, Int, String) {
        let text = String(decoding: line, as: UTF8.self)
        let prefix = Array("HTTP/1.".utf8)
        guard line.count >= 12, line.prefix(7).elementsEqual(prefix), let minorByte = line.dropFirst(7).first,
            minorByte == 0x30 || minorByte == 0x31, line.dropFirst(8).first == 0x20
        else { throw .malformedResponse("status line \"\(Self.printable(text))\" is not HTTP/1.0 or HTTP/1.1") }
        let code = line.dropFirst(9).prefix(3)
        guard code.allSatisfy({ (0x30...0x39).contains($0) }), let status = Int(String(decoding: code, as: UTF8.self)),
            (100...599).contains(status), line.count == 12 || line.dropFirst(12).first == 0x20
        else { throw .malformedResponse("status line \"\(Self.printable(text))\" has no three-digit status") }
        return (Int(minorByte - 0x30), status, String(decoding: line.dropFirst(13), as: UTF8.self))
    }

    /// `Name: value` with the value's surrounding spaces and tabs trimmed.
    private static func field(_ line: ArraySlice<UInt8>) throws(HTTPError) -> HTTPHeader {
        let text = String(decoding: line, as: UTF8.self)
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
            line[..<colon].allSatisfy(HTTPRequest.isTokenByte)
        else { throw .malformedResponse("header line \"\(Self.printable(text))\" is not \"Name: value\"") }
        let value = line[(colon + 1)...]
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
            throw .malformedResponse("header line \"\(Self.printable(text))\" has a control character")
        }
        return HTTPHeader(
            String(decoding: line[..<colon], as: UTF8.self),
            String(decoding: value, as: UTF8.self).trimmingOWS
        )
    }

    /// The size of a chunk-size line `1a;name=value` (hex, extensions ignored).
    private static func chunkSize(_ line: ArraySlice<UInt8>) throws(HTTPError) -> Int {
        let sizePart = line.prefix { $0 != UInt8(ascii: ";") }
        let digits = String(decoding: sizePart, as: UTF8.self).trimmingOWS
        guard !digits.isEmpty, digits.utf8.count <= 15, let size = Int(digits, radix: 16), size >= 0,
            digits.utf8.allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "-") })
        else {
            let text = Self.printable(String(decoding: line, as: UTF8.self))
            throw .malformedResponse("chunk size line \"\(text)\" is not a hexadecimal size")
        }
        return size
    }

    /// `text` with control characters shown as spaces and cut to 80 characters, for error messages.
    static func printable(_ text: String) -> String {
        String(text.unicodeScalars.prefix(80).map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    var trimmingOWS: String {
        let scalars = unicodeScalars.drop { $0 == " " || $0 == "\t" }
        var text = String(String.UnicodeScalarView(scalars))
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }
}

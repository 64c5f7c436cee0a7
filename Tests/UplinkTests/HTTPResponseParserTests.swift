import Testing

@testable import Uplink

@Suite("HTTP response parser")
struct HTTPResponseParserTests {
    static let contentLength = Array(
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\nX-Empty:\r\n\r\n{\"ok\":true}"
            .utf8
    )
    static let chunked = Array(
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nRetry-After:  7 \r\n\r\n"
            + "5;name=value\r\nhello\r\n6 ; ext\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n").utf8
    )

    /// Feeds `bytes` in two parts split at `split`; the response once complete (nil when it never is).
    static func parse(_ bytes: [UInt8], split: Int, limit: Int = 1 << 20) throws(HTTPError) -> HTTPResponse? {
        var parser = HTTPResponseParser(maximumBodyBytes: limit)
        if let response = try parser.feed(bytes[..<split]) { return split == bytes.count ? response : nil }
        return try parser.feed(bytes[split...])
    }

    @Test("a Content-Length response parses the same at every split point and byte by byte")
    func contentLengthEverySplit() throws {
        for split in 0...Self.contentLength.count {
            let response = try #require(try Self.parse(Self.contentLength, split: split), "split at \(split)")
            #expect(response.status == 201)
            #expect(response.reason == "Created")
            #expect(response.headers.first("content-type") == "application/json")
            #expect(response.headers.first("X-Empty") == "")
            #expect(response.body == Array("{\"ok\":true}".utf8))
            #expect(response.keepAlive)
        }
        var parser = HTTPResponseParser()
        var completed: [Int] = []
        for (index, byte) in Self.contentLength.enumerated() where try parser.feed([byte]) != nil {
            completed.append(index)
        }
        #expect(completed.first == Self.contentLength.count - 1)
    }

    @Test("a chunked response with extensions and trailers parses the same at every split point and byte by byte")
    func chunkedEverySplit() throws {
        for split in 0...Self.chunked.count {
            let response = try #require(try Self.parse(Self.chunked, split: split), "split at \(split)")
            #expect(response.status == 200)
            #expect(response.body == Array("hello world".utf8))
            #expect(response.headers.first("Retry-After") == "7")
            #expect(response.headers.first("X-Trailer") == nil)
            #expect(response.keepAlive)
        }
        var parser = HTTPResponseParser()
        var response: HTTPResponse?
        for byte in Self.chunked { response = try parser.feed([byte]) ?? response }
        #expect(response?.body == Array("hello world".utf8))
        #expect(parser.leftover.isEmpty)
    }

    @Test("an interim 100 Continue is skipped; a body framed by the close ends at finish; 204 has no body")
    func interimCloseDelimitedAndNoBody() throws {
        var parser = HTTPResponseParser()
        let text = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nServer: old\r\n\r\nuntil the end"
        #expect(try parser.feed(Array(text.utf8)) == nil)
        let response = try parser.finish(peer: "example:80")
        #expect(response.status == 200)
        #expect(response.minorVersion == 0)
        #expect(response.body == Array("until the end".utf8))
        #expect(!response.keepAlive)

        var empty = HTTPResponseParser()
        let noContent = try empty.feed(Array("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".utf8))
        #expect(noContent?.body == [])
        #expect(noContent?.keepAlive == false)
    }

    /// (response, the limit it breaks). Built apart from the `@Test` so Swift 6.0 type-checks it in time.
    static let oversizeCases: [(String, Int)] = {
        let chunked: String = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n"
        let chunk: String = String(repeating: "x", count: 64)
        let closeDelimited: String = "HTTP/1.1 200 OK\r\n\r\n"
        let header: String = "HTTP/1.1 200 OK\r\nX-Big: "
        return [
            ("HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", 100),
            (chunked + chunk + "\r\n40\r\n", 100),
            (closeDelimited + String(repeating: "y", count: 101), 100),
            (header + String(repeating: "z", count: 70_000), 65_536),
        ]
    }()

    @Test("a response larger than the limit is refused with the limit", arguments: oversizeCases)
    func oversize(_ text: String, _ limit: Int) {
        var parser = HTTPResponseParser(maximumBodyBytes: 100)
        #expect(throws: HTTPError.responseTooLarge(limit: limit)) { _ = try parser.feed(Array(text.utf8)) }
    }

    @Test(
        "malformed responses are refused with what is wrong",
        arguments: [
            ("HTTP/2 200 OK\r\n\r\n", "status line \"HTTP/2 200 OK\" is not HTTP/1.0 or HTTP/1.1"),
            ("HTTP/1.1 20 OK\r\n\r\n", "status line \"HTTP/1.1 20 OK\" has no three-digit status"),
            ("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "header line \"no colon here\" is not \"Name: value\""),
            ("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "header line \"Bad Name: x\" is not \"Name: value\""),
            ("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", "Content-Length \"5,6\" is not one number"),
            ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length \"-1\" is not one number"),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "chunk size line \"zz\" is not a hexadecimal size"
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
                "chunk data is not followed by CRLF"
            ),
        ]
    )
    func malformed(_ text: String, _ detail: String) {
        var parser = HTTPResponseParser()
        #expect(throws: HTTPError.malformedResponse(detail)) { _ = try parser.feed(Array(text.utf8)) }
    }

    @Test("a close before any byte, and a close in the middle of a body, are told apart")
    func truncated() throws {
        var silent = HTTPResponseParser()
        #expect(throws: HTTPError.closedBeforeResponse(peer: "hooks:443")) { _ = try silent.finish(peer: "hooks:443") }
        for cut in [5, 40, Self.contentLength.count - 1] {
            var parser = HTTPResponseParser()
            #expect(try parser.feed(Self.contentLength.prefix(cut)) == nil)
            #expect(throws: HTTPError.closedMidResponse(peer: "hooks:443", received: cut)) {
                _ = try parser.finish(peer: "hooks:443")
            }
        }
    }
}

@Suite("HTTP URLs")
struct HTTPURLTests {
    @Test(
        "http and https URLs split into host, port and target",
        arguments: [
            ("https://hooks.example.com/floor-events", true, "hooks.example.com", 443, "/floor-events"),
            ("http://127.0.0.1:8080", false, "127.0.0.1", 8080, "/"),
            ("HTTPS://[::1]:8443/a?b=c#frag", true, "::1", 8443, "/a?b=c"),
            ("http://host?x=1", false, "host", 80, "/?x=1"),
        ] as [(String, Bool, String, UInt16, String)]
    )
    func valid(_ text: String, _ secure: Bool, _ host: String, _ port: UInt16, _ target: String) throws {
        let url = try HTTPURL(parsing: text)
        #expect(url.isSecure == secure)
        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.target == target)
    }

    @Test(
        "unusable URLs are refused with the part that is wrong",
        arguments: [
            ("ftp://host/x", "the scheme must be http or https"),
            ("hooks.example.com/x", "expected http:// or https://"),
            ("https://user:pw@host/x", "credentials in the URL are not supported (use the signing secret instead)"),
            ("https://host:0/x", "the port must be 1–65535"),
            ("https://host:99999/x", "the port must be 1–65535"),
            ("https:///x", "the host is missing"),
            ("https://host/a b", "spaces, control and non-ASCII characters must be percent-encoded"),
            ("https://[::1/x", "an IPv6 address needs a closing ]"),
        ]
    )
    func invalid(_ text: String, _ reason: String) {
        #expect(throws: HTTPError.invalidURL(text, reason: reason)) { _ = try HTTPURL(parsing: text) }
    }

    @Test("the request's head carries the target, Host and Content-Length; a CR in a value is refused")
    func serialized() throws {
        let url = try HTTPURL(parsing: "https://hooks.example.com:8443/in?k=1")
        let request = HTTPRequest(method: "POST", headers: [HTTPHeader("Idempotency-Key", "a..b")], body: [1, 2])
        let bytes = try request.serialized(for: url)
        let head =
            "POST /in?k=1 HTTP/1.1\r\nHost: hooks.example.com:8443\r\nUser-Agent: floorlink\r\n"
            + "Idempotency-Key: a..b\r\nContent-Length: 2\r\n\r\n"
        #expect(bytes == Array(head.utf8) + [1, 2])
        let injected = HTTPRequest(method: "POST", headers: [HTTPHeader("X", "a\r\nEvil: 1")])
        #expect(throws: HTTPError.invalidRequest("the value of X contains a control character")) {
            _ = try injected.serialized(for: url)
        }
    }
}

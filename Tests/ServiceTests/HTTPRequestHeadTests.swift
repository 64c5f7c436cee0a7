import Service
import Testing

@Suite("HTTP request heads (the metrics listener)")
struct HTTPRequestHeadTests {
    /// A request head that parses, and what it must parse to.
    struct Good: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var method: String
        var path: String
        var keepAlive: Bool
        var testDescription: String { name }
    }

    static let good: [Good] = [
        Good(
            name: "GET /metrics",
            text: "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
            method: "GET",
            path: "/metrics",
            keepAlive: true
        ),
        Good(
            name: "query dropped",
            text: "GET /?a=<b> HTTP/1.1\r\nHost: x\r\n\r\n",
            method: "GET",
            path: "/",
            keepAlive: true
        ),
        Good(
            name: "Connection: close",
            text: "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            method: "GET",
            path: "/",
            keepAlive: false
        ),
        Good(
            name: "HTTP/1.0 without Host",
            text: "HEAD /healthz HTTP/1.0\r\n\r\n",
            method: "HEAD",
            path: "/healthz",
            keepAlive: false
        ),
        Good(name: "bare LF line ends", text: "GET / HTTP/1.1\nHost: x\n\n", method: "GET", path: "/", keepAlive: true),
        Good(
            name: "method not allowed still parses",
            text: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
            method: "POST",
            path: "/",
            keepAlive: true
        ),
    ]

    @Test("a valid head parses", arguments: good)
    func parses(_ example: Good) throws {
        let bytes = Array(example.text.utf8)
        guard case .complete(let head, let consumed) = HTTPRequestHead.parse(bytes + Array("GET /next".utf8)) else {
            Issue.record("\(example.name): not complete")
            return
        }
        #expect(consumed == bytes.count, "\(example.name): consumed")
        #expect(head.method == example.method && head.path == example.path, "\(example.name)")
        #expect(head.keepAlive == example.keepAlive, "\(example.name): keep-alive")
    }

    @Test("a head cut anywhere before its end is incomplete")
    func incompleteAtEverySplit() {
        let text = Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n".utf8)
        for cut in 0..<text.count {
            #expect(HTTPRequestHead.parse(Array(text.prefix(cut))) == .incomplete, "cut at \(cut)")
        }
    }

    /// A head that is refused, and with which status.
    struct Bad: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var status: Int
        var testDescription: String { name }
    }

    static let bad: [Bad] = [
        Bad(name: "two words", text: "GET /\r\n\r\n", status: 400),
        Bad(name: "unknown version", text: "GET / HTTP/2.0\r\nHost: x\r\n\r\n", status: 400),
        Bad(name: "absolute-form target", text: "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
        Bad(name: "HTTP/1.1 without Host", text: "GET / HTTP/1.1\r\n\r\n", status: 400),
        Bad(name: "header without colon", text: "GET / HTTP/1.1\r\nHost x\r\n\r\n", status: 400),
        Bad(name: "space before colon", text: "GET / HTTP/1.1\r\nHost : x\r\n\r\n", status: 400),
        Bad(name: "control byte in request line", text: "GET /\u{1} HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
        Bad(name: "a body", text: "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", status: 400),
        Bad(name: "chunked body", text: "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400),
        Bad(name: "method with a slash", text: "G/T / HTTP/1.1\r\nHost: x\r\n\r\n", status: 400),
        Bad(
            name: "request line too long",
            text: "GET /" + String(repeating: "a", count: 5000) + " HTTP/1.1\r\n\r\n",
            status: 414
        ),
        Bad(
            name: "request line too long, unfinished",
            text: "GET /" + String(repeating: "a", count: 5000),
            status: 414
        ),
        Bad(
            name: "head too large",
            text: "GET / HTTP/1.1\r\n" + String(repeating: "X-Pad: aaaaaaaaaaaaaaaa\r\n", count: 400)
                + "\r\n",
            status: 431
        ),
        Bad(
            name: "head too large, unfinished",
            text: "GET / HTTP/1.1\r\n"
                + String(repeating: "X-Pad: aaaaaaaaaaaaaaaa\r\n", count: 400),
            status: 431
        ),
        Bad(
            name: "too many fields",
            text: "GET / HTTP/1.1\r\nHost: x\r\n" + String(repeating: "A: b\r\n", count: 65)
                + "\r\n",
            status: 431
        ),
    ]

    @Test("a bad head is refused with the right status", arguments: bad)
    func refused(_ example: Bad) {
        guard case .refused(let status, let reason) = HTTPRequestHead.parse(Array(example.text.utf8)) else {
            Issue.record("\(example.name): not refused")
            return
        }
        #expect(status == example.status, "\(example.name): \(reason)")
        #expect(!reason.isEmpty)
    }
}

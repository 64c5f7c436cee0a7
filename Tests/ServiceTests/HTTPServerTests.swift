import Foundation
import IOEngine
import Service
import Testing

/// A real `HTTPServer` on 127.0.0.1 (a kernel-chosen port) and raw requests sent to it over TCP.
@Suite("HTTP server on the IO loop")
struct HTTPServerTests {
    /// Runs `body` against a server whose handler answers `/ok` with 200 and everything else with 404.
    static func withServer(
        idleTimeout: Duration = .seconds(10),
        maxConnections: Int = 4,
        _ body: @Sendable (UInt16) async throws -> Void
    ) async throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let server = HTTPServer(
            idleTimeout: idleTimeout,
            maxConnections: maxConnections,
            logger: Logger(label: "test", level: .error, handler: MemoryLogHandler())
        ) { head in
            head.path == "/ok" ? HTTPServerResponse(status: 200, body: "fine\n") : .error(404, "no \(head.path)")
        }
        let serving = Task { await server.serve(listener) }
        defer { serving.cancel() }
        try await body(listener.port)
    }

    /// Sends `request` and reads until the server closes the connection or `until` appears.
    static func exchange(_ port: UInt16, _ request: String, until marker: String? = nil) async throws -> String {
        let stream = try await TCPStream.connect(host: "127.0.0.1", port: port, timeout: .seconds(10))
        defer { stream.close() }
        try await stream.write(Array(request.utf8), deadline: IOLoop.now + .seconds(10))
        return try await readAll(stream, until: marker)
    }

    static func readAll(_ stream: TCPStream, until marker: String? = nil) async throws -> String {
        var received: [UInt8] = []
        let deadline = IOLoop.now + .seconds(20)
        while true {
            let chunk = try await stream.read(upTo: 65_536, deadline: deadline)
            if chunk.isEmpty { break }
            received += chunk
            if let marker, String(decoding: received, as: UTF8.self).contains(marker) { break }
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// A request and the status line it must be answered with.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var request: String
        var status: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "known path",
            request: "GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
            status: "HTTP/1.1 200 OK"
        ),
        Case(name: "unknown path", request: "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", status: "HTTP/1.1 404 Not Found"),
        Case(
            name: "bad method",
            request: "DELETE /ok HTTP/1.1\r\nHost: t\r\n\r\n",
            status: "HTTP/1.1 405 Method Not Allowed"
        ),
        Case(name: "garbage", request: "hello\r\n\r\n", status: "HTTP/1.1 400 Bad Request"),
        Case(
            name: "oversized head",
            request: "GET /ok HTTP/1.1\r\nHost: t\r\n"
                + String(repeating: "X-Pad: 0123456789abcdef0123456789\r\n", count: 400) + "\r\n",
            status: "HTTP/1.1 431 Request Header Fields Too Large"
        ),
        Case(
            name: "oversized request line",
            request: "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\n",
            status: "HTTP/1.1 414 URI Too Long"
        ),
    ]

    @Test("each request gets its status, and an error closes the connection", arguments: cases)
    func answers(_ example: Case) async throws {
        try await Self.withServer { port in
            let answer = try await Self.exchange(port, example.request)
            #expect(answer.hasPrefix(example.status + "\r\n"), "\(example.name): \(answer.prefix(200))")
            if !answer.hasPrefix("HTTP/1.1 200") {
                #expect(answer.contains("Connection: close"), "\(example.name)")
            }
        }
    }

    @Test("keep-alive: two requests on one connection, pipelined; HEAD has no body")
    func keepAlive() async throws {
        try await Self.withServer { port in
            let answer = try await Self.exchange(
                port,
                "GET /ok HTTP/1.1\r\nHost: t\r\n\r\nHEAD /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
            )
            let parts = answer.components(separatedBy: "HTTP/1.1 200 OK\r\n")
            #expect(parts.count == 3, "\(answer)")
            #expect(parts[1].hasSuffix("\r\n\r\nfine\n") && parts[1].contains("Connection: keep-alive"))
            #expect(parts[2].hasSuffix("Connection: close\r\n\r\n"), "HEAD: \(parts[2])")
        }
    }

    @Test("an idle client is closed, with 408 when it had started a request")
    func idleTimeout() async throws {
        try await Self.withServer(idleTimeout: .milliseconds(200)) { port in
            let silent = try await Self.exchange(port, "")
            #expect(silent.isEmpty)
            let partial = try await Self.exchange(port, "GET /ok HTTP/1.1\r\n")
            #expect(partial.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), "\(partial)")
        }
    }

    @Test("past maxConnections a new client gets 503 and the others keep working")
    func connectionLimit() async throws {
        // The held clients idle while the test goes on: an idle timeout far beyond the test's own duration, so a
        // slow run (a sanitizer on a busy machine took over 10 s between the steps) never frees their slots early.
        try await Self.withServer(idleTimeout: .seconds(600), maxConnections: 2) { port in
            var held: [TCPStream] = []
            defer { for stream in held { stream.close() } }
            for _ in 0..<2 {
                let stream = try await TCPStream.connect(host: "127.0.0.1", port: port, timeout: .seconds(10))
                // A full exchange proves the server has admitted this connection before the next one arrives.
                try await stream.write(
                    Array("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n".utf8),
                    deadline: IOLoop.now + .seconds(10)
                )
                let first = try await Self.readAll(stream, until: "fine\n")
                #expect(first.hasPrefix("HTTP/1.1 200 OK"))
                held.append(stream)
            }
            let refused = try await Self.exchange(port, "GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(refused.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"), "\(refused)")
            held.removeFirst().close()
            // The slot is freed once the server sees the close; poll until a request is admitted again.
            let deadline = ContinuousClock.now + .seconds(20)
            var admitted = false
            while !admitted, ContinuousClock.now < deadline {
                let answer = try await Self.exchange(port, "GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                admitted = answer.hasPrefix("HTTP/1.1 200 OK")
                if !admitted { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(admitted)
        }
    }

    @Test("a listen address that cannot be bound is an error naming it", arguments: ["192.0.2.1", "::ffff:1"])
    func bindFailure(host: String) {
        #expect(throws: IOError.self) { try TCPListener(host: host, port: 1) }
    }
}

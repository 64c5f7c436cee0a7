import Foundation
import Glibc
import Locking

/// A real HTTP/1.1 server on 127.0.0.1 for webhook tests: POSIX sockets, a background `Thread` (not the
/// cooperative pool) that accepts and a thread per connection that reads the request line, headers and body
/// (Content-Length or chunked), records it and answers with the next scripted reply (200 when none is left). With
/// `keepAlive` a connection serves request after request, as an order service's load balancer would (the daemon
/// benchmark's receiver); else each reply closes it.
///
/// The port may be one another test's client still dials (a stopped broker's, a closed server's): such a stranger
/// neither holds up this test's client (each connection is served on its own) nor counts as a request (only one to
/// this server's own `path` does; anything else gets a 404 or, when it is not HTTP, nothing).
public final class WebhookTestServer: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        /// Header names lowercased.
        public var headers: [String: String]
        public var body: [UInt8]
        /// When it was received, as `ProcessStats.monotonicNanoseconds` reads the time.
        public var receivedNanoseconds: Int64
    }

    public struct Reply: Sendable {
        public var status: Int
        public var headers: [String] = []
        public var body: String = ""

        public init(status: Int, headers: [String] = [], body: String = "") {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    private struct State {
        var replies: [Reply] = []
        var requests: [Request] = []
        var connections = 0
        var stopped = false
        var finished = false
    }

    public let port: UInt16
    /// The path requests must have to be recorded: unique per server unless given.
    public let path: String
    private let keepAlive: Bool
    private let listener: Int32
    private let state = Locked(State())

    /// Listens on 127.0.0.1:`port` (by default one `Loopback.freePort()` gives no other test) and starts accepting
    /// requests to `path`.
    public init(
        port: UInt16? = nil,
        path: String = "/floor-events/\(UInt64.random(in: 1...UInt64.max))",
        replies: [Reply] = [],
        keepAlive: Bool = false
    ) throws {
        let port = try port ?? UInt16(Loopback.freePort())
        let descriptor = try Loopback.listener(port: Int(port))
        self.port = UInt16(Loopback.localPort(of: descriptor))
        self.listener = descriptor
        self.path = path
        self.keepAlive = keepAlive
        state.withLock { $0.replies = replies }
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "webhook-test-server"
        thread.start()
    }

    /// `http://127.0.0.1:PORT/PATH`, the URL an uplink posts to.
    public var url: String { "http://127.0.0.1:\(port)\(path)" }

    public var requests: [Request] { state.withLock { $0.requests } }
    /// The connections that carried a request to `path` (a stranger's connection does not count).
    public var connectionCount: Int { state.withLock { $0.connections } }

    /// Stops accepting and waits until the listening socket is closed (so the port can be bound again), unless the
    /// task is cancelled first.
    public func stop() async {
        state.withLock { $0.stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
        while !state.withLock({ $0.finished }), await Poll.pause(.milliseconds(5)) {}
    }

    /// Waits until `count` requests arrived or `timeout` passed; true when they did.
    public func waitForRequests(_ count: Int, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if requests.count >= count { return true }
            guard await Poll.pause(.milliseconds(10)) else { break }
        }
        return requests.count >= count
    }

    private func acceptLoop() {
        while !state.withLock({ $0.stopped }) {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                break
            }
            // Close-on-exec at once: a child another test spawns must not keep this connection open after `close`.
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            // Generous: in a full test run the client's task may wait seconds for a pool thread between connect and
            // write. A connection that sends nothing (a stranger's MQTT or TLS client) holds only its own thread.
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let worker = Thread { [self] in
                serve(connection)
                close(connection)
            }
            worker.name = "webhook-test-connection"
            worker.start()
        }
        close(listener)
        state.withLock { $0.finished = true }
    }

    /// Requests on one connection: one, or (`keepAlive`) until the client closes it.
    private func serve(_ connection: Int32) {
        var buffer: [UInt8] = []
        var first = true
        repeat {
            guard let request = readRequest(connection, buffer: &buffer) else { return }
            guard request.path == path else {
                send(connection, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            }
            let reply = state.withLock { state -> Reply in
                state.requests.append(request)
                if first { state.connections += 1 }
                return state.replies.isEmpty ? Reply(status: 200, body: "{\"ok\":true}") : state.replies.removeFirst()
            }
            var text = "HTTP/1.1 \(reply.status) Scripted\r\nContent-Length: \(reply.body.utf8.count)\r\n"
            text += keepAlive ? "Content-Type: text/plain\r\n" : "Connection: close\r\nContent-Type: text/plain\r\n"
            for header in reply.headers { text += header + "\r\n" }
            send(connection, text + "\r\n" + reply.body)
            first = false
        } while keepAlive
    }

    /// The next request on `connection`: what `buffer` holds first, then what arrives. Its bytes leave `buffer`;
    /// nil when the connection ends or breaks first.
    private func readRequest(_ connection: Int32, buffer: inout [UInt8]) -> Request? {
        let separator = Array("\r\n\r\n".utf8)
        var headerEnd = buffer.firstRange(of: separator)?.lowerBound
        while headerEnd == nil {
            guard receive(connection, into: &buffer) else { return nil }
            headerEnd = buffer.firstRange(of: separator)?.lowerBound
        }
        guard let headerEnd else { return nil }
        let head = String(decoding: buffer[..<headerEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = head.first?.split(separator: " ").map(String.init) ?? []
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces
            )
        }
        if headers["expect"]?.lowercased() == "100-continue" { send(connection, "HTTP/1.1 100 Continue\r\n\r\n") }
        buffer.removeFirst(headerEnd + 4)
        let body: [UInt8]
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            guard let decoded = readChunked(connection, buffer: &buffer) else { return nil }
            body = decoded
        } else {
            let length = Int(headers["content-length"] ?? "0") ?? 0
            while buffer.count < length {
                guard receive(connection, into: &buffer) else { return nil }
            }
            body = Array(buffer[..<length])
            buffer.removeFirst(length)
        }
        return Request(
            method: requestLine.first ?? "",
            path: requestLine.count > 1 ? requestLine[1] : "",
            headers: headers,
            body: body,
            receivedNanoseconds: ProcessStats.monotonicNanoseconds
        )
    }

    /// A chunked body from the start of `buffer` (reading more as needed); its bytes leave `buffer`.
    private func readChunked(_ connection: Int32, buffer raw: inout [UInt8]) -> [UInt8]? {
        var body: [UInt8] = []
        var index = 0
        let crlf = Array("\r\n".utf8)
        while true {
            var lineEnd = raw[index...].firstRange(of: crlf)?.lowerBound
            while lineEnd == nil {
                guard receive(connection, into: &raw) else { return nil }
                lineEnd = raw[index...].firstRange(of: crlf)?.lowerBound
            }
            guard let end = lineEnd else { return nil }
            let sizeText = String(decoding: raw[index..<end], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
            index = end + 2
            while raw.count < index + size + 2 {
                guard receive(connection, into: &raw) else { return nil }
            }
            if size == 0 {
                raw.removeFirst(index + 2)
                return body
            }
            body += raw[index..<index + size]
            index += size + 2
        }
    }

    private func receive(_ connection: Int32, into buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        var count: Int
        // A signal or a debugger's stop interrupts a recv with a timeout (EINTR, SO_RCVTIMEO): that is no answer.
        repeat {
            count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
        } while count < 0 && errno == EINTR
        guard count > 0 else { return false }
        buffer += chunk[0..<count]
        return true
    }

    private func send(_ connection: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                Glibc.send(connection, $0.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return }
            offset += sent
        }
    }
}

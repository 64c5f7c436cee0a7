import Events
import Foundation
import Glibc
import Locking
import TestSupport

/// The order service's side of the webhook, for the benchmark: an HTTP/1.1 server on 127.0.0.1 that keeps each
/// connection alive, reads every `POST` (`Content-Length` body), answers `200` at once and records when each
/// event of the body arrived, by seq. Blocking sockets on threads of its own: its CPU is not the daemon's.
final class WebhookReceiver: Sendable {
    private struct State {
        var arrivals: [UInt64: Int64] = [:]
        var requests = 0
        var stopped = false
    }

    let port: UInt16
    private let listener: Int32
    private let state = Locked(State())

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw BenchError("webhook receiver: socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && listen(descriptor, 8) == 0
                    && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw BenchError("webhook receiver: bind/listen on 127.0.0.1: errno \(errno)")
        }
        port = UInt16(bigEndian: address.sin_port)
        listener = descriptor
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    var url: String { "http://127.0.0.1:\(port)/floor-events" }

    /// When the event with `seq` reached the receiver (monotonic nanoseconds), if it has.
    func arrival(ofSeq seq: UInt64) -> Int64? { state.withLock { $0.arrivals[seq] } }
    var eventCount: Int { state.withLock { $0.arrivals.count } }
    var requestCount: Int { state.withLock { $0.requests } }

    func stop() {
        state.withLock { $0.stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            Thread.detachNewThread { [self] in serve(connection) }
        }
    }

    /// Requests on one kept-alive connection until the daemon closes it.
    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while !state.withLock({ $0.stopped }) {
            guard let headerEnd = buffer.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound else {
                let count = read(connection, &chunk, chunk.count)
                if count <= 0 { return }
                buffer += chunk.prefix(count)
                continue
            }
            let head = String(decoding: buffer[..<headerEnd], as: UTF8.self).lowercased()
            let lengthLine = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            let bodyLength = lengthLine.flatMap { Int(String($0.filter(\.isNumber))) } ?? 0
            while buffer.count < headerEnd + bodyLength {
                let count = read(connection, &chunk, chunk.count)
                if count <= 0 { return }
                buffer += chunk.prefix(count)
            }
            record(Array(buffer[headerEnd..<headerEnd + bodyLength]))
            buffer.removeFirst(headerEnd + bodyLength)
            let reply = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8)
            guard write(connection, reply, reply.count) == reply.count else { return }
        }
    }

    /// Notes the arrival of every event in a `{"events":[…]}` body.
    private func record(_ body: [UInt8]) {
        let now = ProcessStats.monotonicNanoseconds
        var seqs: [Int64] = []
        if case .array(let events) = (try? JSONValue(parsing: body))?["events"] {
            seqs = events.compactMap { $0["seq"]?.intValue }
        }
        state.withLock { state in
            state.requests += 1
            for seq in seqs where state.arrivals[UInt64(seq)] == nil { state.arrivals[UInt64(seq)] = now }
        }
    }
}

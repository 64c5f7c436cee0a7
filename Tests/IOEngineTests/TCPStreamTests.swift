import Glibc
import IOEngine
import TestSupport
import Testing

@Suite("TCP streams on the I/O engine")
struct TCPStreamTests {
    @Test("connecting to a port nothing listens on fails at once with connection refused, naming the target")
    func refused() async throws {
        let port = UInt16(try Loopback.freePort())
        do {
            _ = try await TCPStream.connect(host: "127.0.0.1", port: port, timeout: .seconds(30))
            Issue.record("connected to a port nothing listens on")
        } catch {
            #expect(
                error
                    == .failed(
                        operation: "connect",
                        target: "127.0.0.1:\(port)",
                        errno: ECONNREFUSED
                    )
            )
            #expect(error.description.contains("Connection refused"))
        }
    }

    @Test("a listener whose backlog is full never answers: connect ends with timedOut at its timeout")
    func connectTimeout() async throws {
        let listener = try LoopbackListener(backlog: 0)
        // Fill the accept queue; the kernel then drops further SYNs, so the next connect hangs in SYN_SENT.
        var fillers: [Int32] = []
        defer { fillers.forEach { _ = close($0) } }
        for _ in 0..<4 { fillers.append(listener.connectWithoutWaiting()) }
        try await Task.sleep(for: .milliseconds(50))
        let start = IOLoop.now
        do {
            _ = try await TCPStream.connect(host: "127.0.0.1", port: listener.port, timeout: .milliseconds(300))
            Issue.record("connected to a full backlog")
        } catch {
            guard case .timedOut(let operation, let target, let after) = error else {
                Issue.record("expected timedOut, got \(error)")
                return
            }
            #expect(operation == "connect")
            #expect(target == "127.0.0.1:\(listener.port)")
            #expect(after == .milliseconds(300))
        }
        #expect(IOLoop.now - start >= .milliseconds(300))
    }

    @Test("a read from a silent peer ends with timedOut at its deadline; the peer's bytes then its close arrive")
    func readTimeoutAndPeerClose() async throws {
        let listener = try LoopbackListener()
        let (stream, server) = try await listener.connectStream(host: "localhost")
        defer { stream.close() }
        let start = IOLoop.now
        do {
            _ = try await stream.read(upTo: 100, deadline: start + .milliseconds(100))
            Issue.record("read returned from a silent peer")
        } catch {
            guard case .timedOut(let operation, _, _) = error else {
                Issue.record("expected timedOut, got \(error)")
                return
            }
            #expect(operation == "read from")
        }
        #expect(IOLoop.now - start >= .milliseconds(100))

        try await stream.write(Array("ping".utf8), deadline: IOLoop.now + .seconds(30))
        var received = [UInt8](repeating: 0, count: 4)
        #expect(recv(server, &received, 4, Int32(MSG_WAITALL)) == 4)
        #expect(received == Array("ping".utf8))
        #expect(send(server, "pong", 4, 0) == 4)
        close(server)
        var answer: [UInt8] = []
        while true {
            let chunk = try await stream.read(upTo: 100, deadline: IOLoop.now + .seconds(30))
            if chunk.isEmpty { break }
            answer += chunk
        }
        #expect(answer == Array("pong".utf8))
    }

    /// What follows a read that took everything there was (fewer bytes than it asked for).
    enum AfterShortRead: CaseIterable, Sendable {
        case peerSendsMore
        case peerStaysSilent
        case streamClosed
    }

    @Test(
        "after a read that took all there was, the next read gets the next bytes, its timeout, or closed",
        arguments: AfterShortRead.allCases
    )
    func readAfterShortRead(then next: AfterShortRead) async throws {
        let listener = try LoopbackListener()
        let (stream, server) = try await listener.connectStream()
        defer { stream.close() }
        defer { close(server) }
        #expect(send(server, "@\u{2}\u{0}\u{1}", 4, 0) == 4)
        var first: [UInt8] = []
        while first.count < 4 { first += try await stream.read(upTo: 65_536, deadline: IOLoop.now + .seconds(30)) }
        #expect(first == [0x40, 0x02, 0x00, 0x01])
        switch next {
        case .peerSendsMore:
            #expect(send(server, "more", 4, 0) == 4)
            var more: [UInt8] = []
            while more.count < 4 { more += try await stream.read(upTo: 65_536, deadline: IOLoop.now + .seconds(30)) }
            #expect(more == Array("more".utf8))
        case .peerStaysSilent:
            await #expect {
                _ = try await stream.read(upTo: 65_536, deadline: IOLoop.now + .milliseconds(50))
            } throws: { error in
                guard case .timedOut(let operation, _, _) = error as? IOError else { return false }
                return operation == "read from"
            }
        case .streamClosed:
            stream.close()
            await #expect(throws: IOError.closed(target: "127.0.0.1:\(listener.port)")) {
                _ = try await stream.read(upTo: 65_536, deadline: IOLoop.now + .seconds(30))
            }
        }
    }

    @Test("writeNow sends what the socket takes at once: all of a small write, part of a large, none once closed")
    func writeNow() async throws {
        let listener = try LoopbackListener()
        let (stream, server) = try await listener.connectStream()
        defer { stream.close() }
        defer { close(server) }
        #expect(stream.writeNow(Array("ping".utf8)) == 4)
        var received = [UInt8](repeating: 0, count: 4)
        #expect(recv(server, &received, 4, Int32(MSG_WAITALL)) == 4)
        #expect(received == Array("ping".utf8))
        // The peer reads nothing: each writeNow takes what the buffers hold and returns at once, until they are full
        // and it takes nothing. In all, no more than the kernel's largest send and receive buffers (the receiving
        // side may grow its buffer while the writes go on, so a second call can still take some).
        let large = [UInt8](repeating: 0x5A, count: 64 << 20)
        var taken: [Int] = []
        while taken.last != 0 && taken.count < 64 { taken.append(stream.writeNow(large)) }
        #expect(taken.first.map { $0 > 0 && $0 < large.count } == true)
        #expect(taken.last == 0)
        let bound = try Self.largestBuffer("tcp_wmem") + Self.largestBuffer("tcp_rmem")
        #expect(taken.reduce(0, +) <= bound)
        stream.close()
        #expect(stream.writeNow(Array("late".utf8)) == 0)
    }

    /// The third field of /proc/sys/net/ipv4/`name`: the largest buffer TCP grows a socket's to.
    static func largestBuffer(_ name: String) throws -> Int {
        let file = try #require(fopen("/proc/sys/net/ipv4/\(name)", "r"))
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 128)
        try #require(fgets(&line, Int32(line.count), file) != nil)
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return try #require(text.split(whereSeparator: \.isWhitespace).last.flatMap { Int($0) })
    }

    @Test("closing a stream ends a read waiting on it with closed")
    func closeWhileReading() async throws {
        let listener = try LoopbackListener()
        let (stream, server) = try await listener.connectStream()
        defer { close(server) }
        let reader = Task { () async throws(IOError) -> [UInt8] in
            try await stream.read(upTo: 10, deadline: IOLoop.now + .seconds(30))
        }
        try await Task.sleep(for: .milliseconds(50))
        stream.close()
        let result = await reader.result
        #expect(throws: IOError.closed(target: "127.0.0.1:\(listener.port)")) { try result.get() }
    }
}

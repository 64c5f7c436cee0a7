import Foundation
import Glibc
import Locking
import TestSupport
import Testing

@testable import Uplink

/// The transport's inbound side under a consumer that does not keep up: reading stops at a bound and resumes,
/// with nothing lost, once the consumer catches up.
@Suite("MQTTTransport inbound flow control")
struct MQTTTransportTests {
    @Test("a peer sending 8 MiB to a consumer that is not reading gets no more than the bound queued; nothing is lost")
    func boundedInbound() async throws {
        let total = 8 << 20
        let listener = try Loopback.listener(port: 0)
        defer { close(listener) }
        let port = Loopback.localPort(of: listener)
        let sender = Locked<Int32>(-1)
        TestThread.start {
            let peer = accept(listener, nil, nil)
            guard peer >= 0 else { return }
            sender.withLock { $0 = peer }
            let block = [UInt8](repeating: 0x5a, count: 65_536)
            for _ in 0..<total / block.count where Loopback.writeAll(peer, block) {}
        }
        defer { sender.withLock { if $0 >= 0 { shutdown($0, Int32(SHUT_RDWR)) } } }
        let transport = try await MQTTTransport.connect(host: "127.0.0.1", port: port, tls: nil, timeout: .seconds(5))
        defer { transport.close() }
        let bound = MQTTTransport.maximumUnconsumedInbound
        // Nothing is consumed: the reader must stop at the bound (plus at most one read) however long it runs.
        let reachedBound = await TestSupport.eventually { transport.unconsumedInboundCount >= bound }
        #expect(reachedBound)
        try await Task.sleep(for: .milliseconds(300))
        #expect(transport.unconsumedInboundCount <= bound + 65_536, "\(transport.unconsumedInboundCount) bytes queued")

        // Consuming lets it read on, to the last byte.
        var received = 0
        while let chunk = try await transport.nextChunk() {
            #expect(chunk.allSatisfy { $0 == 0x5a })
            received += chunk.count
            transport.consumed(chunk.count)
            if received >= total { break }
        }
        #expect(received == total)
        #expect(transport.unconsumedInboundCount == 0)
    }

    @Test("a closed transport is freed although its in-place receiver holds it (a reconnect must not leak one)")
    func closedTransportIsFreed() async throws {
        let listener = try Loopback.listener(port: 0)
        defer { close(listener) }
        let port = Loopback.localPort(of: listener)
        TestThread.start {
            let peer = accept(listener, nil, nil)
            guard peer >= 0 else { return }
            var byte: UInt8 = 0
            _ = recv(peer, &byte, 1, 0)  // until the transport closes
            close(peer)
        }
        /// Holds the transport weakly, readable from the polling closure.
        final class Watch: @unchecked Sendable {
            weak var transport: MQTTTransport?
        }
        let watch = Watch()
        do {
            let transport = try await MQTTTransport.connect(
                host: "127.0.0.1",
                port: port,
                tls: nil,
                timeout: .seconds(5)
            )
            // As the client's receiver does: it holds the transport it reads for.
            transport.receiveInPlace { _ in
                _ = transport.unconsumedInboundCount
                return .declined
            }
            watch.transport = transport
            transport.close()
        }
        // The reader and writer tasks let go of it as they end.
        #expect(await TestSupport.eventually { watch.transport == nil })
    }

    /// How a wait for the next chunk ends.
    enum InboundEnd: CaseIterable, Sendable {
        case brokerCloses
        case transportClosed
        case consumerCancelled
    }

    @Test(
        "a chunk sent before the end is taken first; then the broker's close fails the wait, a close or cancel ends it",
        arguments: InboundEnd.allCases
    )
    func inboundEnds(_ end: InboundEnd) async throws {
        let listener = try Loopback.listener(port: 0)
        defer { close(listener) }
        let port = Loopback.localPort(of: listener)
        let peer = Locked<Int32>(-1)
        TestThread.start {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            peer.withLock { $0 = connection }
            _ = Loopback.writeAll(connection, Array("abc".utf8))
        }
        let transport = try await MQTTTransport.connect(host: "127.0.0.1", port: port, tls: nil, timeout: .seconds(5))
        defer {
            transport.close()
            peer.withLock { if $0 >= 0 { close($0) } }
        }
        #expect(try await transport.nextChunk() == Array("abc".utf8))
        let waiting = Task { () async -> Result<[UInt8]?, MQTTError> in
            do throws(MQTTError) {
                return .success(try await transport.nextChunk())
            } catch {
                return .failure(error)
            }
        }
        switch end {
        case .brokerCloses: peer.withLock { shutdown($0, Int32(SHUT_RDWR)) }
        case .transportClosed: transport.close()
        case .consumerCancelled: waiting.cancel()
        }
        let result = await waiting.value
        switch (end, result) {
        case (.brokerCloses, .failure(.connectionLost(_, _, let reason))):
            #expect(reason == "the broker closed the connection")
        case (.transportClosed, .success(nil)), (.consumerCancelled, .success(nil)):
            break
        default:
            Issue.record("\(end): \(result)")
        }
    }

    @Test(
        "sends leave in order whether they go out at once or through the writer, with the peer slow to read",
        arguments: [1, 4 << 10, 256 << 10]
    )
    func sendsStayInOrder(blockBytes: Int) async throws {
        let blocks = 48
        let listener = try Loopback.listener(port: 0)
        defer { close(listener) }
        let port = Loopback.localPort(of: listener)
        let received = Locked<[UInt8]>([])
        let done = Locked(false)
        TestThread.start {
            let peer = accept(listener, nil, nil)
            guard peer >= 0 else { return }
            defer { close(peer) }
            // Slow throughout, so some sends find the socket full and go through the writer, and later ones come
            // while the writer still holds bytes and the peer has just made room.
            usleep(20_000)
            var buffer = [UInt8](repeating: 0, count: 16_384)
            var all: [UInt8] = []
            while all.count < blocks * blockBytes {
                let count = recv(peer, &buffer, buffer.count, 0)
                guard count > 0 else { break }
                all += buffer[..<count]
                usleep(100)
            }
            received.withLock { $0 = all }
            done.withLock { $0 = true }
        }
        let transport = try await MQTTTransport.connect(host: "127.0.0.1", port: port, tls: nil, timeout: .seconds(5))
        defer { transport.close() }
        for block in 0..<blocks {
            transport.send([UInt8](repeating: UInt8(block), count: blockBytes))
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(await TestSupport.eventually { done.withLock { $0 } })
        let bytes = received.withLock { $0 }
        #expect(bytes.count == blocks * blockBytes)
        let inOrder = (0..<blocks).allSatisfy { block in
            bytes[(block * blockBytes)..<((block + 1) * blockBytes)].allSatisfy { $0 == UInt8(block) }
        }
        #expect(inOrder)
    }

    /// Counted in a process of its own (`TransportThreadProbe`): in this one, other suites start and end threads
    /// while it counts (Dispatch alone adds dozens when outbox tests block in fsync). A thread per connection adds 64.
    @Test("open connections cost no thread each: 64 more held open add fewer than 32 threads to the process")
    func noThreadPerConnection() async throws {
        let probe = try BuiltProduct.path("TransportThreadProbe")
        let output = "/tmp/transport-thread-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(output) }
        let child = try ChildProcess(probe, [], outputPath: output, errorPath: output + ".err", truncating: true)
        defer { unlink(output + ".err") }
        let status = await child.waitForExit(timeout: .seconds(60))
        if status == nil { child.stop(signal: SIGKILL) }
        let error = (try? String(contentsOfFile: output + ".err", encoding: .utf8)) ?? ""
        try #require(status == 0, "the probe exited with \(String(describing: status)): \(error)")
        let counts = try String(contentsOfFile: output, encoding: .utf8).split(separator: " ").compactMap {
            Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        try #require(counts.count == 2, "the probe printed \(counts)")
        #expect(counts[1] - counts[0] < 32, "\(counts[0]) threads before, \(counts[1]) with 64 more connections open")
    }
}

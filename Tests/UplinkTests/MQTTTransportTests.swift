import Glibc
import Locking
import Testing

@testable import Uplink

/// The transport's inbound side under a consumer that does not keep up: reading stops at a bound and resumes,
/// with nothing lost, once the consumer catches up.
@Suite("MQTTTransport inbound flow control")
struct MQTTTransportTests {
    @Test("a peer sending 8 MiB to a consumer that is not reading gets no more than the bound queued; nothing is lost")
    func boundedInbound() async throws {
        let total = 8 << 20
        let listener = try Sockets.listener(port: 0)
        defer { close(listener) }
        let port = Sockets.localPort(of: listener)
        let sender = Locked<Int32>(-1)
        TestThread.start {
            let peer = accept(listener, nil, nil)
            guard peer >= 0 else { return }
            sender.withLock { $0 = peer }
            let block = [UInt8](repeating: 0x5a, count: 65_536)
            for _ in 0..<total / block.count where Sockets.writeAll(peer, block) {}
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
        for try await chunk in transport.inbound {
            #expect(chunk.allSatisfy { $0 == 0x5a })
            received += chunk.count
            transport.consumed(chunk.count)
            if received >= total { break }
        }
        #expect(received == total)
        #expect(transport.unconsumedInboundCount == 0)
    }

    /// Other suites start threads of their own while this runs, so the bound leaves room for them; a thread per
    /// connection adds 64.
    @Test("open connections cost no thread each: 64 held open add fewer than 32 threads to the process")
    func noThreadPerConnection() async throws {
        let listener = try Sockets.listener(port: 0, backlog: 128)
        defer { close(listener) }
        let port = Sockets.localPort(of: listener)
        // The first connection starts the shared I/O loop; count from there.
        let first = try await MQTTTransport.connect(host: "127.0.0.1", port: port, tls: nil, timeout: .seconds(5))
        defer { first.close() }
        let before = Self.threadCount()
        var transports: [MQTTTransport] = []
        defer { for transport in transports { transport.close() } }
        for _ in 0..<64 {
            transports.append(
                try await MQTTTransport.connect(host: "127.0.0.1", port: port, tls: nil, timeout: .seconds(5))
            )
        }
        let after = Self.threadCount()
        #expect(after - before < 32, "\(before) threads before, \(after) with 64 more connections open")
    }

    /// The threads of this process, from /proc/self/task.
    private static func threadCount() -> Int {
        guard let directory = opendir("/proc/self/task") else { return -1 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { count += 1 }
        }
        return count
    }
}

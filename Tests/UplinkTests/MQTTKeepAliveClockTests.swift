import Glibc
import HAL
import HALSimulated
import Locking
import TestSupport
import Testing

@testable import Uplink

/// Keep-alive on a `ManualClock`: half-open detection measured in clock time, with no sleep in the test.
@Suite("MQTTClient keep-alive on a manual clock")
struct MQTTKeepAliveClockTests {
    @Test("a broker that goes silent after CONNACK gets PINGREQ at half the keep-alive and is dropped after 1.5")
    func silentBrokerDropped() async throws {
        let listener = try Loopback.listener(port: 0)
        defer { close(listener) }
        let port = Loopback.localPort(of: listener)
        let received = Locked<[UInt8]>([])
        let peer = Locked<Int32>(-1)
        TestThread.start {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            peer.withLock { $0 = fd }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let first = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard first > 0 else { return }
            received.withLock { $0.append(contentsOf: buffer.prefix(first)) }
            // CONNACK, session not present, accepted; then silence, whatever arrives.
            guard Loopback.writeAll(fd, [0x20, 0x02, 0x00, 0x00]) else { return }
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard count > 0 else { return }
                received.withLock { $0.append(contentsOf: buffer.prefix(count)) }
            }
        }
        defer { peer.withLock { if $0 >= 0 { shutdown($0, Int32(SHUT_RDWR)) } } }

        let clock = ManualClock()
        var configuration = TestSupport.configuration(port: port, clientID: "dock-03")
        configuration.keepAlive = 1
        let client = MQTTClient(configuration: configuration, clock: clock)
        let task = Task { await client.run() }
        defer { task.cancel() }
        #expect(await TestSupport.eventually { await client.state == .connected })

        // Six quarter keep-alives: 1.5 s of clock time with nothing from the broker is not yet dead.
        for _ in 0..<6 {
            await clock.waitForSleepers(1)
            clock.advance(by: .milliseconds(250))
        }
        await clock.waitForSleepers(1)
        #expect(await client.state == .connected)
        let pingSent = await TestSupport.eventually { received.withLock { $0.suffix(2) == [0xC0, 0x00] } }
        #expect(pingSent, "PINGREQ expected after half the keep-alive")

        // One more quarter: over 1.5 keep-alives of silence, the connection is declared dead.
        clock.advance(by: .milliseconds(250))
        let dropped = await TestSupport.eventually {
            if case .keepAliveTimeout = await client.lastError { return true }
            return false
        }
        let lastError = await client.lastError
        #expect(dropped, "\(String(describing: lastError))")
        #expect(await client.state != .connected)
        await client.stop()
    }
}

import Glibc
import IOEngine
import Locking
import Logging
import TestSupport
import Testing

@testable import Uplink

/// The uplink's acknowledgement loop waits for an event's PUBACK with the client (one wake per PUBACK): a PUBACK
/// that never comes must still let the uplink end when it is stopped or cancelled, with the cursor left behind.
struct MQTTUplinkAcknowledgementTests {
    /// How the uplink is ended while its events wait for a PUBACK.
    enum Ending: CaseIterable, Sendable {
        case stopped
        case cancelled
    }

    /// A broker that accepts the connection and counts PUBLISHes but never acknowledges one.
    final class SilentBroker: Sendable {
        let publishes = Locked(0)
        let listener: AcceptThread

        init() throws {
            let publishes = self.publishes
            listener = try AcceptThread(serve: { client in
                TestThread.start {
                    defer { close(client) }
                    var decoder = MQTTPacketDecoder()
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    while true {
                        let count = recv(client, &buffer, buffer.count, 0)
                        guard count > 0 else { return }
                        decoder.append(Array(buffer[..<count]))
                        while let decoded = try? decoder.next() {
                            guard case .packet(let packet) = decoded else { continue }
                            switch packet {
                            case .connect: _ = Loopback.writeAll(client, [0x20, 0x02, 0x00, 0x00])
                            case .pingreq: _ = Loopback.writeAll(client, [0xD0, 0x00])
                            case .publish: publishes.withLock { $0 += 1 }
                            default: break
                            }
                        }
                    }
                }
            })
        }
    }

    @Test(
        "an uplink whose events never get a PUBACK still ends when stopped or cancelled; the cursor stays put",
        arguments: Ending.allCases,
        [nil, "loop"]
    )
    func unacknowledgedEventsDoNotHoldTheUplink(ending: Ending, executor: String?) async throws {
        let broker = try SilentBroker()
        defer { broker.listener.close() }
        let log = MemoryEventLog()
        await log.append(count: 3, type: .scan)
        let taskExecutor: (any TaskExecutor)? = executor == nil ? nil : try IOLoop.shared()
        let uplink = try MQTTUplink(
            url: "mqtt://127.0.0.1:\(broker.listener.port)",
            clientID: "dock-03",
            site: "ams-1",
            controller: "dock-03",
            log: log,
            configure: {
                TestSupport.fast(&$0)
                $0.taskExecutor = taskExecutor
            }
        )
        let ended = Locked(false)
        let run = Task(executorPreference: taskExecutor) {
            await uplink.run()
            ended.withLock { $0 = true }
        }
        // The three events and the birth message are published, none acknowledged.
        #expect(await TestSupport.eventually { broker.publishes.withLock { $0 } >= 4 })
        #expect(await uplink.status().publishedSeq == 3)
        switch ending {
        case .stopped: await uplink.stop(drainTimeout: .milliseconds(100))
        case .cancelled: run.cancel()
        }
        // Polled, not awaited: an uplink that never ends fails the test instead of hanging the run.
        #expect(await TestSupport.eventually(timeout: .seconds(20)) { ended.withLock { $0 } })
        #expect(try await log.cursor(for: "mqtt") == 0)
        #expect(await uplink.status().acknowledgedSeq == 0)
    }
}

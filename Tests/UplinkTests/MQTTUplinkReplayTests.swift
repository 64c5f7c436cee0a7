import Events
import Logging
import TestSupport
import Testing
import Uplink

/// `events.replay` on the MQTT uplink against a real mosquitto: exactly the stored part of the range arrives again,
/// byte for byte, the part not retained or not produced is reported, the cursor stays where it was, and a second
/// replay while one runs is refused.
@Suite("MQTT uplink replay with mosquitto", .enabled(if: Mosquitto.isInstalled, "needs /usr/sbin/mosquitto"))
struct MQTTUplinkReplayTests {
    static let prefix = MQTTUplinkTests.prefix

    /// A broker, an uplink that has delivered the `count` events of `log` (its cursor at `count`), and a
    /// subscriber that arrived afterwards, so it receives only what is replayed.
    static func delivered(
        _ log: MemoryEventLog,
        count: UInt64,
        broker: Mosquitto,
        inbox: Inbox
    ) async throws -> (MQTTUplink, Task<Void, Never>, MQTTClient, Task<Void, Never>) {
        let uplink = try MQTTUplinkTests.uplink(port: broker.port, log: log)
        let task = Task { await uplink.run() }
        let delivered = await TestSupport.eventually { (try? await log.cursor(for: "mqtt")) == count }
        try #require(delivered, "the uplink never delivered the \(count) events")
        let (subscriber, subscriberTask) = try await TestSupport.subscriber(
            port: broker.port,
            filter: "\(prefix)/events/#",
            inbox: inbox
        )
        return (uplink, task, subscriber, subscriberTask)
    }

    /// How `uplink` refuses a replay of `range`; nil when it replays. (Debian 13's Swift Testing, 6.0, has no
    /// `#expect(throws:)` that returns the error.)
    static func refusal(_ uplink: MQTTUplink, _ range: EventReplayRange) async -> CommandFailure? {
        do {
            _ = try await uplink.replay(range)
            return nil
        } catch {
            return error
        }
    }

    @Test(
        "a replay re-publishes exactly the stored part of the range with identical payloads and reports the rest",
        arguments: [
            // (from, through, the first and last seq replayed, not retained, beyond the newest)
            ReplayCase(from: 3, through: 12, replayed: 6...12, notRetained: 3...5, beyondNewest: nil),
            ReplayCase(from: 6, through: 30, replayed: 6...30, notRetained: nil, beyondNewest: nil),
            ReplayCase(from: 25, through: 40, replayed: 25...30, notRetained: nil, beyondNewest: 31...40),
            ReplayCase(from: 1, through: 4, replayed: nil, notRetained: 1...4, beyondNewest: nil),
            ReplayCase(from: 31, through: 31, replayed: nil, notRetained: nil, beyondNewest: 31...31),
            ReplayCase(from: 2, through: 35, replayed: 6...30, notRetained: 2...5, beyondNewest: 31...35),
        ]
    )
    func replaysTheStoredRange(_ test: ReplayCase) async throws {
        let broker = try await Mosquitto()
        defer { broker.remove() }
        let log = MemoryEventLog()
        await log.append(count: 20, type: .scan)
        await log.append(count: 10, type: .lockerDoorOpened, device: "lockers-A")
        let inbox = Inbox()
        let (uplink, task, subscriber, subscriberTask) = try await Self.delivered(
            log,
            count: 30,
            broker: broker,
            inbox: inbox
        )
        defer {
            task.cancel()
            subscriberTask.cancel()
        }
        await log.forget(through: 5)
        let acknowledgementsBefore = await log.acknowledgements

        let report = try await uplink.replay(EventReplayRange(from: test.from, through: test.through))
        let expected = test.replayed.map { Array($0) } ?? []
        #expect(report.replayed == UInt64(expected.count))
        #expect(
            report.notRetained == test.notRetained.map { EventReplayRange(from: $0.lowerBound, through: $0.upperBound) }
        )
        #expect(
            report.beyondNewest
                == test.beyondNewest.map { EventReplayRange(from: $0.lowerBound, through: $0.upperBound) }
        )
        #expect(report.unreadable == 0)

        // The replay publishes after `replay` returned; the subscriber's QoS 1 session gets each one in order, and a
        // probe published once they are in tells that nothing more is coming.
        let arrived = await TestSupport.eventually { await inbox.eventSeqs() == expected }
        let seen = await inbox.eventSeqs()
        #expect(arrived, "\(seen)")
        let probe = "probe/test-subscriber"
        _ = try await uplink.client.publish(MQTTMessage(topic: probe, text: "after", qos: .atLeastOnce))
        #expect(await TestSupport.eventually { await inbox.payloads(on: probe).contains("after") })
        #expect(await inbox.eventSeqs() == expected)
        let stored = await log.events
        for seq in expected {
            let event = stored[Int(seq - 1)]
            let topic = "\(Self.prefix)/events/\(event.type.rawValue)"
            #expect(await inbox.payloads(on: topic).contains(String(decoding: event.jsonBytes, as: UTF8.self)))
        }
        // The delivery cursor did not move and nothing was acknowledged for the replay.
        #expect(try await log.cursor(for: "mqtt") == 30)
        #expect(await log.acknowledgements == acknowledgementsBefore)
        await subscriber.stop()
        await uplink.stop()
    }

    @Test("a replay while the uplink is not connected is refused with uplink-offline and reads nothing")
    func offline() async throws {
        let log = MemoryEventLog()
        await log.append(count: 3)
        // Never run: its client stays disconnected.
        let uplink = try MQTTUplinkTests.uplink(port: 1, log: log)
        let failure = await Self.refusal(uplink, EventReplayRange(from: 1, through: 3))
        #expect(failure?.code == "uplink-offline", "\(failure?.description ?? "no failure")")
        #expect(try await log.cursor(for: "mqtt") == 0)
    }

    @Test("a second replay while one runs is refused with replay-busy; the first completes")
    func oneAtATime() async throws {
        let broker = try await Mosquitto()
        defer { broker.remove() }
        let log = MemoryEventLog()
        await log.append(count: 10)
        let inbox = Inbox()
        let (uplink, task, subscriber, subscriberTask) = try await Self.delivered(
            log,
            count: 10,
            broker: broker,
            inbox: inbox
        )
        defer {
            task.cancel()
            subscriberTask.cancel()
        }
        // The first replay waits in its read of the outbox after seq 1.
        await log.hold(after: 1)
        let first = Task { try await uplink.replay(EventReplayRange(from: 2, through: 4)) }
        #expect(await TestSupport.eventually { await log.heldReads == 1 })
        let second = await Self.refusal(uplink, EventReplayRange(from: 5, through: 6))
        #expect(second?.code == "replay-busy", "\(second?.description ?? "no failure")")
        await log.release()
        let report = try await first.value
        #expect(report.replayed == 3)
        // Busy until the broker has the first replay's events, then free again.
        #expect(await TestSupport.eventually { await inbox.eventSeqs() == [2, 3, 4] })
        #expect(
            await TestSupport.eventually {
                (try? await uplink.replay(EventReplayRange(from: 5, through: 6)))?.replayed == 2
            }
        )
        #expect(await TestSupport.eventually { await inbox.eventSeqs() == [2, 3, 4, 5, 6] })
        await subscriber.stop()
        await uplink.stop()
    }

    @Test("a replay answers without waiting for the broker: commands behind it are not held up by its PUBACKs")
    func answersWithoutWaitingForTheBroker() async throws {
        let broker = try await Mosquitto()
        defer { broker.remove() }
        let proxy = try ForwardingProxy(upstreamPort: broker.port)
        defer { proxy.close() }
        let log = MemoryEventLog()
        await log.append(count: 10)
        let uplink = try MQTTUplinkTests.uplink(port: proxy.port, log: log)
        let task = Task { await uplink.run() }
        defer { task.cancel() }
        #expect(await TestSupport.eventually { (try? await log.cursor(for: "mqtt")) == 10 })
        // Nothing passes between the uplink and the broker now: no PUBACK can come back. A handler that waited
        // for them would hold every command behind it (and, past the inbound bound, the reads that bring them).
        proxy.freeze()
        let report = try await uplink.replay(EventReplayRange(from: 1, through: 10))
        #expect(report.replayed == 10)
        let busy = await Self.refusal(uplink, EventReplayRange(from: 1, through: 1))
        #expect(busy?.code == "replay-busy", "the first replay holds the slot until the broker has it")
        await uplink.stop()
    }
}

/// One replay and what it must do.
struct ReplayCase: Sendable, CustomTestStringConvertible {
    var from: UInt64
    var through: UInt64
    var replayed: ClosedRange<UInt64>?
    var notRetained: ClosedRange<UInt64>?
    var beyondNewest: ClosedRange<UInt64>?

    var testDescription: String { "\(from)…\(through)" }
}

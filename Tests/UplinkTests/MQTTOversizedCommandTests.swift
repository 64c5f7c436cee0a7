import Events
import TestSupport
import Testing
import Uplink

/// Issue 10, item 1: a command too large to keep must not wedge the session. Against a real mosquitto (its
/// default `message_size_limit 0` accepts any valid MQTT message, up to 256 MiB), 2 MiB and 64 MiB PUBLISHes
/// to `.../commands` are skipped without being buffered, acknowledged and reported; events keep flowing on the
/// same connection and nothing is redelivered, not even to a new connection with the same session.
@Suite("Oversized commands with mosquitto", .enabled(if: Mosquitto.isInstalled, "needs /usr/sbin/mosquitto"))
struct MQTTOversizedCommandTests {
    static let prefix = "floorlink/ams-1/dock-03"

    /// What the uplink handed on: small commands' payloads and oversized commands' byte counts, in order.
    actor Handed {
        private(set) var commands: [String] = []
        private(set) var oversized: [Int] = []

        func command(_ payload: [UInt8]) { commands.append(String(decoding: payload, as: UTF8.self)) }
        func oversized(_ byteCount: Int) { oversized.append(byteCount) }
    }

    static func uplink(port: Int, log: MemoryEventLog, handed: Handed) throws -> MQTTUplink {
        try MQTTUplink(
            url: "mqtt://127.0.0.1:\(port)",
            clientID: "dock-03",
            site: "ams-1",
            controller: "dock-03",
            log: log,
            onCommand: { await handed.command($0) },
            onOversizedCommand: { await handed.oversized($0) },
            configure: TestSupport.fast
        )
    }

    @Test(
        "2 MiB and 64 MiB commands (and 3 MiB at QoS 0) are acknowledged and reported once; events keep flowing"
    )
    func oversizedCommands() async throws {
        let broker = try await Mosquitto()
        defer { broker.remove() }
        let log = MemoryEventLog()
        let handed = Handed()
        let uplink = try Self.uplink(port: broker.port, log: log, handed: handed)
        let task = Task { await uplink.run() }
        defer { task.cancel() }
        #expect(await TestSupport.eventually { await uplink.client.state == .connected })
        await log.append(count: 5)
        #expect(await TestSupport.eventually { (try? await log.cursor(for: "mqtt")) == 5 })

        var commanderConfiguration = TestSupport.configuration(port: broker.port, clientID: "commander")
        commanderConfiguration.inflightWindow = 4
        let commander = MQTTClient(configuration: commanderConfiguration)
        let commanderTask = Task { await commander.run() }
        defer { commanderTask.cancel() }
        let sizes = [2 << 20, 64 << 20]
        for size in sizes {
            let payload = [UInt8](repeating: UInt8(ascii: "x"), count: size)
            let receipt = try await commander.publish(MQTTMessage(topic: "\(Self.prefix)/commands", payload: payload))
            try await commander.waitForAcknowledgement(receipt)
        }
        // At QoS 0 there is nothing to acknowledge, but it is still skipped and reported.
        let atMostOnce = 3 << 20
        let unacknowledged = [UInt8](repeating: UInt8(ascii: "y"), count: atMostOnce)
        try await commander.publish(
            MQTTMessage(topic: "\(Self.prefix)/commands", payload: unacknowledged, qos: .atMostOnce)
        )
        let after = #"{"id":"after-the-big-ones"}"#
        let receipt = try await commander.publish(MQTTMessage(topic: "\(Self.prefix)/commands", text: after))
        try await commander.waitForAcknowledgement(receipt)

        // Delivered in order: once the small command is through, both big ones were dealt with.
        let through = await TestSupport.eventually(timeout: .seconds(60)) { await handed.commands == [after] }
        let handedCount = await handed.commands.count
        let error = await uplink.status().lastError ?? "none"
        #expect(through, "commands handed on: \(handedCount), last error: \(error)")
        #expect(await handed.oversized == sizes + [atMostOnce])

        // Events keep flowing on the same connection (before the fix they stopped: the session was jammed). How
        // fast is printed, not asserted: a timed check fails on a loaded machine.
        for count in 6...10 {
            let appended = ContinuousClock.now
            await log.append(count: 1)
            let acknowledged = await TestSupport.eventually(timeout: .seconds(30)) {
                (try? await log.cursor(for: "mqtt")) == UInt64(count)
            }
            #expect(acknowledged, "event \(count) not acknowledged after \(ContinuousClock.now - appended)")
            print("oversized-command test: event \(count) acknowledged in \(ContinuousClock.now - appended)")
        }
        let lastError = await uplink.client.lastError
        #expect(await uplink.client.connectionCount == 1, "last error: \(String(describing: lastError))")
        #expect(await uplink.client.state == .connected)

        // Nothing is redelivered: a new connection with the same session gets only what is published after it.
        await uplink.stop()
        task.cancel()
        let again = try Self.uplink(port: broker.port, log: log, handed: handed)
        let againTask = Task { await again.run() }
        defer { againTask.cancel() }
        #expect(await TestSupport.eventually { await again.client.state == .connected })
        let marker = #"{"id":"marker"}"#
        let markerReceipt = try await commander.publish(MQTTMessage(topic: "\(Self.prefix)/commands", text: marker))
        try await commander.waitForAcknowledgement(markerReceipt)
        #expect(await TestSupport.eventually { await handed.commands.count == 2 })
        #expect(await handed.commands == [after, marker])
        #expect(await handed.oversized == sizes + [atMostOnce])
        await again.stop()
        await commander.stop()
    }

    @Test("a subscription asked at QoS 2 receives QoS 2 messages downgraded and keeps its one connection")
    func qos2Subscription() async throws {
        let broker = try await Mosquitto()
        defer { broker.remove() }
        let inbox = Inbox()
        var configuration = TestSupport.configuration(port: broker.port, clientID: "qos2")
        configuration.subscriptions = [MQTTSubscription(topicFilter: "exactly/once", qos: .exactlyOnce)]
        let client = MQTTClient(configuration: configuration) { topic, payload in
            await inbox.add(topic: topic, payload: payload)
        }
        let task = Task { await client.run() }
        defer { task.cancel() }
        #expect(await TestSupport.eventually { await client.state == .connected })
        // Sent by another client until it arrives (the subscription may not be in place on the first try).
        let delivered = await TestSupport.eventually {
            let arguments = ["-h", "127.0.0.1", "-p", "\(broker.port)", "-q", "2", "-t", "exactly/once", "-m", "m"]
            _ = try? await ChildProcess.run("/usr/bin/mosquitto_pub", arguments, timeout: .seconds(60))
            return await inbox.count > 0
        }
        let lastError = await client.lastError
        #expect(delivered, "last error: \(String(describing: lastError))")
        #expect(await client.connectionCount == 1, "last error: \(String(describing: lastError))")
        #expect(await client.state == .connected)
        await client.stop()
    }
}

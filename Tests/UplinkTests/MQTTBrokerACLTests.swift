import Foundation
import TestSupport
import Testing
import Uplink

/// The example broker ACL in `hal/broker/floorlink.acl`, loaded into a real mosquitto: the uplink works under it,
/// and a controller can neither publish under another controller's prefix nor read its commands.
@Suite("The example mosquitto ACL", .enabled(if: Mosquitto.isInstalled, "needs /usr/sbin/mosquitto"))
struct MQTTBrokerACLTests {
    static let aclFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("hal/broker/floorlink.acl").path
    static let users = [
        ("ams-1/dock-03", "pw-dock-03"), ("ams-1/dock-04", "pw-dock-04"), ("floorlink-upstream", "pw-up"),
    ]

    /// A broker with password authentication and the example ACL.
    static func broker() async throws -> Mosquitto {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("floorlink-acl-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let passwords = "\(directory)/passwd"
        for (index, (user, password)) in users.enumerated() {
            let create = index == 0 ? ["-c"] : []
            let status = try await ChildProcess.run(
                "/usr/bin/mosquitto_passwd",
                ["-b"] + create + [passwords, user, password],
                timeout: .seconds(60)
            )
            guard status == 0 else { throw HarnessError("mosquitto_passwd exited \(status)") }
        }
        return try await Mosquitto(extraConfig: [
            "allow_anonymous false", "password_file \(passwords)", "acl_file \(aclFile)",
        ])
    }

    static func client(port: Int, user: Int, subscriptions: [String] = [], inbox: Inbox? = nil) -> MQTTClient {
        var configuration = TestSupport.configuration(port: port, clientID: "client-\(user)")
        configuration.username = users[user].0
        configuration.password = Array(users[user].1.utf8)
        configuration.subscriptions = subscriptions.map { MQTTSubscription(topicFilter: $0, qos: .atLeastOnce) }
        return MQTTClient(configuration: configuration) { topic, payload in
            await inbox?.add(topic: topic, payload: payload)
        }
    }

    @Test("the uplink works under the ACL; a foreign publish and a foreign read are refused")
    func foreignPrefixRefused() async throws {
        let broker = try await Self.broker()
        defer { broker.remove() }
        let upstreamInbox = Inbox()
        let upstream = Self.client(port: broker.port, user: 2, subscriptions: ["floorlink/#"], inbox: upstreamInbox)
        let upstreamTask = Task { await upstream.run() }
        defer { upstreamTask.cancel() }
        let subscribed = await TestSupport.eventually {
            _ = try? await upstream.publish(
                MQTTMessage(topic: "floorlink/probe/x/commands", text: "p", qos: .atMostOnce)
            )
            return await upstreamInbox.count > 0
        }
        try #require(subscribed, "the upstream client never received its probe")

        // The controller's own uplink: events out, commands in, as user ams-1/dock-03.
        let log = MemoryEventLog()
        let commands = Inbox()
        let uplink = try MQTTUplink(
            url: "mqtt://127.0.0.1:\(broker.port)",
            clientID: "dock-03",
            username: Self.users[0].0,
            password: Self.users[0].1,
            site: "ams-1",
            controller: "dock-03",
            log: log,
            onCommand: { await commands.add(topic: "command", payload: $0) },
            configure: TestSupport.fast
        )
        let uplinkTask = Task { await uplink.run() }
        defer { uplinkTask.cancel() }
        await log.append(count: 3)
        #expect(await TestSupport.eventually { await upstreamInbox.eventSeqs() == [1, 2, 3] })
        let delivered = await TestSupport.eventually {
            if await commands.count == 0 {
                let command = MQTTMessage(topic: "floorlink/ams-1/dock-03/commands", text: #"{"id":"c1"}"#)
                _ = try? await upstream.publish(command)
                try? await Task.sleep(for: .milliseconds(200))
            }
            return await commands.count > 0
        }
        #expect(delivered, "the controller never received its own command")

        // dock-04 publishes under dock-03's prefix, then a marker under its own: only the marker arrives.
        let dock04Inbox = Inbox()
        let dock04 = Self.client(
            port: broker.port,
            user: 1,
            subscriptions: ["floorlink/ams-1/dock-03/commands", "floorlink/ams-1/dock-04/commands"],
            inbox: dock04Inbox
        )
        let dock04Task = Task { await dock04.run() }
        defer { dock04Task.cancel() }
        #expect(await TestSupport.eventually { await dock04.state == .connected })
        for topic in ["floorlink/ams-1/dock-03/events/scan", "floorlink/ams-1/dock-03/commands", "elsewhere/x"] {
            let receipt = try await dock04.publish(MQTTMessage(topic: topic, text: "forged"))
            try await dock04.waitForAcknowledgement(receipt)
        }
        let marker = try await dock04.publish(MQTTMessage(topic: "floorlink/ams-1/dock-04/events/scan", text: "own"))
        try await dock04.waitForAcknowledgement(marker)
        #expect(
            await TestSupport.eventually {
                await upstreamInbox.payloads(on: "floorlink/ams-1/dock-04/events/scan") == ["own"]
            }
        )
        #expect(await upstreamInbox.messages.filter { $0.payload == "forged" }.isEmpty)
        // (The loop above may have delivered c1 more than once on a loaded machine: look for the forgery itself.)
        let received = await commands.payloads(on: "command")
        #expect(!received.contains("forged"), "a forged command reached dock-03: \(received)")

        // dock-04 subscribed to dock-03's commands too, but reads only its own.
        let toDock03 = try await upstream.publish(
            MQTTMessage(topic: "floorlink/ams-1/dock-03/commands", text: "for-03")
        )
        try await upstream.waitForAcknowledgement(toDock03)
        let toDock04 = try await upstream.publish(
            MQTTMessage(topic: "floorlink/ams-1/dock-04/commands", text: "for-04")
        )
        try await upstream.waitForAcknowledgement(toDock04)
        #expect(await TestSupport.eventually { await dock04Inbox.count > 0 })
        #expect(await dock04Inbox.messages.map(\.payload) == ["for-04"])
        await uplink.stop()
        await dock04.stop()
        await upstream.stop()
    }
}

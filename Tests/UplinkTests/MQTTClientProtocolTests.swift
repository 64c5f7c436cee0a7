import IOEngine
import Testing

@testable import Uplink

/// What the client puts on the wire, watched by a scripted broker: CONNECT fields, DUP on a re-sent publish
/// with its original packet id, and PINGREQ at half the keep-alive.
@Suite("MQTTClient on the wire")
struct MQTTClientProtocolTests {
    @Test(
        "an unacknowledged publish is sent again after a reconnect with DUP and the same packet id",
        arguments: [false, true]
    )
    func resendWithDup(onLoop: Bool) async throws {
        let broker = try ScriptedBroker()
        defer { broker.close() }
        var configuration = TestSupport.configuration(port: broker.port, clientID: "dock-03")
        // 5 s, not 1: with 1 s a loaded (sanitized) run dropped every connection for keep-alive before the resend.
        configuration.keepAlive = 5
        configuration.username = "floor"
        configuration.password = Array("pw".utf8)
        configuration.will = MQTTMessage(topic: "floorlink/s/c/status", text: "offline", retain: true)
        // On the loop, the reader hands what it reads to the client in place (MQTTTransport.receiveInPlace).
        configuration.taskExecutor = onLoop ? try IOLoop.shared() : nil
        let client = MQTTClient(configuration: configuration)
        let task = Task(executorPreference: configuration.taskExecutor) { await client.run() }
        defer { task.cancel() }
        let receipt = try await client.publish(MQTTMessage(topic: "floorlink/s/c/events/scan", text: "{}"))
        // A conditional wait: generous because a loaded CI machine (the whole suite on 2 cores) can starve it.
        #expect(await TestSupport.eventually(timeout: .seconds(60)) { await client.isAcknowledged(receipt) })

        let publishes = broker.packets.compactMap { entry -> (Int, MQTTPublish)? in
            guard case .publish(let publish) = entry.packet else { return nil }
            return (entry.connection, publish)
        }
        // Exactly one resend per reconnect; a slow machine may have reconnected more than once.
        try #require(publishes.count >= 2)
        // A first send on the first connection is not DUP. (On a loaded machine the keep-alive may end that
        // connection before the broker reads the PUBLISH; then the first one it sees is already a resend.)
        if publishes[0].0 == 0 { #expect(!publishes[0].1.dup) }
        #expect(publishes[1].0 > publishes[0].0 && publishes[1].1.dup, "the resend came on a later connection")
        #expect(publishes[0].1.packetID == publishes[1].1.packetID)
        #expect(publishes[0].1.payload == publishes[1].1.payload)
        #expect(publishes[1].1.qos == .atLeastOnce)

        guard case .connect(let connect) = broker.packets.first?.packet else {
            Issue.record("the first packet was not CONNECT")
            return
        }
        #expect(connect.clientID == "dock-03")
        #expect(!connect.cleanSession)
        #expect(connect.keepAlive == 5)
        #expect(connect.username == "floor" && connect.password == Array("pw".utf8))
        #expect(connect.will?.retain == true && connect.will?.topic == "floorlink/s/c/status")

        // Keep-alive 5 s: a PINGREQ within a few seconds of quiet.
        #expect(
            await TestSupport.eventually(timeout: .seconds(30)) {
                broker.packets.contains { $0.packet == .pingreq }
            }
        )
        await client.stop()
    }
}

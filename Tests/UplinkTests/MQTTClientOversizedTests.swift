import Testing

@testable import Uplink

/// An oversized PUBLISH where none may come is still a protocol violation: the skipping is for a PUBLISH this
/// client could acknowledge, not a way around the protocol.
@Suite("MQTTClient: an oversized PUBLISH out of place")
struct MQTTClientOversizedTests {
    /// One broker answer and the protocol violation it must cause.
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let violation: String
        var testDescription: String { name }
    }

    static func oversizedPublish(qos: MQTTQoS) throws -> [UInt8] {
        let publish = MQTTPublish(
            topic: "floorlink/s/c/commands",
            payload: [UInt8](repeating: 0x78, count: 4096),
            qos: qos,
            packetID: qos == .atMostOnce ? nil : 7
        )
        return try MQTTPacket.publish(publish).encoded()
    }

    static func cases() throws -> [Case] {
        let connack = try MQTTPacket.connack(sessionPresent: false, returnCode: .accepted).encoded()
        return [
            Case(
                name: "before CONNACK",
                bytes: try oversizedPublish(qos: .atLeastOnce),
                violation: "expected CONNACK, received PUBLISH"
            ),
            Case(
                name: "at QoS 2",
                bytes: connack + (try oversizedPublish(qos: .exactlyOnce)),
                violation: "QoS 2 PUBLISH on 'floorlink/s/c/commands' although every subscription is QoS 1"
            ),
        ]
    }

    @Test("is a protocol violation", arguments: try cases())
    func outOfPlace(_ case: Case) async throws {
        let broker = try JunkBroker(junk: `case`.bytes)
        defer { broker.close() }
        var configuration = TestSupport.configuration(port: broker.port, clientID: "dock-03")
        configuration.maximumPacketSize = 1024
        let client = MQTTClient(configuration: configuration) { _, _ in
            Issue.record("a message was delivered")
        } onOversizedMessage: { _, _ in
            Issue.record("an oversized message was reported")
        }
        let task = Task { await client.run() }
        defer { task.cancel() }
        let refused = await TestSupport.eventually {
            await client.lastError == .protocolViolation(`case`.violation)
        }
        let lastError = await client.lastError
        #expect(refused, "last error: \(String(describing: lastError))")
        #expect(await client.oversizedMessageCount == 0)
        await client.stop()
    }
}

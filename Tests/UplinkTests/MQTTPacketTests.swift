import Testing

@testable import Uplink

/// The codec: every packet round-trips, the remaining length is encoded as the specification says, and
/// packets that MQTT cannot express are refused when encoding.
@Suite("MQTTPacket codec")
struct MQTTPacketTests {
    static let samples: [MQTTPacket] = [
        .connect(MQTTConnect(clientID: "dock-03", cleanSession: false, keepAlive: 30)),
        .connect(
            MQTTConnect(
                clientID: "dock-03",
                cleanSession: true,
                keepAlive: 0,
                will: MQTTMessage(topic: "floorlink/ams-1/dock-03/status", text: "offline", retain: true),
                username: "floor",
                password: Array("s3cret".utf8)
            )
        ),
        .connect(MQTTConnect(clientID: "", cleanSession: true, keepAlive: 65535, username: "only-user")),
        .connack(sessionPresent: false, returnCode: .accepted),
        .connack(sessionPresent: true, returnCode: .accepted),
        .connack(sessionPresent: false, returnCode: .notAuthorized),
        .publish(MQTTPublish(topic: "a/b", payload: [])),
        .publish(MQTTPublish(topic: "a/b", payload: Array("hello".utf8), retain: true)),
        .publish(MQTTPublish(topic: "ü/事件", payload: [0, 1, 2, 255], qos: .atLeastOnce, packetID: 1)),
        .publish(
            MQTTPublish(
                topic: "x",
                payload: [UInt8](repeating: 7, count: 70_000),
                qos: .atLeastOnce,
                dup: true,
                packetID: 65535
            )
        ),
        .puback(packetID: 1),
        .puback(packetID: 65535),
        .subscribe(
            packetID: 10,
            subscriptions: [
                MQTTSubscription(topicFilter: "floorlink/+/+/commands", qos: .atLeastOnce),
                MQTTSubscription(topicFilter: "#", qos: .atMostOnce),
            ]
        ),
        .suback(packetID: 10, returnCodes: [1, 0x80, 0, 2]),
        .unsubscribe(packetID: 11, topicFilters: ["a/#", "b"]),
        .unsuback(packetID: 11),
        .pingreq,
        .pingresp,
        .disconnect,
    ]

    @Test("every packet decodes back to itself", arguments: samples)
    func roundTrip(packet: MQTTPacket) throws {
        var decoder = MQTTPacketDecoder()
        decoder.append(try packet.encoded())
        #expect(try decoder.next() == .packet(packet))
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("fixed packets have the exact bytes of the specification")
    func exactBytes() throws {
        #expect(try MQTTPacket.pingreq.encoded() == [0xc0, 0x00])
        #expect(try MQTTPacket.pingresp.encoded() == [0xd0, 0x00])
        #expect(try MQTTPacket.disconnect.encoded() == [0xe0, 0x00])
        #expect(try MQTTPacket.puback(packetID: 0x1234).encoded() == [0x40, 0x02, 0x12, 0x34])
        #expect(try MQTTPacket.connack(sessionPresent: true, returnCode: .accepted).encoded() == [0x20, 2, 1, 0])
        let connect = MQTTConnect(
            clientID: "c",
            cleanSession: false,
            keepAlive: 30,
            will: MQTTMessage(topic: "s", text: "x", qos: .atLeastOnce, retain: true),
            username: "u",
            password: [0x70]
        )
        #expect(
            try MQTTPacket.connect(connect).encoded() == [
                0x10, 25, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0b1110_1100, 0, 30,
                0, 1, 0x63, 0, 1, 0x73, 0, 1, 0x78, 0, 1, 0x75, 0, 1, 0x70,
            ]
        )
        let publish = MQTTPublish(topic: "t", payload: [9], qos: .atLeastOnce, retain: true, dup: true, packetID: 5)
        #expect(try MQTTPacket.publish(publish).encoded() == [0x3b, 6, 0, 1, 0x74, 0, 5, 9])
        let subscribe = MQTTPacket.subscribe(
            packetID: 2,
            subscriptions: [MQTTSubscription(topicFilter: "a", qos: .atLeastOnce)]
        )
        #expect(try subscribe.encoded() == [0x82, 6, 0, 2, 0, 1, 0x61, 1])
    }

    @Test(
        "the remaining length uses 1 to 4 bytes at the specification's boundaries",
        arguments: [
            (0, [0x00]), (127, [0x7f]), (128, [0x80, 0x01]), (16_383, [0xff, 0x7f]),
            (16_384, [0x80, 0x80, 0x01]), (2_097_151, [0xff, 0xff, 0x7f]),
            (2_097_152, [0x80, 0x80, 0x80, 0x01]), (268_435_455, [0xff, 0xff, 0xff, 0x7f]),
        ] as [(Int, [UInt8])]
    )
    func remainingLength(value: Int, bytes: [UInt8]) throws {
        var encoded: [UInt8] = []
        try MQTTRemainingLength.encode(value, into: &encoded)
        #expect(encoded == bytes)
        #expect(try MQTTRemainingLength.parse(bytes[...]) == .value(value, byteCount: bytes.count))
        #expect(try MQTTRemainingLength.parse(bytes.dropLast()) == .incomplete)
    }

    @Test("a remaining length beyond 268,435,455 is refused")
    func remainingLengthTooLarge() {
        var encoded: [UInt8] = []
        #expect(throws: MQTTError.self) { try MQTTRemainingLength.encode(268_435_456, into: &encoded) }
        #expect(throws: MQTTError.protocolViolation("remaining length longer than 4 bytes")) {
            try MQTTRemainingLength.parse([0xff, 0xff, 0xff, 0xff, 0x01][...])
        }
    }

    @Test(
        "packets MQTT cannot express are refused when encoding",
        arguments: [
            .publish(MQTTPublish(topic: "a/+", payload: [])),
            .publish(MQTTPublish(topic: "", payload: [])),
            .publish(MQTTPublish(topic: "a", payload: [], qos: .atLeastOnce)),
            .publish(MQTTPublish(topic: "a", payload: [], qos: .atLeastOnce, packetID: 0)),
            .publish(MQTTPublish(topic: String(repeating: "t", count: 65_536), payload: [])),
            .connect(MQTTConnect(clientID: "c", cleanSession: true, keepAlive: 1, password: [1])),
            .connect(MQTTConnect(clientID: "nul\u{0}", cleanSession: true, keepAlive: 1)),
            .subscribe(packetID: 1, subscriptions: []),
            .unsubscribe(packetID: 1, topicFilters: []),
        ] as [MQTTPacket]
    )
    func encodingRefused(packet: MQTTPacket) {
        #expect(throws: MQTTError.self) { try packet.encoded() }
    }

    @Test("DUP is never set on a QoS 0 PUBLISH")
    func noDupAtQoS0() throws {
        let bytes = try MQTTPacket.publish(MQTTPublish(topic: "a", payload: [], dup: true)).encoded()
        #expect(bytes[0] == 0x30)
    }
}

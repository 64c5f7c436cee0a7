import TestSupport
import Testing

@testable import Uplink

/// The streaming decoder: bytes split anywhere give the same packets; malformed, reserved or oversized input
/// is a typed protocol violation, never a trap.
@Suite("MQTTPacketDecoder")
struct MQTTPacketDecoderTests {
    static func stream() throws -> ([MQTTPacket], [UInt8]) {
        let packets: [MQTTPacket] = [
            .connack(sessionPresent: false, returnCode: .accepted),
            .suback(packetID: 1, returnCodes: [1]),
            .publish(
                MQTTPublish(
                    topic: "floorlink/ams-1/dock-03/commands",
                    payload: Array(#"{"id":"c"}"#.utf8),
                    qos: .atLeastOnce,
                    packetID: 7
                )
            ),
            .puback(packetID: 300),
            .publish(MQTTPublish(topic: "big", payload: [UInt8](repeating: 0xab, count: 200))),
            .pingresp,
        ]
        return (packets, try packets.flatMap { try $0.encoded() })
    }

    @Test("a stream split at every position yields the same packets")
    func everySplit() throws {
        let (packets, bytes) = try Self.stream()
        for split in 0...bytes.count {
            var decoder = MQTTPacketDecoder()
            var decoded: [MQTTDecoded] = []
            decoder.append(bytes[..<split])
            while let packet = try decoder.next() { decoded.append(packet) }
            decoder.append(bytes[split...])
            while let packet = try decoder.next() { decoded.append(packet) }
            #expect(decoded == packets.map(MQTTDecoded.packet), "split at \(split)")
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    @Test("a stream fed one byte at a time yields the same packets")
    func byteByByte() throws {
        let (packets, bytes) = try Self.stream()
        var decoder = MQTTPacketDecoder()
        var decoded: [MQTTDecoded] = []
        for byte in bytes {
            decoder.append([byte])
            while let packet = try decoder.next() { decoded.append(packet) }
        }
        #expect(decoded == packets.map(MQTTDecoded.packet))
    }

    /// One malformed input and why it is refused.
    struct Malformed: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        var testDescription: String { name }
    }

    static let malformed: [Malformed] = [
        Malformed(name: "5-byte remaining length", bytes: [0x30, 0xff, 0xff, 0xff, 0xff, 0x01]),
        Malformed(name: "reserved type 0", bytes: [0x00, 0x00]),
        Malformed(name: "reserved type 15", bytes: [0xf0, 0x00]),
        Malformed(name: "QoS 2 PUBREC", bytes: [0x50, 0x02, 0x00, 0x01]),
        Malformed(name: "CONNACK too long", bytes: [0x20, 0x03, 0x00, 0x00, 0x00]),
        Malformed(name: "CONNACK too short", bytes: [0x20, 0x01, 0x00]),
        Malformed(name: "CONNACK reserved flag bits", bytes: [0x20, 0x02, 0x02, 0x00]),
        Malformed(name: "CONNACK refusal with session", bytes: [0x20, 0x02, 0x01, 0x05]),
        Malformed(name: "CONNACK with fixed-header flags", bytes: [0x21, 0x02, 0x00, 0x00]),
        Malformed(name: "PUBLISH QoS 3", bytes: [0x36, 0x03, 0x00, 0x01, 0x61]),
        Malformed(name: "QoS 0 PUBLISH with DUP", bytes: [0x38, 0x03, 0x00, 0x01, 0x61]),
        Malformed(name: "PUBLISH packet id 0", bytes: [0x32, 0x05, 0x00, 0x01, 0x61, 0x00, 0x00]),
        Malformed(name: "PUBLISH topic longer than the packet", bytes: [0x30, 0x03, 0x00, 0x09, 0x61]),
        Malformed(name: "PUBLISH topic not UTF-8", bytes: [0x30, 0x04, 0x00, 0x02, 0xc3, 0x28]),
        Malformed(name: "PUBLISH topic with U+0000", bytes: [0x30, 0x03, 0x00, 0x01, 0x00]),
        Malformed(name: "PUBLISH topic with wildcard", bytes: [0x30, 0x03, 0x00, 0x01, 0x23]),
        Malformed(name: "PUBLISH empty topic", bytes: [0x30, 0x02, 0x00, 0x00]),
        Malformed(name: "PUBACK with flags", bytes: [0x42, 0x02, 0x00, 0x01]),
        Malformed(name: "PUBACK trailing byte", bytes: [0x40, 0x03, 0x00, 0x01, 0x00]),
        Malformed(name: "SUBACK bad return code", bytes: [0x90, 0x03, 0x00, 0x01, 0x03]),
        Malformed(name: "SUBACK without return codes", bytes: [0x90, 0x02, 0x00, 0x01]),
        Malformed(name: "SUBSCRIBE without flag 0010", bytes: [0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x01]),
        Malformed(name: "PINGRESP with a body", bytes: [0xd0, 0x01, 0x00]),
        Malformed(name: "DISCONNECT with flags", bytes: [0xe1, 0x00]),
        Malformed(name: "HTTP instead of MQTT", bytes: Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8)),
        Malformed(name: "CONNECT wrong protocol", bytes: [0x10, 0x0c, 0, 4, 0x4d, 0x51, 0x49, 0x73, 4, 2, 0, 0, 0, 0]),
    ]

    @Test("malformed input is a protocol violation", arguments: malformed)
    func malformedInput(input: Malformed) {
        var decoder = MQTTPacketDecoder()
        decoder.append(input.bytes)
        #expect(throws: MQTTError.self) {
            while try decoder.next() != nil {}
        }
        do {
            var again = MQTTPacketDecoder()
            again.append(input.bytes)
            while try again.next() != nil {}
        } catch {
            guard case .protocolViolation = error else {
                Issue.record("expected protocolViolation, got \(error)")
                return
            }
        }
    }

    @Test("an oversized packet other than PUBLISH is refused from its header, before its body arrives")
    func oversized() {
        var decoder = MQTTPacketDecoder(maximumPacketSize: 1 << 20)
        var header: [UInt8] = [0x90]
        try? MQTTRemainingLength.encode(2 << 20, into: &header)
        decoder.append(header)
        #expect(throws: MQTTError.protocolViolation("packet of 2097157 bytes exceeds the 1048576-byte limit")) {
            try decoder.next()
        }
    }

    @Test("a packet exactly at the limit is kept; one byte over, it is skipped")
    func atLimit() throws {
        let packet = MQTTPacket.publish(MQTTPublish(topic: "t", payload: [UInt8](repeating: 1, count: 100)))
        let bytes = try packet.encoded()
        var decoder = MQTTPacketDecoder(maximumPacketSize: bytes.count)
        decoder.append(bytes)
        #expect(try decoder.next() == .packet(packet))
        var tooSmall = MQTTPacketDecoder(maximumPacketSize: bytes.count - 1)
        tooSmall.append(bytes)
        let skipped = MQTTOversizedPublish(topic: "t", qos: .atMostOnce, payloadByteCount: 100, packetByteCount: 105)
        #expect(try tooSmall.next() == .oversizedPublish(skipped))
    }

    /// A small PUBLISH, an oversized QoS 1 PUBLISH (300-byte payload, limit 128), then two small packets.
    static func streamWithOversizedPublish() throws -> ([MQTTDecoded], [UInt8]) {
        let small = MQTTPacket.publish(MQTTPublish(topic: "floorlink/s/c/commands", payload: Array("{}".utf8)))
        let big = MQTTPublish(
            topic: "floorlink/s/c/commands",
            payload: (0..<300).map { UInt8(truncatingIfNeeded: $0) },
            qos: .atLeastOnce,
            retain: true,
            dup: true,
            packetID: 513
        )
        let bigBytes = try MQTTPacket.publish(big).encoded()
        let skipped = MQTTOversizedPublish(
            topic: big.topic,
            qos: .atLeastOnce,
            retain: true,
            dup: true,
            packetID: 513,
            payloadByteCount: 300,
            packetByteCount: bigBytes.count
        )
        let after: [MQTTPacket] = [.pingresp, .puback(packetID: 9)]
        let bytes = try small.encoded() + bigBytes + after.flatMap { try $0.encoded() }
        return ([.packet(small), .oversizedPublish(skipped)] + after.map(MQTTDecoded.packet), bytes)
    }

    @Test("an oversized PUBLISH split at every pair of positions is skipped, reported once, and what follows decodes")
    func oversizedPublishEverySplit() async throws {
        let (expected, bytes) = try Self.streamWithOversizedPublish()
        for first in 0...bytes.count {
            // Some 90,000 decodes (seconds under a sanitizer): each round gives the two-thread cooperative pool back
            // to the tests running beside this one, whose network replies would otherwise wait out their deadlines.
            await Task.yield()
            for second in first...bytes.count {
                var decoder = MQTTPacketDecoder(maximumPacketSize: 128)
                var decoded: [MQTTDecoded] = []
                for chunk in [bytes[..<first], bytes[first..<second], bytes[second...]] {
                    decoder.append(chunk)
                    while let item = try decoder.next() { decoded.append(item) }
                    // Never more than the header and one chunk: the payload is not kept.
                    #expect(decoder.bufferedByteCount <= 128 + chunk.count)
                }
                #expect(decoded == expected, "split at \(first) and \(second)")
                #expect(decoder.bufferedByteCount == 0 && decoder.skippingByteCount == 0)
            }
        }
    }

    @Test("an oversized PUBLISH fed one byte at a time is skipped and reported once")
    func oversizedPublishByteByByte() throws {
        let (expected, bytes) = try Self.streamWithOversizedPublish()
        var decoder = MQTTPacketDecoder(maximumPacketSize: 128)
        var decoded: [MQTTDecoded] = []
        var mostBuffered = 0
        for byte in bytes {
            decoder.append([byte])
            while let item = try decoder.next() { decoded.append(item) }
            mostBuffered = max(mostBuffered, decoder.bufferedByteCount)
        }
        #expect(decoded == expected)
        #expect(mostBuffered < 128)
    }

    @Test("a 64 MiB PUBLISH arriving in 64 KiB reads is dropped as it arrives, never buffered")
    func hugePublishIsNeverBuffered() throws {
        let payloadBytes = 64 << 20
        let topic = Array("floorlink/ams-1/dock-03/commands".utf8)
        var header: [UInt8] = [0x32]
        try MQTTRemainingLength.encode(2 + topic.count + 2 + payloadBytes, into: &header)
        header += [0, UInt8(topic.count)] + topic + [0x01, 0x02]
        var decoder = MQTTPacketDecoder()
        decoder.append(header)
        #expect(try decoder.next() == nil)
        #expect(decoder.skippingByteCount == payloadBytes)
        let chunk = [UInt8](repeating: 0x78, count: 65_536)
        var decoded: [MQTTDecoded] = []
        for _ in 0..<payloadBytes / chunk.count {
            decoder.append(chunk)
            #expect(decoder.bufferedByteCount == 0)
            while let item = try decoder.next() { decoded.append(item) }
        }
        decoder.append(try MQTTPacket.pingresp.encoded())
        while let item = try decoder.next() { decoded.append(item) }
        let skipped = MQTTOversizedPublish(
            topic: "floorlink/ams-1/dock-03/commands",
            qos: .atLeastOnce,
            packetID: 0x0102,
            payloadByteCount: payloadBytes,
            packetByteCount: header.count + payloadBytes
        )
        #expect(decoded == [.oversizedPublish(skipped), .packet(.pingresp)])
    }

    static let malformedOversized: [Malformed] = [
        Malformed(
            name: "topic longer than the packet",
            bytes: [0x30, 0x14, 0x00, 0x40] + Array(repeating: 0x61, count: 18)
        ),
        Malformed(
            name: "topic not UTF-8",
            bytes: [0x30, 0x14, 0x00, 0x02, 0xc3, 0x28] + Array(repeating: 0, count: 16)
        ),
        Malformed(name: "topic with wildcard", bytes: [0x30, 0x14, 0x00, 0x01, 0x23] + Array(repeating: 0, count: 17)),
        Malformed(
            name: "packet id 0",
            bytes: [0x32, 0x14, 0x00, 0x01, 0x61, 0x00, 0x00] + Array(repeating: 0, count: 15)
        ),
        Malformed(name: "QoS 0 with DUP", bytes: [0x38, 0x14, 0x00, 0x01, 0x61] + Array(repeating: 0, count: 17)),
        Malformed(name: "QoS 3", bytes: [0x36, 0x14, 0x00, 0x01, 0x61] + Array(repeating: 0, count: 17)),
        Malformed(name: "SUBACK", bytes: [0x90, 0x14, 0x00, 0x01] + Array(repeating: 0, count: 18)),
    ]

    @Test("an oversized packet with a malformed header is still a protocol violation", arguments: malformedOversized)
    func malformedOversizedInput(input: Malformed) {
        var decoder = MQTTPacketDecoder(maximumPacketSize: 16)
        decoder.append(input.bytes)
        #expect {
            while try decoder.next() != nil {}
        } throws: { error in
            guard case .protocolViolation = error as? MQTTError else { return false }
            return true
        }
    }

    @Test("random bytes never trap: they decode, wait for more, or throw a protocol violation")
    func randomBytes() {
        var generator = SplitMix64(seed: 0x5eed)
        for _ in 0..<5000 {
            let count = Int(generator.next() % 64)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            var decoder = MQTTPacketDecoder(maximumPacketSize: 4096)
            decoder.append(bytes)
            do {
                while try decoder.next() != nil {}
            } catch {
                guard case .protocolViolation = error else {
                    Issue.record("unexpected \(error) for \(bytes)")
                    return
                }
            }
        }
    }
}

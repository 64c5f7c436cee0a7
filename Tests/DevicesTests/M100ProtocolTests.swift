import Devices
import TestSupport
import Testing

// Real frames. Sources (read, not copied):
// - Commands `BB 00 22 00 00 22 7E`, `BB 00 27 00 03 22 27 10 83 7E`, `BB 00 28 00 00 28 7E`,
//   `BB 00 03 00 01 00 04 7E`: command table in RFID_command.h of github.com/Rafaeljff/UHF_RFID_PI (M5Stack UHF
//   unit, a JRD-4035/M100 module); the same vectors appear in several YRM100 driver READMEs.
// - Inventory notice `BB 02 22 00 11 C9 34 00 30 75 …`: the M100 manual's example, reproduced in the
//   comments of an Android U6Series driver and in YRM100 integration notes.
// - Inventory notice `BB 02 22 00 11 C4 30 00 E2 00 …` and error `BB 01 FF 00 01 15 16 7E` ("read error or the
//   card does not exist"): captured traffic quoted in an R200 acquisition driver.
// - Frame format and checksum rule: electron.id, "EL-UHF-RMT01 Protocol".
// All checksums below were re-verified by hand (sum of type…payload, low byte).
enum M100Vectors {
    static let singleInventory = bytes("BB 00 22 00 00 22 7E")
    static let startInventory10000 = bytes("BB 00 27 00 03 22 27 10 83 7E")
    static let stopInventory = bytes("BB 00 28 00 00 28 7E")
    static let moduleInfoHardware = bytes("BB 00 03 00 01 00 04 7E")

    static let noticeC9 = bytes("BB 02 22 00 11 C9 34 00 30 75 1F EB 70 5C 59 04 E3 D5 0D 70 3A 76 EF 7E")
    static let tagC9 = TagObservation(
        epc: bytes("30 75 1F EB 70 5C 59 04 E3 D5 0D 70"),
        pc: 0x3400,
        rssi: -55,
        antenna: 1,
        crc: 0x3A76
    )

    static let noticeC4 = bytes("BB 02 22 00 11 C4 30 00 E2 00 00 1D 73 15 01 65 21 40 8F C6 B8 3E C2 7E")
    static let tagC4 = TagObservation(
        epc: bytes("E2 00 00 1D 73 15 01 65 21 40 8F C6"),
        pc: 0x3000,
        rssi: -60,
        antenna: 1,
        crc: 0xB83E
    )

    static let noTag = bytes("BB 01 FF 00 01 15 16 7E")

    /// A synthetic notice whose EPC and CRC contain 0x7E and 0xBB, the bytes a naive end-marker scan trips on.
    static let trickyTag = TagObservation(
        epc: bytes("7E BB 7E 00 BB 02 7E 7E BB 01 00 7E"),
        pc: 0x3000,
        rssi: -42,
        antenna: 1,
        crc: 0x7EBB
    )
    static let trickyNotice = notice(for: trickyTag)

    static func notice(for tag: TagObservation) -> [UInt8] {
        var payload: [UInt8] = [UInt8(bitPattern: Int8(tag.rssi)), UInt8(tag.pc >> 8), UInt8(tag.pc & 0xFF)]
        payload += tag.epc
        if let crc = tag.crc { payload += [UInt8(crc >> 8), UInt8(crc & 0xFF)] }
        return M100Protocol.frame(type: .notice, command: 0x22, payload: payload)
    }
}

/// A decoded message reduced to what the tests assert: faults by reason and running count.
enum Decoded: Hashable, CustomStringConvertible {
    case tag(TagObservation)
    case response(UInt8, [UInt8])
    case error(UInt8)
    case fault(String, Int)

    init(_ message: RFIDMessage) {
        switch message {
        case .tag(let tag): self = .tag(tag)
        case .response(let command, let payload): self = .response(command, payload)
        case .error(let code, _): self = .error(code)
        case .fault(let fault): self = .fault(fault.reason, fault.count)
        }
    }

    var description: String {
        switch self {
        case .tag(let tag): "tag(\(tag.epc.map { String($0, radix: 16) }.joined(separator: ":")))"
        case .response(let command, let payload): "response(\(command), \(payload.count) bytes)"
        case .error(let code): "error(\(code))"
        case .fault(let reason, let count): "fault(\(reason) #\(count))"
        }
    }
}

private func decodeAll(_ chunks: [ArraySlice<UInt8>]) -> [Decoded] {
    var parser = M100Protocol()
    return chunks.flatMap { parser.decode($0) }.map(Decoded.init)
}

private func decodeAll(_ stream: [UInt8]) -> [Decoded] {
    decodeAll([stream[...]])
}

private let garbage = FrameFault.Reason.garbage
private let badChecksum = FrameFault.Reason.badChecksum
private let badFrame = FrameFault.Reason.badFrame

struct EncodeCase: Sendable, CustomStringConvertible, CustomTestStringConvertible {
    let name: String
    let command: RFIDCommand
    let expected: [UInt8]
    let code: UInt8
    let payload: [UInt8]

    var description: String { name }
    var testDescription: String { name }
}

struct StreamCase: Sendable, CustomStringConvertible, CustomTestStringConvertible {
    let name: String
    let stream: [UInt8]
    let expected: [Decoded]

    var description: String { name }
    var testDescription: String { name }
}

@Suite("M100Protocol")
struct M100ProtocolTests {
    static let encodeCases: [EncodeCase] = [
        .init(
            name: "single inventory",
            command: .singleInventory,
            expected: M100Vectors.singleInventory,
            code: 0x22,
            payload: []
        ),
        .init(
            name: "multi inventory 10000 rounds",
            command: .startInventory(rounds: 10_000),
            expected: M100Vectors.startInventory10000,
            code: 0x27,
            payload: [0x22, 0x27, 0x10]
        ),
        .init(
            name: "multi inventory max rounds",
            command: .startInventory(rounds: .max),
            expected: bytes("BB 00 27 00 03 22 FF FF 4A 7E"),
            code: 0x27,
            payload: [0x22, 0xFF, 0xFF]
        ),
        .init(
            name: "stop inventory",
            command: .stopInventory,
            expected: M100Vectors.stopInventory,
            code: 0x28,
            payload: []
        ),
        .init(
            name: "firmware version",
            command: .getFirmwareVersion,
            expected: M100Vectors.moduleInfoHardware,
            code: 0x03,
            payload: [0x00]
        ),
    ]

    static let streamCases: [StreamCase] = [
        .init(name: "real notice C9", stream: M100Vectors.noticeC9, expected: [.tag(M100Vectors.tagC9)]),
        .init(name: "real notice C4", stream: M100Vectors.noticeC4, expected: [.tag(M100Vectors.tagC4)]),
        .init(name: "no-tag error", stream: M100Vectors.noTag, expected: [.error(0x15)]),
        .init(
            name: "0x7E and 0xBB inside EPC and CRC",
            stream: M100Vectors.trickyNotice,
            expected: [.tag(M100Vectors.trickyTag)]
        ),
        .init(
            name: "noise before, between and after frames",
            stream: bytes("00 7E 13") + M100Vectors.noticeC9 + bytes("7E 7E") + M100Vectors.noticeC4 + bytes("55 AA"),
            expected: [.fault(garbage, 1), .tag(M100Vectors.tagC9), .fault(garbage, 2), .tag(M100Vectors.tagC4)]
        ),
        .init(
            name: "0xBB with an impossible type byte is garbage",
            stream: bytes("BB 09 BB") + M100Vectors.noticeC9,
            expected: [.fault(garbage, 1), .tag(M100Vectors.tagC9)]
        ),
        .init(
            name: "bad checksum then a good frame is recovered",
            stream: corrupt(M100Vectors.noticeC9, at: M100Vectors.noticeC9.count - 2) + M100Vectors.noticeC4,
            expected: [.fault(badChecksum, 1), .tag(M100Vectors.tagC4)]
        ),
        .init(
            name: "corrupted payload byte fails the checksum",
            stream: corrupt(M100Vectors.noticeC4, at: 9) + M100Vectors.noTag,
            expected: [.fault(badChecksum, 1), .error(0x15)]
        ),
        .init(
            name: "bad end byte then a good frame",
            stream: corrupt(M100Vectors.noTag, at: M100Vectors.noTag.count - 1) + M100Vectors.noticeC9,
            expected: [.fault(badFrame, 1), .tag(M100Vectors.tagC9)]
        ),
        .init(
            name: "absurd length then a good frame",
            stream: bytes("BB 01 22 FF FF 01 02") + M100Vectors.noticeC9,
            expected: [.fault(badFrame, 1), .tag(M100Vectors.tagC9)]
        ),
        .init(
            name: "truncated frame followed by a good frame",
            // The cut frame's length field swallows the next frame's start, so its end byte lands on 0x15.
            stream: Array(M100Vectors.noticeC9.prefix(10)) + M100Vectors.noticeC4,
            expected: [.fault(badFrame, 1), .tag(M100Vectors.tagC4)]
        ),
        .init(
            name: "a bad frame hiding a real frame start rescans from the byte after its header",
            stream: bytes("BB 01 10 00 02") + M100Vectors.noTag,
            expected: [.fault(badFrame, 1), .error(0x15)]
        ),
        .init(
            name: "fault counts accumulate per reason",
            stream: corrupt(M100Vectors.noTag, at: 6) + bytes("01") + corrupt(M100Vectors.noTag, at: 6)
                + bytes("02 03") + M100Vectors.noTag,
            expected: [.fault(badChecksum, 1), .fault(badChecksum, 2), .error(0x15)]
        ),
        .init(
            name: "notice payload that does not fit its PC is a bad frame, not a resync",
            stream: M100Protocol.frame(type: .notice, command: 0x22, payload: bytes("C9 34 00 01 02 03"))
                + M100Vectors.noTag,
            expected: [.fault(badFrame, 1), .error(0x15)]
        ),
        .init(
            name: "notice without CRC",
            stream: M100Protocol.frame(type: .notice, command: 0x22, payload: bytes("D0 08 00 AA BB")),
            expected: [.tag(TagObservation(epc: [0xAA, 0xBB], pc: 0x0800, rssi: -48, antenna: 1, crc: nil))]
        ),
        .init(
            name: "notice with zero-length EPC",
            stream: M100Protocol.frame(type: .notice, command: 0x22, payload: bytes("F6 00 00 12 34")),
            expected: [.tag(TagObservation(epc: [], pc: 0, rssi: -10, antenna: 1, crc: 0x1234))]
        ),
        .init(
            name: "error response without a code is a bad frame",
            stream: M100Protocol.frame(type: .response, command: 0xFF, payload: []),
            expected: [.fault(badFrame, 1)]
        ),
        .init(
            name: "other responses and notices pass through with their payload",
            stream: M100Protocol.frame(type: .response, command: 0x03, payload: [0x00] + ascii("M100 26dBm V1.0"))
                + M100Protocol.frame(type: .response, command: 0x28, payload: [0x00])
                + M100Protocol.frame(type: .notice, command: 0x27, payload: [0x01, 0x02]),
            expected: [
                .response(0x03, [0x00] + ascii("M100 26dBm V1.0")), .response(0x28, [0x00]),
                .response(0x27, [0x01, 0x02]),
            ]
        ),
        .init(
            name: "a truncated frame at the end of the stream waits silently",
            stream: M100Vectors.noTag + Array(M100Vectors.noticeC9.prefix(12)),
            expected: [.error(0x15)]
        ),
    ]

    static func corrupt(_ frame: [UInt8], at index: Int) -> [UInt8] {
        var frame = frame
        frame[index] ^= 0x01
        return frame
    }

    @Test("real and synthetic vectors carry correct checksums")
    func vectorsAreSelfConsistent() {
        for frame in [
            M100Vectors.noticeC9, M100Vectors.noticeC4, M100Vectors.noTag, M100Vectors.singleInventory,
            M100Vectors.startInventory10000, M100Vectors.stopInventory, M100Vectors.moduleInfoHardware,
        ] {
            #expect(M100Protocol.checksum(frame.dropFirst().dropLast(2)) == frame[frame.count - 2])
        }
    }

    @Test("encodes commands to the documented bytes", arguments: encodeCases)
    func encodes(_ testCase: EncodeCase) {
        #expect(M100Protocol().encode(testCase.command) == testCase.expected)
    }

    @Test("an encoded command decodes as a frame with the same code and payload", arguments: encodeCases)
    func roundTrip(_ testCase: EncodeCase) {
        var parser = M100Protocol()
        let messages = parser.decode(parser.encode(testCase.command))
        #expect(messages == [.response(command: testCase.code, payload: testCase.payload)])
    }

    @Test("decodes streams", arguments: streamCases)
    func decodes(_ testCase: StreamCase) {
        #expect(decodeAll(testCase.stream) == testCase.expected)
    }

    @Test("decodes identically when split at every byte position", arguments: streamCases)
    func everySplit(_ testCase: StreamCase) {
        for cut in 0...testCase.stream.count {
            #expect(decodeAll(pieces(of: testCase.stream, cutAt: [cut])) == testCase.expected, "cut at \(cut)")
        }
        let oneByteAtATime = testCase.stream.indices.map { testCase.stream[$0...$0] }
        #expect(decodeAll(oneByteAtATime) == testCase.expected, "byte by byte")
    }

    @Test("garbage details name the byte count")
    func garbageDetail() throws {
        var parser = M100Protocol()
        let messages = parser.decode(bytes("01 02 03") + M100Vectors.noTag)
        guard case .fault(let fault) = try #require(messages.first) else {
            Issue.record("expected a garbage fault first, got \(messages)")
            return
        }
        #expect(fault.reason == garbage)
        #expect(fault.detail == "3 bytes between frames")
        #expect(fault.count == 1)
    }

    @Test("a garbage run is reported once, when the next frame starts")
    func trailingGarbageWaitsForNextFrame() {
        var parser = M100Protocol()
        #expect(parser.decode(M100Vectors.noTag + bytes("01 02")).map(Decoded.init) == [.error(0x15)])
        #expect(parser.decode(bytes("03 04")).isEmpty)
        let messages = parser.decode(M100Vectors.noTag)
        #expect(messages.map(Decoded.init) == [.fault(garbage, 1), .error(0x15)])
        if case .fault(let fault) = messages.first { #expect(fault.detail == "4 bytes between frames") }
    }

    @Test("the no-tag error is surfaced as an error, not a fault")
    func noTagIsAnError() {
        var parser = M100Protocol()
        let messages = parser.decode(M100Vectors.noTag)
        #expect(messages.count == 1)
        if case .error(let code, let detail) = messages.first {
            #expect(code == M100Protocol.noTagErrorCode)
            #expect(detail.contains("no tag"))
        } else {
            Issue.record("expected .error, got \(messages)")
        }
    }

    @Test("the antenna label is applied to decoded tags")
    func antennaLabel() {
        var parser = M100Protocol(antenna: 3)
        #expect(
            parser.decode(M100Vectors.noticeC9) == [
                .tag(
                    TagObservation(
                        epc: M100Vectors.tagC9.epc,
                        pc: 0x3400,
                        rssi: -55,
                        antenna: 3,
                        crc: 0x3A76
                    )
                )
            ]
        )
    }

    @Test("reset discards a partial frame")
    func resetDiscardsPartial() {
        var parser = M100Protocol()
        #expect(parser.decode(M100Vectors.noticeC9.prefix(8)).isEmpty)
        #expect(parser.bufferedByteCount == 8)
        parser.reset()
        #expect(parser.bufferedByteCount == 0)
        #expect(parser.decode(M100Vectors.noticeC4).map(Decoded.init) == [.tag(M100Vectors.tagC4)])
    }

    @Test("the buffer never holds more than one partial frame")
    func bufferIsBounded() {
        // Every plausible header claims a 512-byte payload, so the parser must wait, fail, and rescan repeatedly.
        var generator = SplitMix64(seed: 7)
        var parser = M100Protocol()
        let candidate = bytes("BB 01 22 02 00")
        for _ in 0..<200 {
            let noiseLength = Int.random(in: 0..<700, using: &generator)
            let chunk = candidate + (0..<noiseLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = parser.decode(chunk)
            #expect(parser.bufferedByteCount <= 7 + M100Protocol.maxPayloadLength)
        }
        _ = parser.decode(M100Vectors.noTag + M100Vectors.noTag)
        #expect(parser.bufferedByteCount <= 7 + M100Protocol.maxPayloadLength)
    }

    @Test("property: a clean stream split at random points decodes to every frame")
    func randomSplitsOfCleanStream() {
        var generator = SplitMix64(seed: 0xF100_71A4)
        for _ in 0..<40 {
            var stream: [UInt8] = []
            var expected: [Decoded] = []
            var garbageRuns = 0
            for _ in 0..<Int.random(in: 1...30, using: &generator) {
                let noise = (0..<Int.random(in: 0...4, using: &generator)).map { _ in
                    UInt8.random(in: 0...0xBA, using: &generator)  // never 0xBB: noise cannot start a frame
                }
                if !noise.isEmpty {
                    garbageRuns += 1
                    expected.append(.fault(garbage, garbageRuns))
                }
                let tag = TagObservation(
                    epc: (0..<(2 * Int.random(in: 0...8, using: &generator))).map { _ in
                        UInt8.random(in: 0...255, using: &generator)
                    },
                    pc: 0,
                    rssi: Int.random(in: -128...127, using: &generator),
                    antenna: 1,
                    crc: UInt16.random(in: 0...UInt16.max, using: &generator)
                )
                let pc = UInt16(tag.epc.count / 2) << 11
                let observed = TagObservation(epc: tag.epc, pc: pc, rssi: tag.rssi, antenna: 1, crc: tag.crc)
                stream += noise + M100Vectors.notice(for: observed)
                expected.append(.tag(observed))
            }
            #expect(decodeAll(stream) == expected)
            let cuts = randomCuts(
                length: stream.count,
                count: Int.random(in: 1...20, using: &generator),
                using: &generator
            )
            #expect(decodeAll(pieces(of: stream, cutAt: cuts)) == expected, "cuts \(cuts)")
        }
    }

    @Test("property: any damaged stream decodes the same however it is split")
    func randomSplitsOfDamagedStream() {
        var generator = SplitMix64(seed: 0xBAD5_EED5)
        let frames = [
            M100Vectors.noticeC9, M100Vectors.noticeC4, M100Vectors.noTag, M100Vectors.trickyNotice,
            M100Vectors.startInventory10000,
        ]
        for _ in 0..<40 {
            var stream: [UInt8] = []
            for _ in 0..<Int.random(in: 1...25, using: &generator) {
                var frame = frames[Int.random(in: 0..<frames.count, using: &generator)]
                switch Int.random(in: 0..<6, using: &generator) {
                case 0: frame[Int.random(in: 0..<frame.count, using: &generator)] ^= 0x10
                case 1: frame = Array(frame.prefix(Int.random(in: 1..<frame.count, using: &generator)))
                case 2: frame += (0..<3).map { _ in UInt8.random(in: 0...255, using: &generator) }
                default: break
                }
                stream += frame
            }
            let whole = decodeAll(stream)
            for _ in 0..<5 {
                let cuts = randomCuts(
                    length: stream.count,
                    count: Int.random(in: 1...30, using: &generator),
                    using: &generator
                )
                #expect(decodeAll(pieces(of: stream, cutAt: cuts)) == whole, "cuts \(cuts)")
            }
        }
    }

    @Test("the protocol is named for configuration")
    func name() {
        #expect(M100Protocol.name == "m100")
    }
}

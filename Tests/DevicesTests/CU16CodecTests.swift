import Devices
import TestSupport
import Testing

/// CU16 frames worked out by hand from the frame rule (SUM = low byte of the sum of the bytes before it).
enum CU16Vectors {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var wire: [UInt8]
        var frame: CU16Frame
        var description: String { name }
    }

    static let commands: [Case] = [
        Case(name: "status request, board 0", wire: bytes("02 00 00 30 03 35"), frame: .statusRequest(address: 0)),
        Case(
            name: "unlock channel 5 of board 1",
            wire: bytes("02 01 04 31 03 3B"),
            frame: .unlock(address: 1, channel: 5)
        ),
        Case(
            name: "unlock channel 16 of board 15",
            wire: bytes("02 0F 0F 31 03 54"),
            frame: .unlock(address: 15, channel: 16)
        ),
    ]

    static let replies: [Case] = [
        Case(
            name: "board 1: lock 1, sensors 5 and 16",
            wire: bytes("02 01 35 01 00 10 80 03 CC"),
            frame: .status(CU16Status(address: 1, lockBits: 0x0001, sensorBits: 0x8010))
        ),
        Case(
            name: "board 31: every bit set (the sum wraps)",
            wire: bytes("02 1F 35 FF FF FF FF 03 55"),
            frame: .status(CU16Status(address: 31, lockBits: 0xFFFF, sensorBits: 0xFFFF))
        ),
        Case(
            name: "board 0: nothing set",
            wire: bytes("02 00 35 00 00 00 00 03 3A"),
            frame: .status(CU16Status(address: 0, lockBits: 0, sensorBits: 0))
        ),
        Case(
            name: "an unlock echo from board 2",
            wire: bytes("02 02 00 31 03 38"),
            frame: .unlock(address: 2, channel: 1)
        ),
    ]
}

/// A decoder output reduced to what the tests assert.
private enum CU16Decoded: Hashable, CustomStringConvertible {
    case frame(CU16Frame)
    case fault(String, Int)

    init(_ output: CU16Decoder.Output) {
        switch output {
        case .frame(let frame): self = .frame(frame)
        case .fault(let fault): self = .fault(fault.reason, fault.count)
        }
    }

    var description: String {
        switch self {
        case .frame(let frame): "\(frame)"
        case .fault(let reason, let count): "fault(\(reason) #\(count))"
        }
    }
}

private func decodeAll(_ stream: [UInt8], direction: CU16Decoder.Direction, cuts: [Int] = []) -> [CU16Decoded] {
    var decoder = CU16Decoder(direction: direction)
    return pieces(of: stream, cutAt: cuts).flatMap { decoder.decode($0) }.map(CU16Decoded.init)
}

@Suite("CU16 codec")
struct CU16CodecTests {
    @Test("host commands encode to the known frames and decode back", arguments: CU16Vectors.commands)
    func commands(_ vector: CU16Vectors.Case) {
        #expect(vector.frame.bytes == vector.wire, "\(vector)")
        #expect(decodeAll(vector.wire, direction: .fromHost) == [.frame(vector.frame)], "\(vector)")
    }

    @Test("board replies encode to the known frames and decode back", arguments: CU16Vectors.replies)
    func replies(_ vector: CU16Vectors.Case) {
        #expect(vector.frame.bytes == vector.wire, "\(vector)")
        #expect(decodeAll(vector.wire, direction: .fromBoards) == [.frame(vector.frame)], "\(vector)")
    }

    @Test("channel 1 is bit 0: the status bits map to channels as the protocol documents")
    func channelBits() throws {
        var decoder = CU16Decoder(direction: .fromBoards)
        let outputs = decoder.decode(bytes("02 01 35 01 00 10 80 03 CC"))
        guard case .frame(.status(let status)) = try #require(outputs.first) else {
            Issue.record("expected a status frame, got \(outputs)")
            return
        }
        let locks = (1...16).filter { status.lockBits & (1 << ($0 - 1)) != 0 }
        let sensors = (1...16).filter { status.sensorBits & (1 << ($0 - 1)) != 0 }
        #expect(locks == [1])
        #expect(sensors == [5, 16])
    }

    @Test("a stream of replies split at every point decodes the same as whole")
    func everySplit() {
        let stream = CU16Vectors.replies.flatMap(\.wire)
        let whole = decodeAll(stream, direction: .fromBoards)
        #expect(whole == CU16Vectors.replies.map { .frame($0.frame) })
        for cut in 1..<stream.count {
            #expect(decodeAll(stream, direction: .fromBoards, cuts: [cut]) == whole, "cut at \(cut)")
        }
        var random = SplitMix64(seed: 16)
        for _ in 0..<200 {
            let cuts = randomCuts(length: stream.count, count: 4, using: &random)
            #expect(decodeAll(stream, direction: .fromBoards, cuts: cuts) == whole, "cuts at \(cuts)")
        }
        let oneByOne = Array(1..<stream.count)
        #expect(decodeAll(stream, direction: .fromBoards, cuts: oneByOne) == whole, "one byte at a time")
    }

    struct BadInput: Sendable, CustomStringConvertible {
        var name: String
        var stream: [UInt8]
        var expected: [String]
        var detail: String
        var description: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(
            name: "a wrong SUM",
            stream: bytes("02 01 35 01 00 10 80 03 CD"),
            expected: ["bad-checksum"],
            detail: "SUM 0xCD, expected 0xCC in a frame from board 1"
        ),
        BadInput(
            name: "no ETX where the length puts it",
            stream: bytes("02 01 35 01 00 10 80 04 CD"),
            expected: ["bad-frame"],
            detail: "no ETX at byte 8 of a 9-byte frame from board 1"
        ),
        BadInput(
            name: "bytes before the STX",
            stream: bytes("FF 00 7E") + bytes("02 00 35 00 00 00 00 03 3A"),
            expected: ["bad-frame", "status"],
            detail: "3 bytes outside any frame"
        ),
        BadInput(
            name: "a command frame with a wrong SUM",
            stream: bytes("02 01 04 31 03 3C"),
            expected: ["bad-checksum"],
            detail: "SUM 0x3C, expected 0x3B in a frame from board 1"
        ),
    ]

    @Test("every kind of damage is a clear fault, and the next good frame still decodes", arguments: badInputs)
    func damage(_ input: BadInput) throws {
        var decoder = CU16Decoder(direction: .fromBoards)
        let good = bytes("02 01 35 01 00 10 80 03 CC")
        let outputs = decoder.decode(input.stream + good)
        let kinds = outputs.map { output -> String in
            switch output {
            case .frame(.status): return "status"
            case .frame: return "command"
            case .fault(let fault): return fault.reason
            }
        }
        #expect(kinds == input.expected + ["status"], "\(input)")
        guard case .fault(let fault) = try #require(outputs.first) else { return }
        #expect(fault.detail == input.detail, "\(input)")
        #expect(decoder.bufferedByteCount == 0, "nothing left over after \(input)")
    }

    @Test("a partial frame is held, not reported, until its rest arrives")
    func partial() {
        var decoder = CU16Decoder(direction: .fromBoards)
        #expect(decoder.decode(bytes("02 01 35 01")).isEmpty)
        #expect(decoder.bufferedByteCount == 4)
        decoder.reset()
        #expect(decoder.bufferedByteCount == 0)
        #expect(decoder.decode(bytes("02 00 35 00 00 00 00 03 3A")).count == 1)
    }

    @Test("faults carry running counts per reason")
    func counts() {
        var decoder = CU16Decoder(direction: .fromBoards)
        let bad = bytes("02 01 35 01 00 10 80 03 CD")
        let outputs = decoder.decode(bad + bad + bytes("02 00 35 00 00 00 00 03 3A") + bad)
        let faults = outputs.compactMap { output -> Int? in
            if case .fault(let fault) = output { return fault.count }
            return nil
        }
        #expect(faults == [1, 2, 3])
    }
}

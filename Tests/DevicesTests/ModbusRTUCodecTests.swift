import Devices
import TestSupport
import Testing

// Known-good frames. The CRC rule and its examples are from the Modbus over Serial Line specification V1.02
// (section 6.2.2 and appendix B: the frame `02 07` has the CRC 0x1241, sent `41 12`) and the CRC catalogue's check
// value (CRC-16/MODBUS of "123456789" = 0x4B37). `01 05 00 00 FF 00 8C 3A` (coil 0 on) and `01 04 00 00 00 01 31 CA`
// are the frames quoted in most Modbus RTU tutorials and relay-board manuals; the rest were computed with an
// independent bit-by-bit CRC (Python) and agree with the table-driven one here.
enum ModbusVectors {
    struct Request: Sendable, CustomStringConvertible {
        var name: String
        var wire: [UInt8]
        var request: ModbusRequest
        var description: String { name }
    }

    struct Response: Sendable, CustomStringConvertible {
        var name: String
        var wire: [UInt8]
        var response: ModbusResponse
        var description: String { name }
    }

    static var requests: [Request] {
        [
            Request(
                name: "05 coil 0 on",
                wire: bytes("01 05 00 00 FF 00 8C 3A"),
                request: ModbusRequest(unit: 1, .writeSingleCoil(address: 0, on: true))
            ),
            Request(
                name: "05 coil 4 on, unit 10",
                wire: bytes("0A 05 00 04 FF 00 CC 80"),
                request: ModbusRequest(unit: 10, .writeSingleCoil(address: 4, on: true))
            ),
            Request(
                name: "04 one input register",
                wire: bytes("01 04 00 00 00 01 31 CA"),
                request: ModbusRequest(unit: 1, .readInputRegisters(start: 0, count: 1))
            ),
            Request(
                name: "02 sixteen discrete inputs",
                wire: bytes("01 02 00 00 00 10 79 C6"),
                request: ModbusRequest(unit: 1, .readDiscreteInputs(start: 0, count: 16))
            ),
            Request(
                name: "01 sixteen coils",
                wire: bytes("01 01 00 00 00 10 3D C6"),
                request: ModbusRequest(unit: 1, .readCoils(start: 0, count: 16))
            ),
            Request(
                name: "0F the spec's example: ten coils from 20 (0x13), CD 01",
                wire: bytes("0A 0F 00 13 00 0A 02 CD 01 01 FB"),
                request: ModbusRequest(
                    unit: 10,
                    .writeMultipleCoils(
                        start: 0x13,
                        values: [true, false, true, true, false, false, true, true, true, false]
                    )
                )
            ),
        ]
    }

    static var responses: [Response] {
        [
            Response(
                name: "05 echo",
                wire: bytes("01 05 00 00 FF 00 8C 3A"),
                response: ModbusResponse(unit: 1, .wroteSingleCoil(address: 0, value: 0xFF00))
            ),
            Response(
                name: "02 two bytes of inputs",
                wire: bytes("01 02 02 05 00 BA E8"),
                response: ModbusResponse(unit: 1, .bits(function: 2, bytes: [0x05, 0x00]))
            ),
            Response(
                name: "04 one register",
                wire: bytes("01 04 02 00 05 79 33"),
                response: ModbusResponse(unit: 1, .registers(function: 4, values: [0x0005]))
            ),
            Response(
                name: "0F acknowledgement",
                wire: bytes("0A 0F 00 13 00 0A 25 72"),
                response: ModbusResponse(unit: 10, .wroteMultipleCoils(start: 0x13, count: 10))
            ),
            Response(
                name: "exception 02 to function 02",
                wire: bytes("01 82 02 C1 61"),
                response: ModbusResponse(unit: 1, .exception(function: 2, code: 2))
            ),
            Response(
                name: "exception 02 to function 01, unit 10",
                wire: bytes("0A 81 02 B0 53"),
                response: ModbusResponse(unit: 10, .exception(function: 1, code: 2))
            ),
        ]
    }
}

private func decodeAll(
    _ stream: [UInt8],
    direction: ModbusRTUDecoder.Direction,
    cuts: [Int] = []
) -> [ModbusRTUDecoder.Output] {
    var decoder = ModbusRTUDecoder(direction: direction)
    return pieces(of: stream, cutAt: cuts).flatMap { decoder.decode($0) }
}

@Suite("Modbus RTU codec")
struct ModbusRTUCodecTests {
    @Test("CRC-16/MODBUS: the catalogue check value and the specification's example")
    func crcExamples() {
        #expect(ModbusCRC.checksum(Array("123456789".utf8)) == 0x4B37)
        #expect(ModbusCRC.checksum([0x02, 0x07]) == 0x1241)
        #expect(ModbusCRC.appended(to: [0x02, 0x07]) == bytes("02 07 41 12"))
    }

    @Test("requests encode to the known frames and decode back", arguments: ModbusVectors.requests)
    func requests(_ vector: ModbusVectors.Request) {
        #expect(vector.request.bytes == vector.wire, "\(vector)")
        #expect(decodeAll(vector.wire, direction: .fromMaster) == [.request(vector.request)], "\(vector)")
    }

    @Test("responses encode to the known frames and decode back", arguments: ModbusVectors.responses)
    func responses(_ vector: ModbusVectors.Response) {
        #expect(vector.response.bytes == vector.wire, "\(vector)")
        #expect(decodeAll(vector.wire, direction: .fromUnits) == [.response(vector.response)], "\(vector)")
    }

    @Test("bits pack eight to a byte, first bit lowest", arguments: [1, 8, 9, 16, 17])
    func bitPacking(count: Int) {
        let values = (0..<count).map { $0 % 3 == 0 }
        let packed = ModbusBits.pack(values)
        #expect(packed.count == (count + 7) / 8)
        #expect(ModbusBits.unpack(packed, count: count) == values)
        #expect(ModbusBits.pack([true, false, true]) == [0x05])
    }

    @Test("a stream of responses split at every point decodes the same as whole")
    func everySplit() {
        let stream = ModbusVectors.responses.flatMap(\.wire)
        let whole = decodeAll(stream, direction: .fromUnits)
        #expect(whole == ModbusVectors.responses.map { .response($0.response) })
        for cut in 1..<stream.count {
            #expect(decodeAll(stream, direction: .fromUnits, cuts: [cut]) == whole, "cut at \(cut)")
        }
        var random = SplitMix64(seed: 485)
        for _ in 0..<200 {
            let cuts = randomCuts(length: stream.count, count: 4, using: &random)
            #expect(decodeAll(stream, direction: .fromUnits, cuts: cuts) == whole, "cuts at \(cuts)")
        }
        let requests = ModbusVectors.requests.flatMap(\.wire)
        let wholeRequests = decodeAll(requests, direction: .fromMaster)
        for cut in 1..<requests.count {
            #expect(decodeAll(requests, direction: .fromMaster, cuts: [cut]) == wholeRequests, "cut at \(cut)")
        }
    }

    struct BadInput: Sendable, CustomStringConvertible {
        var name: String
        var stream: [UInt8]
        var direction: ModbusRTUDecoder.Direction
        var reason: String
        var detail: String
        var description: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(
            name: "a flipped CRC byte",
            stream: bytes("01 02 02 05 00 BA E9"),
            direction: .fromUnits,
            reason: "bad-checksum",
            detail: "CRC e9ba, expected e8ba in a 7-byte frame for unit 1 function 2"
        ),
        BadInput(
            name: "a function no lock board answers",
            stream: bytes("01 2B 00"),
            direction: .fromUnits,
            reason: "bad-frame",
            detail: "function 43 is not one a lock board answers"
        ),
        BadInput(
            name: "a byte count beyond 250",
            stream: bytes("01 02 FB"),
            direction: .fromUnits,
            reason: "bad-frame",
            detail: "byte count 251 in a function 2 response, at most 250"
        ),
        BadInput(
            name: "an odd byte count in a register response",
            stream: ModbusCRC.appended(to: bytes("01 04 01 05")),
            direction: .fromUnits,
            reason: "bad-frame",
            detail: "odd byte count 1 in a register response"
        ),
        BadInput(
            name: "a coil value other than FF00 or 0000",
            stream: ModbusCRC.appended(to: bytes("01 05 00 00 12 34")),
            direction: .fromMaster,
            reason: "bad-frame",
            detail: "coil value 1234, expected ff00 or 0000"
        ),
        BadInput(
            name: "write-multiple-coils whose byte count does not fit its coil count",
            stream: ModbusCRC.appended(to: bytes("01 0F 00 00 00 10 01 FF")),
            direction: .fromMaster,
            reason: "bad-frame",
            detail: "16 coils in 1 bytes, expected 1...1968 coils, 8 a byte"
        ),
        BadInput(
            name: "a function no lock board is asked",
            stream: bytes("01 10 00"),
            direction: .fromMaster,
            reason: "bad-frame",
            detail: "function 16 is not one a lock board is asked"
        ),
    ]

    @Test("every kind of damage is one clear fault; after a reset the next good frame decodes", arguments: badInputs)
    func damage(_ input: BadInput) throws {
        var decoder = ModbusRTUDecoder(direction: input.direction)
        // RTU frames have no start marker: after damage the decoder cannot always find the next frame in the same
        // stream, which is why the bus starts every transaction with a reset decoder.
        let outputs = decoder.decode(input.stream)
        let faults = outputs.compactMap { output -> FrameFault? in
            if case .fault(let fault) = output { return fault }
            return nil
        }
        #expect(faults.count == 1 && outputs.count == 1, "one fault for \(input), got \(outputs)")
        let fault = try #require(faults.first)
        #expect(fault.reason == input.reason, "\(input)")
        #expect(fault.detail == input.detail, "\(input)")
        decoder.reset()
        #expect(decoder.bufferedByteCount == 0)
        let good: [UInt8] =
            input.direction == .fromUnits ? bytes("01 04 02 00 05 79 33") : bytes("01 05 00 00 FF 00 8C 3A")
        let after = decoder.decode(good)
        #expect(after.count == 1 && after.allSatisfy { if case .fault = $0 { false } else { true } }, "\(after)")
    }

    @Test("a burst of noise is one fault, not one per byte")
    func noiseIsOneFault() {
        var decoder = ModbusRTUDecoder(direction: .fromUnits)
        let outputs = decoder.decode(bytes("01 2B 2B 2B 2B 2B 2B 2B 2B 2B 2B"))
        #expect(outputs.count == 1, "\(outputs)")
    }

    @Test(
        "exception codes have their standard names",
        arguments: [(1, "illegal function"), (2, "illegal data address")]
    )
    func exceptionNames(code: Int, name: String) {
        #expect(ModbusResponse.exceptionName(UInt8(code)) == name)
    }
}

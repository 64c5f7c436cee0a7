import Events

/// Cuts a Modbus RTU byte stream into frames, with no I/O: bytes may arrive split anywhere and decode the same.
///
/// RTU marks frames only by silence on the line, which a host behind a USB adapter cannot see reliably, so a frame
/// is cut by its length, known from its function code (and byte count), and checked by its CRC. A candidate that
/// fails is reported once as a fault (`bad-frame`, `bad-checksum`) and the decoder rescans from the next byte;
/// further failures are not reported until a frame decodes again, so one burst of noise is one fault.
public struct ModbusRTUDecoder: Sendable {
    /// Which side's frames the stream carries.
    public enum Direction: Sendable {
        /// The master (the host) reads what units answer.
        case fromUnits
        /// A unit (or a simulator) reads what the master asks.
        case fromMaster
    }

    /// A decoded unit of the stream.
    public enum Output: Hashable, Sendable {
        /// A whole, checked request (direction `fromMaster`).
        case request(ModbusRequest)
        /// A whole, checked response (direction `fromUnits`).
        case response(ModbusResponse)
        /// Damage in the stream; the decoder has resynchronised.
        case fault(FrameFault)
    }

    /// The most data bytes a read response carries: 2,000 bits or 125 registers.
    public static let maxReadByteCount = 250
    /// The most coils one write-multiple-coils request may carry.
    public static let maxWriteCoils = 1968

    /// The direction this decoder reads.
    public let direction: Direction
    private var buffer: [UInt8] = []
    private var resynchronising = false
    private var faults = FaultTally()

    /// A decoder in its idle state, reading frames of `direction`.
    public init(direction: Direction) {
        self.direction = direction
    }

    /// Bytes held waiting for the rest of a frame.
    public var bufferedByteCount: Int { buffer.count }

    /// Feeds received bytes; returns the frames and faults they complete, in stream order.
    public mutating func decode(_ bytes: some Collection<UInt8>) -> [Output] {
        buffer.append(contentsOf: bytes)
        var outputs: [Output] = []
        var index = 0
        scan: while index < buffer.count {
            let length: Int
            switch frameLength(at: index) {
            case .needMore:
                break scan
            case .invalid(let detail):
                reject(FrameFault.Reason.badFrame, detail, into: &outputs)
                index += 1
                continue scan
            case .length(let value):
                length = value
            }
            guard buffer.count - index >= length else { break }
            let frame = buffer[index..<(index + length)]
            let expected = ModbusCRC.checksum(frame.dropLast(2))
            let received = UInt16(frame[frame.endIndex - 2]) | UInt16(frame[frame.endIndex - 1]) << 8
            guard expected == received else {
                let detail =
                    "CRC \(Hex.padded(received)), expected \(Hex.padded(expected)) in a \(length)-byte frame "
                    + "for unit \(frame[frame.startIndex]) function \(frame[frame.startIndex + 1])"
                reject(FrameFault.Reason.badChecksum, detail, into: &outputs)
                index += 1
                continue
            }
            index += length
            switch parse(Array(frame.dropLast(2))) {
            case .success(let output):
                outputs.append(output)
                resynchronising = false
            case .failure(let problem):
                // A whole frame with a good CRC but an impossible content: dropped whole, reported even mid-noise.
                resynchronising = false
                reject(FrameFault.Reason.badFrame, problem.detail, into: &outputs)
                resynchronising = false
            }
        }
        buffer.removeFirst(index)
        return outputs
    }

    /// Drops a partial frame (a new transaction starts); fault counts are kept.
    public mutating func reset() {
        buffer.removeAll()
        resynchronising = false
    }

    private enum Length {
        case needMore
        case invalid(String)
        case length(Int)
    }

    private struct Problem: Error {
        var detail: String
    }

    /// The length of the frame starting at `index`, from its function code and byte count.
    private func frameLength(at index: Int) -> Length {
        guard buffer.count - index >= 2 else { return .needMore }
        let function = buffer[index + 1]
        switch direction {
        case .fromUnits:
            if function & ModbusFunction.exceptionFlag != 0 { return .length(5) }
            switch function {
            case ModbusFunction.readCoils, ModbusFunction.readDiscreteInputs, 0x03, ModbusFunction.readInputRegisters:
                guard buffer.count - index >= 3 else { return .needMore }
                let count = Int(buffer[index + 2])
                guard count <= Self.maxReadByteCount else {
                    return .invalid("byte count \(count) in a function \(function) response, at most 250")
                }
                return .length(3 + count + 2)
            case ModbusFunction.writeSingleCoil, ModbusFunction.writeMultipleCoils:
                return .length(8)
            default:
                return .invalid("function \(function) is not one a lock board answers")
            }
        case .fromMaster:
            switch function {
            case ModbusFunction.readCoils, ModbusFunction.readDiscreteInputs, ModbusFunction.readInputRegisters,
                ModbusFunction.writeSingleCoil:
                return .length(8)
            case ModbusFunction.writeMultipleCoils:
                guard buffer.count - index >= 7 else { return .needMore }
                return .length(7 + Int(buffer[index + 6]) + 2)
            default:
                return .invalid("function \(function) is not one a lock board is asked")
            }
        }
    }

    /// The frame without its CRC, as a value.
    private func parse(_ frame: [UInt8]) -> Result<Output, Problem> {
        let unit = frame[0]
        let function = frame[1]
        let word = { (offset: Int) in UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1]) }
        switch direction {
        case .fromUnits:
            if function & ModbusFunction.exceptionFlag != 0 {
                let payload = ModbusResponse.Payload.exception(
                    function: function & ~ModbusFunction.exceptionFlag,
                    code: frame[2]
                )
                return .success(.response(ModbusResponse(unit: unit, payload)))
            }
            switch function {
            case ModbusFunction.readCoils, ModbusFunction.readDiscreteInputs:
                return .success(
                    .response(ModbusResponse(unit: unit, .bits(function: function, bytes: Array(frame[3...]))))
                )
            case ModbusFunction.writeSingleCoil:
                return .success(
                    .response(ModbusResponse(unit: unit, .wroteSingleCoil(address: word(2), value: word(4))))
                )
            case ModbusFunction.writeMultipleCoils:
                return .success(
                    .response(ModbusResponse(unit: unit, .wroteMultipleCoils(start: word(2), count: word(4))))
                )
            default:
                guard frame[2] % 2 == 0 else {
                    return .failure(Problem(detail: "odd byte count \(frame[2]) in a register response"))
                }
                let values = stride(from: 3, to: frame.count, by: 2).map { word($0) }
                return .success(.response(ModbusResponse(unit: unit, .registers(function: function, values: values))))
            }
        case .fromMaster:
            let start = word(2)
            switch function {
            case ModbusFunction.readCoils:
                return .success(.request(ModbusRequest(unit: unit, .readCoils(start: start, count: word(4)))))
            case ModbusFunction.readDiscreteInputs:
                return .success(.request(ModbusRequest(unit: unit, .readDiscreteInputs(start: start, count: word(4)))))
            case ModbusFunction.readInputRegisters:
                return .success(.request(ModbusRequest(unit: unit, .readInputRegisters(start: start, count: word(4)))))
            case ModbusFunction.writeSingleCoil:
                switch word(4) {
                case 0xFF00:
                    return .success(.request(ModbusRequest(unit: unit, .writeSingleCoil(address: start, on: true))))
                case 0x0000:
                    return .success(.request(ModbusRequest(unit: unit, .writeSingleCoil(address: start, on: false))))
                default:
                    return .failure(Problem(detail: "coil value \(Hex.padded(word(4))), expected ff00 or 0000"))
                }
            default:
                let count = Int(word(4))
                let byteCount = Int(frame[6])
                guard (1...Self.maxWriteCoils).contains(count), byteCount == (count + 7) / 8 else {
                    return .failure(
                        Problem(detail: "\(count) coils in \(byteCount) bytes, expected 1...1968 coils, 8 a byte")
                    )
                }
                let values = ModbusBits.unpack(Array(frame[7...]), count: count)
                return .success(.request(ModbusRequest(unit: unit, .writeMultipleCoils(start: start, values: values))))
            }
        }
    }

    private mutating func reject(_ reason: String, _ detail: String, into outputs: inout [Output]) {
        if !resynchronising { outputs.append(.fault(faults.record(reason, detail))) }
        resynchronising = true
    }
}

import HAL

/// Modbus RTU relay/input boards behind `LockBoardProtocol`: locks are coils the host switches on for the pulse and
/// off at its end (write single coil 05 or multiple coils 0F), door sensors are discrete inputs (02) or input
/// registers (04, sixteen channels a register, channel 1 in bit 0 of the first). The coil and input map comes
/// from the board's profile.
public struct ModbusBoardProtocol: LockBoardProtocol {
    /// How the board is told to switch a lock.
    public enum LockWrite: String, Sendable {
        /// Function 05, one coil.
        case singleCoil = "single-coil"
        /// Function 0F with one coil: for boards that accept only multiple-coil writes.
        case multipleCoils = "multiple-coils"
    }

    /// How the board reports its door sensors.
    public enum SensorRead: String, Sendable {
        /// Function 02, one discrete input per channel.
        case discreteInputs = "discrete-inputs"
        /// Function 04, sixteen channels per input register, channel 1 in bit 0.
        case inputRegisters = "input-registers"
    }

    public let name = "modbus-rtu"
    public let channelCount: Int
    /// Unit addresses 1…247 (0 is broadcast, which no board answers).
    public let addresses = 1...247
    public let sensorOpenWhenSet: Bool
    public let lockReleasedWhenSet: Bool
    public let boardPulse: Duration? = nil
    /// The coil of channel 1; channel N is `firstCoil + N - 1`.
    public let firstCoil: UInt16
    /// The discrete input (or input register) of channel 1.
    public let firstInput: UInt16
    public let lockWrite: LockWrite
    public let sensorRead: SensorRead

    /// A Modbus board as its profile describes it.
    public init(
        channelCount: Int = 16,
        firstCoil: UInt16 = 0,
        firstInput: UInt16 = 0,
        lockWrite: LockWrite = .singleCoil,
        sensorRead: SensorRead = .discreteInputs,
        sensorOpenWhenSet: Bool = true,
        lockReleasedWhenSet: Bool = true
    ) {
        self.channelCount = max(1, channelCount)
        self.firstCoil = firstCoil
        self.firstInput = firstInput
        self.lockWrite = lockWrite
        self.sensorRead = sensorRead
        self.sensorOpenWhenSet = sensorOpenWhenSet
        self.lockReleasedWhenSet = lockReleasedWhenSet
    }

    private var registerCount: UInt16 { UInt16((channelCount + 15) / 16) }

    public func statusRequest(address: UInt8) -> BoardRequest {
        let operation: ModbusRequest.Operation =
            switch sensorRead {
            case .discreteInputs: .readDiscreteInputs(start: firstInput, count: UInt16(channelCount))
            case .inputRegisters: .readInputRegisters(start: firstInput, count: registerCount)
            }
        return BoardRequest(
            address: address,
            purpose: .status,
            bytes: ModbusRequest(unit: address, operation).bytes,
            expectsReply: true
        )
    }

    public func lockBitsRequest(address: UInt8) -> BoardRequest? {
        BoardRequest(
            address: address,
            purpose: .lockBits,
            bytes: ModbusRequest(unit: address, .readCoils(start: firstCoil, count: UInt16(channelCount))).bytes,
            expectsReply: true
        )
    }

    public func lockRequest(address: UInt8, channel: Int, energised: Bool) -> BoardRequest? {
        let coil = firstCoil &+ UInt16(truncatingIfNeeded: channel - 1)
        // The coil that releases the lock is driven to the level the board reads as "released".
        let level = energised == lockReleasedWhenSet
        let operation: ModbusRequest.Operation =
            switch lockWrite {
            case .singleCoil: .writeSingleCoil(address: coil, on: level)
            case .multipleCoils: .writeMultipleCoils(start: coil, values: [level])
            }
        return BoardRequest(
            address: address,
            purpose: .lock(channel: channel, energised: energised),
            bytes: ModbusRequest(unit: address, operation).bytes,
            expectsReply: true
        )
    }

    public func interpret(_ received: [UInt8], for request: BoardRequest) -> BoardReplyOutcome? {
        var decoder = ModbusRTUDecoder(direction: .fromUnits)
        guard let first = decoder.decode(received).first else { return nil }
        let response: ModbusResponse
        switch first {
        case .fault(let fault):
            return .fault(BoardFault(reason: fault.reason, detail: fault.detail))
        case .request:
            return .fault(BoardFault(reason: BoardFault.Reason.badFrame, detail: "a request where a reply belongs"))
        case .response(let decoded):
            response = decoded
        }
        let function = request.bytes.count > 1 ? request.bytes[1] : 0
        guard response.unit == request.address else {
            return bad("an answer from unit \(response.unit) to the \(request)")
        }
        if case .exception(let asked, let code) = response.payload {
            return .fault(
                BoardFault(
                    reason: BoardFault.Reason.exception,
                    detail: "exception \(code) (\(ModbusResponse.exceptionName(code))) to function \(asked) in the "
                        + "\(request)",
                    code: code
                )
            )
        }
        guard response.function == function else {
            return bad("function \(response.function) answers the \(request) (function \(function))")
        }
        switch (response.payload, request.purpose) {
        case (.bits(_, let bytes), .status):
            guard bytes.count >= (channelCount + 7) / 8 else {
                return bad("\(bytes.count) bytes of inputs, expected \((channelCount + 7) / 8)")
            }
            return .reply(
                .status(
                    BoardStatus(
                        address: request.address,
                        lockBits: nil,
                        sensorBits: ModbusBits.unpack(bytes, count: channelCount)
                    )
                )
            )
        case (.registers(_, let values), .status):
            guard values.count >= Int(registerCount) else {
                return bad("\(values.count) input registers, expected \(registerCount)")
            }
            let bits = (0..<channelCount).map { values[$0 / 16] & (1 << UInt16($0 % 16)) != 0 }
            return .reply(.status(BoardStatus(address: request.address, lockBits: nil, sensorBits: bits)))
        case (.bits(_, let bytes), .lockBits):
            guard bytes.count >= (channelCount + 7) / 8 else {
                return bad("\(bytes.count) bytes of coils, expected \((channelCount + 7) / 8)")
            }
            return .reply(.lockBits(ModbusBits.unpack(bytes, count: channelCount)))
        case (.wroteSingleCoil, .lock), (.wroteMultipleCoils, .lock):
            // The echo must repeat what was written: unit, function and the coil fields.
            guard response.bytes.prefix(6) == request.bytes.prefix(6) else {
                return bad("the echo \(response) does not repeat the \(request)")
            }
            return .reply(.acknowledged)
        default:
            return bad("\(response) does not answer the \(request)")
        }
    }

    private func bad(_ detail: String) -> BoardReplyOutcome {
        .fault(BoardFault(reason: BoardFault.Reason.badFrame, detail: detail))
    }
}

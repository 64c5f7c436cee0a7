import Events

/// Modbus function codes a lock-controller board uses (Modbus Application Protocol V1.1b3, section 6).
public enum ModbusFunction {
    /// Read coils: the relay outputs that drive the locks.
    public static let readCoils: UInt8 = 0x01
    /// Read discrete inputs: door sensors, one bit each.
    public static let readDiscreteInputs: UInt8 = 0x02
    /// Read input registers: door sensors on boards that report them in registers.
    public static let readInputRegisters: UInt8 = 0x04
    /// Write single coil: one lock on (0xFF00) or off (0x0000).
    public static let writeSingleCoil: UInt8 = 0x05
    /// Write multiple coils: several locks at once.
    public static let writeMultipleCoils: UInt8 = 0x0F
    /// Set on the function code of an exception response.
    public static let exceptionFlag: UInt8 = 0x80
}

/// A request from the Modbus master (the host) to one unit, as a value: what it asks, not its bytes.
public struct ModbusRequest: Hashable, Sendable, CustomStringConvertible {
    /// What a request asks for.
    public enum Operation: Hashable, Sendable {
        /// Function 01: `count` coils from `start`.
        case readCoils(start: UInt16, count: UInt16)
        /// Function 02: `count` discrete inputs from `start`.
        case readDiscreteInputs(start: UInt16, count: UInt16)
        /// Function 04: `count` input registers from `start`.
        case readInputRegisters(start: UInt16, count: UInt16)
        /// Function 05: one coil on or off.
        case writeSingleCoil(address: UInt16, on: Bool)
        /// Function 0F: `values.count` coils from `start`.
        case writeMultipleCoils(start: UInt16, values: [Bool])
    }

    /// The unit (slave) address, 1…247 on a bus (0 is broadcast).
    public var unit: UInt8
    /// What is asked.
    public var operation: Operation

    /// Describes a request to `unit`.
    public init(unit: UInt8, _ operation: Operation) {
        self.unit = unit
        self.operation = operation
    }

    /// The request's function code.
    public var function: UInt8 {
        switch operation {
        case .readCoils: return ModbusFunction.readCoils
        case .readDiscreteInputs: return ModbusFunction.readDiscreteInputs
        case .readInputRegisters: return ModbusFunction.readInputRegisters
        case .writeSingleCoil: return ModbusFunction.writeSingleCoil
        case .writeMultipleCoils: return ModbusFunction.writeMultipleCoils
        }
    }

    /// The exact RTU frame: unit, function, data, CRC (low byte first).
    public var bytes: [UInt8] {
        var frame: [UInt8] = [unit, function]
        switch operation {
        case .readCoils(let start, let count), .readDiscreteInputs(let start, let count),
            .readInputRegisters(let start, let count):
            frame += start.bigEndianBytes + count.bigEndianBytes
        case .writeSingleCoil(let address, let on):
            frame += address.bigEndianBytes + (on ? [0xFF, 0x00] : [0x00, 0x00])
        case .writeMultipleCoils(let start, let values):
            let packed = ModbusBits.pack(values)
            frame += start.bigEndianBytes + UInt16(truncatingIfNeeded: values.count).bigEndianBytes
            frame.append(UInt8(truncatingIfNeeded: packed.count))
            frame += packed
        }
        return ModbusCRC.appended(to: frame)
    }

    public var description: String { "unit \(unit) \(operation)" }
}

/// A unit's answer, as a value.
public struct ModbusResponse: Hashable, Sendable, CustomStringConvertible {
    /// What an answer carries.
    public enum Payload: Hashable, Sendable {
        /// Functions 01 and 02: the bits read, packed eight to a byte, first bit in bit 0 of the first byte.
        case bits(function: UInt8, bytes: [UInt8])
        /// Functions 03 and 04: the registers read.
        case registers(function: UInt8, values: [UInt16])
        /// Function 05: the echo of the coil written and its value (0xFF00 on, 0x0000 off).
        case wroteSingleCoil(address: UInt16, value: UInt16)
        /// Function 0F: the first coil written and how many.
        case wroteMultipleCoils(start: UInt16, count: UInt16)
        /// An exception response: the function asked (without the 0x80 flag) and the exception code.
        case exception(function: UInt8, code: UInt8)
    }

    /// The unit that answered.
    public var unit: UInt8
    /// What it answered.
    public var payload: Payload

    /// Describes an answer from `unit`.
    public init(unit: UInt8, _ payload: Payload) {
        self.unit = unit
        self.payload = payload
    }

    /// The function code on the wire (with the 0x80 flag for an exception).
    public var function: UInt8 {
        switch payload {
        case .bits(let function, _), .registers(let function, _): return function
        case .wroteSingleCoil: return ModbusFunction.writeSingleCoil
        case .wroteMultipleCoils: return ModbusFunction.writeMultipleCoils
        case .exception(let function, _): return function | ModbusFunction.exceptionFlag
        }
    }

    /// The exact RTU frame, CRC included.
    public var bytes: [UInt8] {
        var frame: [UInt8] = [unit, function]
        switch payload {
        case .bits(_, let bytes):
            frame.append(UInt8(truncatingIfNeeded: bytes.count))
            frame += bytes
        case .registers(_, let values):
            frame.append(UInt8(truncatingIfNeeded: values.count * 2))
            for value in values { frame += value.bigEndianBytes }
        case .wroteSingleCoil(let address, let value):
            frame += address.bigEndianBytes + value.bigEndianBytes
        case .wroteMultipleCoils(let start, let count):
            frame += start.bigEndianBytes + count.bigEndianBytes
        case .exception(_, let code):
            frame.append(code)
        }
        return ModbusCRC.appended(to: frame)
    }

    public var description: String { "unit \(unit) \(payload)" }

    /// The standard name of an exception code, for messages (`illegal data address`).
    public static func exceptionName(_ code: UInt8) -> String {
        switch code {
        case 0x01: return "illegal function"
        case 0x02: return "illegal data address"
        case 0x03: return "illegal data value"
        case 0x04: return "server device failure"
        case 0x05: return "acknowledge"
        case 0x06: return "server device busy"
        case 0x08: return "memory parity error"
        case 0x0A: return "gateway path unavailable"
        case 0x0B: return "gateway target device failed to respond"
        default: return "exception \(code)"
        }
    }
}

/// Bit packing as Modbus does it: eight to a byte, the first bit in the lowest bit of the first byte.
public enum ModbusBits {
    /// `values` packed, the last byte padded with zeros.
    public static func pack(_ values: [Bool]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: (values.count + 7) / 8)
        for (index, value) in values.enumerated() where value {
            bytes[index / 8] |= 1 << UInt8(index % 8)
        }
        return bytes
    }

    /// The first `count` bits of `bytes` (false beyond the bytes given).
    public static func unpack(_ bytes: [UInt8], count: Int) -> [Bool] {
        (0..<max(0, count)).map { index in
            index / 8 < bytes.count && bytes[index / 8] & (1 << UInt8(index % 8)) != 0
        }
    }
}

extension UInt16 {
    /// High byte first, as Modbus sends addresses, quantities and register values.
    var bigEndianBytes: [UInt8] { [UInt8(self >> 8), UInt8(self & 0xFF)] }
}

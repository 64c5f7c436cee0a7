/// The fixed header's Remaining Length (MQTT 3.1.1 §2.2.3): 7 bits per byte, low group first, the high bit
/// set while more bytes follow, at most 4 bytes.
enum MQTTRemainingLength {
    /// The outcome of reading a remaining length from the start of some bytes.
    enum Parse: Equatable {
        /// More bytes are needed.
        case incomplete
        /// The value and how many bytes encoded it.
        case value(Int, byteCount: Int)
    }

    /// Appends `value` (0…268,435,455) to `bytes`.
    static func encode(_ value: Int, into bytes: inout [UInt8]) throws(MQTTError) {
        guard value >= 0, value <= MQTTPacket.maximumRemainingLength else {
            throw .invalidPacket("remaining length \(value) exceeds \(MQTTPacket.maximumRemainingLength)")
        }
        var rest = value
        repeat {
            var digit = UInt8(rest % 128)
            rest /= 128
            if rest > 0 { digit |= 0x80 }
            bytes.append(digit)
        } while rest > 0
    }

    /// Reads a remaining length from the start of `bytes`; a fifth continuation byte is a protocol violation.
    static func parse(_ bytes: ArraySlice<UInt8>) throws(MQTTError) -> Parse {
        var value = 0
        var multiplier = 1
        var count = 0
        for byte in bytes {
            count += 1
            value += Int(byte & 0x7f) * multiplier
            if byte & 0x80 == 0 {
                return .value(value, byteCount: count)
            }
            if count == 4 {
                throw .protocolViolation("remaining length longer than 4 bytes")
            }
            multiplier *= 128
        }
        return .incomplete
    }
}

/// CRC-16/MODBUS, the check of every Modbus RTU frame: polynomial 0x8005 reflected (0xA001), initial value 0xFFFF,
/// no final XOR; sent low byte first. The catalogue check value (of the ASCII bytes "123456789") is 0x4B37.
public enum ModbusCRC {
    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index)
        for _ in 0..<8 {
            crc = crc & 1 != 0 ? (crc >> 1) ^ 0xA001 : crc >> 1
        }
        return crc
    }

    /// The CRC of `bytes`.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0xFFFF
        for byte in bytes {
            crc = (crc >> 8) ^ table[Int((crc ^ UInt16(byte)) & 0xFF)]
        }
        return crc
    }

    /// `frame` with its CRC appended, low byte first, as it goes on the wire.
    public static func appended(to frame: [UInt8]) -> [UInt8] {
        let crc = checksum(frame)
        return frame + [UInt8(crc & 0xFF), UInt8(crc >> 8)]
    }
}

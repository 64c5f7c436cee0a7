/// Hexadecimal text of bytes and back, the one codec every layer uses: events carry EPCs and undecodable scan bytes
/// in it, signatures and pickup-code digests are written in it, site configs give serial commands in it.
public enum Hex {
    private static let lowercaseDigits = Array("0123456789abcdef".utf8)
    private static let uppercaseDigits = Array("0123456789ABCDEF".utf8)

    /// Two hex digits a byte, no separators (lower case unless `uppercase`).
    public static func string(_ bytes: some Sequence<UInt8>, uppercase: Bool = false) -> String {
        let digits = uppercase ? uppercaseDigits : lowercaseDigits
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// `value` in hex digits, zero-padded to the width of its type (`UInt16` 0xb6a: `0b6a`).
    public static func padded<Value: FixedWidthInteger & UnsignedInteger>(
        _ value: Value,
        uppercase: Bool = false
    ) -> String {
        let digits = String(value, radix: 16, uppercase: uppercase)
        return String(repeating: "0", count: max(0, Value.bitWidth / 4 - digits.count)) + digits
    }

    /// The bytes written as hex digits in `text`, or nil for an odd count or any other character (an upper-case
    /// digit too when `lowercaseOnly`, for formats that fix the case).
    public static func bytes(_ text: some StringProtocol, lowercaseOnly: Bool = false) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        for index in stride(from: 0, to: utf8.count, by: 2) {
            guard let high = value(ofDigit: utf8[index], lowercaseOnly: lowercaseOnly),
                let low = value(ofDigit: utf8[index + 1], lowercaseOnly: lowercaseOnly)
            else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    /// The value of one hex digit (0–15), or nil for any other byte.
    public static func value(ofDigit byte: UInt8, lowercaseOnly: Bool = false) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F") where !lowercaseOnly: return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

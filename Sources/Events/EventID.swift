/// A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds then random bits, so ids sort by time and
/// consumers can deduplicate at-least-once delivery on them.
public struct EventID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A new id for `time`; `sequence` (12 bits) orders ids made within one millisecond.
    public init(time: EventTime, sequence: UInt16, using generator: inout some RandomNumberGenerator) {
        let milliseconds = UInt64(truncatingIfNeeded: time.millisecondsSinceEpoch) & 0xFFFF_FFFF_FFFF
        high = milliseconds << 16 | 0x7000 | UInt64(sequence & 0x0FFF)
        low = 0x8000_0000_0000_0000 | (generator.next() & 0x3FFF_FFFF_FFFF_FFFF)
    }

    public static func < (lhs: EventID, rhs: EventID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// The canonical lowercase 8-4-4-4-12 form.
    public var description: String {
        var text: [UInt8] = []
        text.reserveCapacity(36)
        write(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends `description` as UTF-8 to `output`.
    public func write(to output: inout [UInt8]) {
        // Every event carries one: its 36 characters are written into place from the last digit back (`low`'s 16
        // nibbles, then `high`'s, dashes where 8-4-4-4-12 puts them), then appended at once.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { text in
            var position = 35
            var word = low
            for digit in 0..<32 {
                if digit == 16 { word = high }
                if position == 23 || position == 18 || position == 13 || position == 8 {
                    text[position] = UInt8(ascii: "-")
                    position -= 1
                }
                let nibble = UInt8(word & 0xF)
                text[position] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
                word >>= 4
                position -= 1
            }
            output.append(contentsOf: text)
        }
    }

    /// Parses the canonical form (either case).
    public init?(parsing text: String) {
        let digits = text.filter { $0 != "-" }
        guard text.count == 36, digits.count == 32,
            let high = UInt64(digits.prefix(16), radix: 16), let low = UInt64(digits.suffix(16), radix: 16)
        else { return nil }
        self.high = high
        self.low = low
    }
}

/// Every way GS1 parsing or EPC decoding can reject input; each case names where and what was expected.
public enum GS1Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// The input was empty (or only separators), so there was nothing to decode.
    case emptyInput
    /// The digits at `position` do not start any Application Identifier in the AI table.
    case unknownAI(String, position: Int)
    /// The data for `ai` starting at `position` had `actual` characters where `expected` were required.
    case invalidLength(ai: String, expected: FieldLength, actual: Int, position: Int)
    /// A character not allowed by the content rules of `ai` was found at `position`.
    case invalidCharacter(ai: String, character: String, position: Int)
    /// The GS1 mod-10 check digit of `ai` was `found` but the data requires `expected`.
    case invalidCheckDigit(ai: String, expected: Int, found: Int)
    /// The date (YYMMDD, optionally followed by HHMM) in `ai` is not a real calendar date or time.
    case invalidDate(ai: String, value: String)
    /// The value of `ai` is well formed character-wise but breaks a rule described by `expected`.
    case invalidValue(ai: String, value: String, expected: String)
    /// A variable-length field of `ai` was not terminated and the split point could not be found unambiguously.
    case cannotDelimit(ai: String, position: Int)
    /// The same AI occurs more than once with different values, which GS1 forbids.
    case conflictingValues(ai: String)
    /// A bracketed human-readable element string such as "(01)…" is malformed at `position`.
    case malformedHumanReadable(position: Int, expected: String)
    /// The 8-bit EPC header is not one of the supported 96-bit schemes (0x30-0x34).
    case unknownEPCHeader(UInt8)
    /// The 3-bit EPC partition value is outside the scheme's partition table (0-6).
    case invalidPartition(scheme: String, value: Int)
    /// The hexadecimal EPC text has a non-hex character at `position`.
    case invalidHex(position: Int)
    /// The EPC binary has `bits` bits but the scheme requires 96.
    case invalidEPCLength(bits: Int)
    /// A decoded EPC field (`field`) holds `value`, which does not fit the digits allowed by the partition.
    case invalidEPCField(scheme: String, field: String, value: String)
    /// The text is not a GS1 Digital Link URI, for the stated reason.
    case notDigitalLink(String)
    /// A '%' escape at `position` in a Digital Link URI is not followed by two hex digits.
    case invalidPercentEncoding(position: Int)

    /// A one-sentence explanation: what was wrong, where, and what was expected.
    public var description: String {
        switch self {
        case .emptyInput:
            return "The input is empty; expected GS1 data."
        case let .unknownAI(text, position):
            return "Unknown Application Identifier starting \"\(text)\" at position \(position); "
                + "expected a 2-4 digit AI from the GS1 AI table."
        case let .invalidLength(ai, expected, actual, position):
            return "AI (\(ai)) at position \(position) has \(actual) characters; expected \(expected)."
        case let .invalidCharacter(ai, character, position):
            return "AI (\(ai)) has the character \"\(character)\" at position \(position), "
                + "which its format does not allow."
        case let .invalidCheckDigit(ai, expected, found):
            return "AI (\(ai)) has check digit \(found); the GS1 mod-10 check digit should be \(expected)."
        case let .invalidDate(ai, value):
            return "AI (\(ai)) value \"\(value)\" is not a valid date; expected YYMMDD with month 01-12 "
                + "and a day that exists in that month (00 allowed only where GS1 permits it)."
        case let .invalidValue(ai, value, expected):
            return "AI (\(ai)) value \"\(value)\" is invalid; expected \(expected)."
        case let .cannotDelimit(ai, position):
            return "The variable-length field of AI (\(ai)) at position \(position) has no separator and "
                + "its end cannot be determined unambiguously; expected a GS (FNC1) separator."
        case let .conflictingValues(ai):
            return "AI (\(ai)) occurs more than once with different values; expected one value per AI."
        case let .malformedHumanReadable(position, expected):
            return "Human-readable element string is malformed at position \(position); expected \(expected)."
        case let .unknownEPCHeader(header):
            return "Unknown EPC header \(Hex.byte(header)); expected one of 0x30 (SGTIN-96), 0x31 (SSCC-96), "
                + "0x32 (SGLN-96), 0x33 (GRAI-96), 0x34 (GIAI-96)."
        case let .invalidPartition(scheme, value):
            return "\(scheme) partition value \(value) is not in the partition table; expected 0-6."
        case let .invalidHex(position):
            return "EPC hex text has a non-hexadecimal character at position \(position); expected 0-9, A-F."
        case let .invalidEPCLength(bits):
            return "EPC has \(bits) bits; expected 96 bits (24 hex characters)."
        case let .invalidEPCField(scheme, field, value):
            return "\(scheme) field \(field) decodes to \(value), which does not fit the digits "
                + "its partition allows."
        case let .notDigitalLink(reason):
            return "Not a GS1 Digital Link URI: \(reason)."
        case let .invalidPercentEncoding(position):
            return "Invalid percent-encoding at position \(position); expected '%' followed by two hex digits."
        }
    }
}

/// Small formatting helpers shared by error messages and EPC decoding.
enum Hex {
    static let digits: [Character] = Array("0123456789ABCDEF")

    static func byte(_ value: UInt8) -> String {
        "0x" + String(digits[Int(value >> 4)]) + String(digits[Int(value & 0x0F)])
    }
}

/// GS1 mod-10 check digit arithmetic (GS1 General Specifications 7.9.1) used by GTIN, SSCC, GLN, GRAI, GSRN etc.
public enum CheckDigit {
    /// Computes the check digit for `digits` (the key without its check digit); nil if empty or not all digits.
    ///
    /// Weights alternate 3, 1, 3, … starting from the rightmost digit, so leading zeros never change the result.
    public static func compute(_ digits: some StringProtocol) -> Int? {
        compute(utf8: Array(digits.utf8))
    }

    /// Reports whether the last digit of `key` is the correct GS1 check digit for the digits before it.
    public static func isValid(_ key: some StringProtocol) -> Bool {
        let bytes = Array(key.utf8)
        guard bytes.count >= 2, let last = bytes.last, let found = digitValue(last),
            let expected = compute(utf8: Array(bytes.dropLast()))
        else {
            return false
        }
        return expected == found
    }

    /// Normalises a GTIN-8, GTIN-12, GTIN-13 or GTIN-14 to 14 digits; nil if the length or check digit is wrong.
    public static func normalizedGTIN(_ gtin: some StringProtocol) -> String? {
        let text = String(gtin)
        guard [8, 12, 13, 14].contains(text.utf8.count), isValid(text) else {
            return nil
        }
        return String(repeating: "0", count: 14 - text.utf8.count) + text
    }

    /// Appends the computed check digit to `digits`; nil if `digits` is empty or not all digits.
    public static func appending(to digits: some StringProtocol) -> String? {
        guard let digit = compute(digits) else {
            return nil
        }
        return String(digits) + String(digit)
    }

    static func compute(utf8 bytes: some BidirectionalCollection<UInt8>) -> Int? {
        guard !bytes.isEmpty else {
            return nil
        }
        var sum = 0
        var weight = 3
        for byte in bytes.reversed() {
            guard let value = digitValue(byte) else {
                return nil
            }
            sum += value * weight
            weight = weight == 3 ? 1 : 3
        }
        return (10 - sum % 10) % 10
    }

    static func digitValue(_ byte: UInt8) -> Int? {
        guard byte >= 0x30, byte <= 0x39 else {
            return nil
        }
        return Int(byte - 0x30)
    }
}

/// A decoded 96-bit EPC (EPC Tag Data Standard): scheme, filter, pure-identity URI and the GS1 key it carries.
public struct EPC: Sendable, Hashable {
    /// The supported 96-bit binary encodings and their 8-bit headers.
    public enum Scheme: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Serialised GTIN, header 0x30.
        case sgtin96 = 0x30
        /// Serial Shipping Container Code, header 0x31.
        case sscc96 = 0x31
        /// Global Location Number with extension, header 0x32.
        case sgln96 = 0x32
        /// Global Returnable Asset Identifier, header 0x33.
        case grai96 = 0x33
        /// Global Individual Asset Identifier, header 0x34.
        case giai96 = 0x34

        /// The tag-encoding name, e.g. "sgtin-96".
        public var description: String {
            switch self {
            case .sgtin96: return "sgtin-96"
            case .sscc96: return "sscc-96"
            case .sgln96: return "sgln-96"
            case .grai96: return "grai-96"
            case .giai96: return "giai-96"
            }
        }

        /// The pure-identity scheme name, e.g. "sgtin".
        public var identityName: String {
            String(description.prefix { $0 != "-" })
        }

        var partitionTable: [EPCPartition] {
            switch self {
            case .sgtin96: return EPCPartitionTable.sgtin
            case .sscc96: return EPCPartitionTable.sscc
            case .sgln96: return EPCPartitionTable.sgln
            case .grai96: return EPCPartitionTable.grai
            case .giai96: return EPCPartitionTable.giai
            }
        }
    }

    /// The binary encoding scheme.
    public let scheme: Scheme
    /// The 3-bit filter value (0-7).
    public let filter: Int
    /// The 3-bit partition value (0-6).
    public let partition: Int
    /// The GS1 Company Prefix digits.
    public let companyPrefix: String
    /// The pure-identity URI, e.g. "urn:epc:id:sgtin:0614141.812345.6789".
    public let pureIdentityURI: String
    /// The tag URI including filter, e.g. "urn:epc:tag:sgtin-96:3.0614141.812345.6789".
    public let tagURI: String
    /// The GS1 element(s) equivalent to this EPC, e.g. (01) GTIN-14 and (21) serial for SGTIN.
    public let elements: [Element]

    /// GTIN-14 with computed check digit (SGTIN only).
    public var gtin: String? { value(of: "01") }
    /// Serial number (SGTIN only).
    public var serial: String? { value(of: "21") }
    /// SSCC-18 with computed check digit (SSCC only).
    public var sscc: String? { value(of: "00") }
    /// GLN-13 with computed check digit (SGLN only).
    public var gln: String? { value(of: "414") }
    /// GLN extension when non-zero (SGLN only).
    public var glnExtension: String? { value(of: "254") }
    /// The AI 8003 GRAI value: "0", 12 digits, check digit, serial (GRAI only).
    public var grai: String? { value(of: "8003") }
    /// The AI 8004 GIAI value (GIAI only).
    public var giai: String? { value(of: "8004") }

    private func value(of ai: String) -> String? {
        elements.first { $0.ai == ai }?.value
    }

    /// Decodes EPC memory given as hex text (24 hex digits; an optional "0x" prefix is allowed).
    public static func decode(hex: String) throws(GS1Error) -> EPC {
        var text = Array(hex.utf8)
        var offset = 0
        if text.count >= 2, text[0] == UInt8(ascii: "0"), text[1] == UInt8(ascii: "x") || text[1] == UInt8(ascii: "X") {
            text.removeFirst(2)
            offset = 2
        }
        guard !text.isEmpty else {
            throw .emptyInput
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 2 + 1)
        var index = 0
        while index < text.count {
            guard let high = DigitalLink.hexValue(text[index]) else {
                throw .invalidHex(position: index + offset)
            }
            guard index + 1 < text.count else {
                throw .invalidEPCLength(bits: text.count * 4)
            }
            guard let low = DigitalLink.hexValue(text[index + 1]) else {
                throw .invalidHex(position: index + 1 + offset)
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        return try decode(bytes: bytes)
    }

    /// Decodes EPC memory given as 12 bytes (96 bits, most significant bit first).
    public static func decode(bytes: [UInt8]) throws(GS1Error) -> EPC {
        guard let header = bytes.first else {
            throw .emptyInput
        }
        guard let scheme = Scheme(rawValue: header) else {
            throw .unknownEPCHeader(header)
        }
        guard bytes.count == 12 else {
            throw .invalidEPCLength(bits: bytes.count * 8)
        }
        let bits = BitReader(bytes: bytes)
        let filter = Int(bits.read(at: 8, count: 3))
        let partitionValue = Int(bits.read(at: 11, count: 3))
        let table = scheme.partitionTable
        guard partitionValue < table.count else {
            throw .invalidPartition(scheme: scheme.description, value: partitionValue)
        }
        let row = table[partitionValue]
        let prefixValue = bits.read(at: 14, count: row.companyPrefixBits)
        let referenceStart = 14 + row.companyPrefixBits
        let referenceValue = bits.read(at: referenceStart, count: row.referenceBits)
        let remainderStart = referenceStart + row.referenceBits
        let remainder = bits.read(at: remainderStart, count: 96 - remainderStart)
        let companyPrefix = try padded(
            prefixValue,
            digits: row.companyPrefixDigits,
            scheme: scheme,
            field: "company prefix"
        )
        let reference: String
        if scheme == .giai96 {
            // The GIAI-96 individual asset reference is an integer: decimal without leading zeros.
            reference = String(referenceValue)
            guard reference.utf8.count <= row.referenceDigits else {
                throw .invalidEPCField(scheme: scheme.description, field: "reference", value: reference)
            }
        } else {
            reference = try padded(referenceValue, digits: row.referenceDigits, scheme: scheme, field: "reference")
        }
        let fields = try identity(
            scheme: scheme,
            companyPrefix: companyPrefix,
            reference: reference,
            remainder: remainder
        )
        let uriBody = ([companyPrefix] + fields.uriParts).joined(separator: ".")
        return EPC(
            scheme: scheme,
            filter: filter,
            partition: partitionValue,
            companyPrefix: companyPrefix,
            pureIdentityURI: "urn:epc:id:\(scheme.identityName):" + uriBody,
            tagURI: "urn:epc:tag:\(scheme.description):\(filter)." + uriBody,
            elements: fields.elements
        )
    }

    /// Builds the URI parts after the company prefix and the equivalent GS1 elements for each scheme.
    private static func identity(
        scheme: Scheme,
        companyPrefix: String,
        reference: String,
        remainder: UInt64
    ) throws(GS1Error) -> (uriParts: [String], elements: [Element]) {
        switch scheme {
        case .sgtin96:
            // Item reference = indicator digit + rest; GTIN-14 = indicator + prefix + rest + check digit.
            let gtin = withCheckDigit(String(reference.prefix(1)) + companyPrefix + reference.dropFirst())
            let serial = String(remainder)
            return ([reference, serial], [try element("01", gtin), try element("21", serial)])
        case .sscc96:
            // Bits after the serial reference are unallocated and must be zero (TDS SSCC-96 layout).
            guard remainder == 0 else {
                throw .invalidEPCField(scheme: scheme.description, field: "unallocated bits", value: String(remainder))
            }
            let sscc = withCheckDigit(String(reference.prefix(1)) + companyPrefix + reference.dropFirst())
            return ([reference], [try element("00", sscc)])
        case .sgln96:
            let gln = withCheckDigit(companyPrefix + reference)
            let ext = String(remainder)
            var elements = [try element("414", gln)]
            if remainder != 0 {
                elements.append(try element("254", ext))
            }
            return ([reference, ext], elements)
        case .grai96:
            let serial = String(remainder)
            let grai = "0" + withCheckDigit(companyPrefix + reference) + serial
            return ([reference, serial], [try element("8003", grai)])
        case .giai96:
            // The individual asset reference fills all bits after the company prefix, so nothing remains.
            return ([reference], [try element("8004", companyPrefix + reference)])
        }
    }

    private static func withCheckDigit(_ digits: String) -> String {
        digits + String(CheckDigit.compute(digits) ?? 0)
    }

    private static func element(_ ai: String, _ value: String) throws(GS1Error) -> Element {
        guard let definition = AITable.definition(for: ai) else {
            throw .unknownAI(ai, position: 0)
        }
        let bytes = Array(value.utf8)
        let interpretation = try ValueValidation.interpret(bytes[...], as: definition, position: 0)
        return Element(ai: ai, value: value, title: definition.title, interpretation: interpretation)
    }

    /// Left-pads `value` with zeros to `digits`; a value that needs more digits is an invalid encoding.
    private static func padded(_ value: UInt64, digits: Int, scheme: Scheme, field: String) throws(GS1Error) -> String {
        let text = String(value)
        if digits == 0 {
            guard value == 0 else {
                throw .invalidEPCField(scheme: scheme.description, field: field, value: text)
            }
            return ""
        }
        guard text.utf8.count <= digits else {
            throw .invalidEPCField(scheme: scheme.description, field: field, value: text)
        }
        return String(repeating: "0", count: digits - text.utf8.count) + text
    }
}

/// Reads big-endian bit fields of up to 64 bits from a byte array; out-of-range bits read as zero.
struct BitReader {
    let bytes: [UInt8]

    func read(at offset: Int, count: Int) -> UInt64 {
        var value: UInt64 = 0
        for bit in offset..<(offset + min(max(count, 0), 64)) {
            let byteIndex = bit / 8
            let byte = byteIndex >= 0 && byteIndex < bytes.count ? bytes[byteIndex] : 0
            value = value << 1 | UInt64((byte >> UInt8(7 - bit % 8)) & 1)
        }
        return value
    }
}

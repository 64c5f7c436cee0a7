/// A GS1 Digital Link URI (as scanned from a QR code) decoded into the same elements as an element string.
///
/// Follows the GS1 Digital Link standard's URI syntax: any host, an optional path prefix, then a primary key
/// AI and value, then key qualifiers as AI/value path pairs, then data attributes as numeric-AI query parameters.
public struct DigitalLink: Sendable, Hashable {
    /// The URI as given (surrounding whitespace removed).
    public let uri: String
    /// The primary key AI, e.g. "01".
    public let primaryKey: String
    /// Elements in URI order: primary key, key qualifiers, then query-string data attributes.
    public let elements: [Element]
    /// Tolerated deviations, e.g. a GTIN-13 in the path padded to 14 digits.
    public let warnings: [ParseWarning]

    /// Primary key AIs and the key qualifier AIs each one allows in the path.
    public static let primaryKeys: [String: Set<String>] = [
        "01": ["22", "10", "21", "235"], "8006": ["22", "10", "21"], "00": [], "253": [], "255": [],
        "401": [], "402": [], "414": ["254"], "415": ["8020"], "417": [], "8003": [], "8004": [],
        "8010": ["8011"], "8013": [], "8017": ["8019"], "8018": ["8019"],
    ]

    /// Creates a result; normally produced by `parse`.
    public init(uri: String, primaryKey: String, elements: [Element], warnings: [ParseWarning]) {
        self.uri = uri
        self.primaryKey = primaryKey
        self.elements = elements
        self.warnings = warnings
    }

    /// Parses a Digital Link URI; throws `.notDigitalLink` when it is not one and a validation error
    /// (naming the AI) when it is one with bad data.
    public static func parse(_ text: String) throws(GS1Error) -> DigitalLink {
        let uri = trimmed(text)
        let bytes = Array(uri.utf8)
        guard !bytes.isEmpty else {
            throw .emptyInput
        }
        let schemeLength: Int
        if hasPrefixIgnoringCase(bytes, "https://") {
            schemeLength = 8
        } else if hasPrefixIgnoringCase(bytes, "http://") {
            schemeLength = 7
        } else {
            throw .notDigitalLink("expected an http:// or https:// URI")
        }
        var end = bytes.count
        if let hash = bytes.firstIndex(of: UInt8(ascii: "#")) {
            end = hash
        }
        let queryStart = bytes[schemeLength..<end].firstIndex(of: UInt8(ascii: "?"))
        let pathEnd = queryStart ?? end
        let authorityEnd = bytes[schemeLength..<pathEnd].firstIndex(of: UInt8(ascii: "/")) ?? pathEnd
        guard authorityEnd > schemeLength else {
            throw .notDigitalLink("the URI has no host")
        }
        let segments = split(bytes, from: authorityEnd, to: pathEnd, on: UInt8(ascii: "/"))
        guard let keyIndex = primaryKeyIndex(in: segments, bytes: bytes) else {
            throw .notDigitalLink("the path has no GS1 primary key AI (01, 00, 414, 8003, …) with key qualifiers")
        }
        let primaryKey = ValueValidation.text(bytes[segments[keyIndex]])
        var warnings: [ParseWarning] = []
        var elements: [Element] = []
        var pairIndex = keyIndex
        while pairIndex + 1 < segments.count {
            let ai = ValueValidation.text(bytes[segments[pairIndex]])
            let valueRange = segments[pairIndex + 1]
            elements.append(try element(ai: ai, bytes: bytes, range: valueRange, warnings: &warnings))
            pairIndex += 2
        }
        if let queryStart {
            for parameter in split(bytes, from: queryStart + 1, to: end, on: UInt8(ascii: "&")) {
                let equals = bytes[parameter].firstIndex(of: UInt8(ascii: "=")) ?? parameter.upperBound
                let key = try percentDecoded(bytes, parameter.lowerBound..<equals)
                guard !key.isEmpty, key.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                    AITable.definition(for: ValueValidation.text(key[...])) != nil
                else {
                    continue
                }
                let valueStart = min(equals + 1, parameter.upperBound)
                elements.append(
                    try element(
                        ai: ValueValidation.text(key[...]),
                        bytes: bytes,
                        range: valueStart..<parameter.upperBound,
                        warnings: &warnings
                    )
                )
            }
        }
        try ElementString.checkConflicts(elements)
        return DigitalLink(uri: uri, primaryKey: primaryKey, elements: elements, warnings: warnings)
    }

    /// Whether `text` is an http(s) URI whose path contains a GS1 primary key (a cheap pre-check).
    public static func looksLikeDigitalLink(_ text: String) -> Bool {
        do {
            _ = try parse(text)
            return true
        } catch {
            if case .notDigitalLink = error {
                return false
            }
            return error != .emptyInput
        }
    }

    // MARK: - Helpers

    /// ASCII case-insensitive prefix test on bytes (so non-ASCII text can never shift offsets).
    static func hasPrefixIgnoringCase(_ bytes: [UInt8], _ prefix: String) -> Bool {
        let expected = Array(prefix.utf8)
        guard bytes.count >= expected.count else {
            return false
        }
        for (byte, wanted) in zip(bytes, expected) {
            let lowered = byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
            guard lowered == wanted else {
                return false
            }
        }
        return true
    }

    private static func trimmed(_ text: String) -> String {
        var scalars = Substring(text)
        while let first = scalars.first, first.isWhitespace {
            scalars = scalars.dropFirst()
        }
        while let last = scalars.last, last.isWhitespace {
            scalars = scalars.dropLast()
        }
        return String(scalars)
    }

    /// Non-empty ranges between `separator` bytes in `bytes[start..<end]`.
    private static func split(_ bytes: [UInt8], from start: Int, to end: Int, on separator: UInt8) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var segmentStart = start
        var cursor = start
        while cursor <= end {
            if cursor == end || bytes[cursor] == separator {
                if cursor > segmentStart {
                    ranges.append(segmentStart..<cursor)
                }
                segmentStart = cursor + 1
            }
            cursor += 1
        }
        return ranges
    }

    /// The first segment index where a primary key starts and every following pair is one of its qualifiers.
    private static func primaryKeyIndex(in segments: [Range<Int>], bytes: [UInt8]) -> Int? {
        var index = 0
        while index + 1 < segments.count {
            defer { index += 1 }
            let remaining = segments.count - index
            guard remaining % 2 == 0, let qualifiers = primaryKeys[ValueValidation.text(bytes[segments[index]])] else {
                continue
            }
            var seen: Set<String> = []
            var pair = index + 2
            var valid = true
            while pair < segments.count {
                let ai = ValueValidation.text(bytes[segments[pair]])
                guard qualifiers.contains(ai), seen.insert(ai).inserted else {
                    valid = false
                    break
                }
                pair += 2
            }
            if valid {
                return index
            }
        }
        return nil
    }

    private static func element(
        ai: String,
        bytes: [UInt8],
        range: Range<Int>,
        warnings: inout [ParseWarning]
    ) throws(GS1Error) -> Element {
        guard let definition = AITable.definition(for: ai) else {
            throw .unknownAI(ai, position: range.lowerBound)
        }
        var value = try percentDecoded(bytes, range)
        if ai == "01", value.count != 14, let normalized = CheckDigit.normalizedGTIN(ValueValidation.text(value[...])) {
            warnings.append(.gtinNormalized(from: ValueValidation.text(value[...])))
            value = Array(normalized.utf8)
        }
        let interpretation = try ValueValidation.interpret(value[...], as: definition, position: range.lowerBound)
        return Element(
            ai: ai,
            value: ValueValidation.text(value[...]),
            title: definition.title,
            interpretation: interpretation
        )
    }

    /// Percent-decodes `bytes[range]`; a '%' not followed by two hex digits is an error naming its position.
    static func percentDecoded(_ bytes: [UInt8], _ range: Range<Int>) throws(GS1Error) -> [UInt8] {
        var output: [UInt8] = []
        var cursor = range.lowerBound
        while cursor < range.upperBound {
            let byte = bytes[cursor]
            guard byte == UInt8(ascii: "%") else {
                output.append(byte)
                cursor += 1
                continue
            }
            guard cursor + 2 < range.upperBound, let high = hexValue(bytes[cursor + 1]),
                let low = hexValue(bytes[cursor + 2])
            else {
                throw .invalidPercentEncoding(position: cursor)
            }
            output.append(high << 4 | low)
            cursor += 3
        }
        return output
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }
}

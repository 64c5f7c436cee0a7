/// Validates one AI value against its AI definition and builds the typed interpretation.
enum ValueValidation {
    /// Validates `value` (ASCII bytes, starting at absolute `position` in the input) for `definition`.
    static func interpret(
        _ value: ArraySlice<UInt8>,
        as definition: AIDefinition,
        position: Int
    ) throws(GS1Error) -> Interpretation? {
        let ai = definition.ai
        guard definition.length.accepts(value.count) else {
            throw .invalidLength(ai: ai, expected: definition.length, actual: value.count, position: position)
        }
        var parts: [(component: AIComponent, bytes: ArraySlice<UInt8>)] = []
        parts.reserveCapacity(definition.components.count)
        var cursor = value.startIndex
        for (offset, component) in definition.components.enumerated() {
            let remaining = value.endIndex - cursor
            if component.isOptional && remaining == 0 {
                break
            }
            let isLast = offset == definition.components.count - 1
            let take = isLast ? remaining : min(remaining, component.length.maximum)
            guard component.length.accepts(take) || (component.isOptional && take == 0) else {
                throw .invalidLength(ai: ai, expected: definition.length, actual: value.count, position: position)
            }
            parts.append((component, value[cursor..<(cursor + take)]))
            cursor += take
        }
        for part in parts {
            try validate(part.bytes, component: part.component, ai: ai, whole: value, position: position)
        }
        return interpretation(of: parts, definition: definition)
    }

    static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Renders one input byte for an error message: itself if printable ASCII, else "0xNN".
    static func display(_ byte: UInt8) -> String {
        (0x20...0x7E).contains(byte) ? String(Unicode.Scalar(byte)) : Hex.byte(byte)
    }

    /// GS1 AI encodable character set 82 (General Specifications figure 7.11-1).
    static func isCSet82(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x21, 0x22, 0x25...0x2F, 0x30...0x39, 0x3A...0x3F, 0x41...0x5A, 0x5F, 0x61...0x7A:
            return true
        default:
            return false
        }
    }

    /// GS1 AI encodable character set 39 (General Specifications figure 7.11-2).
    static func isCSet39(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x23, 0x2D, 0x2F, 0x30...0x39, 0x41...0x5A:
            return true
        default:
            return false
        }
    }

    /// Whether `byte` may appear in a component of `kind`: character set 82, 39, or digits.
    private static func isAllowed(_ byte: UInt8, in kind: ContentKind) -> Bool {
        switch kind {
        case .alphanumeric: return isCSet82(byte)
        case .alphanumeric39: return isCSet39(byte)
        default: return byte >= 0x30 && byte <= 0x39
        }
    }

    private static func validate(
        _ bytes: ArraySlice<UInt8>,
        component: AIComponent,
        ai: String,
        whole: ArraySlice<UInt8>,
        position: Int
    ) throws(GS1Error) {
        for index in bytes.indices where !isAllowed(bytes[index], in: component.kind) {
            throw .invalidCharacter(
                ai: ai,
                character: display(bytes[index]),
                position: position + (index - whole.startIndex)
            )
        }
        // Every byte of a kind below is a digit now (checked above): read them where they are, without a copy.
        func number(_ offset: Int, _ count: Int) -> Int { Self.number(bytes, offset, count) }
        if component.hasCheckDigit, let last = bytes.last,
            let expected = CheckDigit.compute(utf8: bytes.dropLast()), expected != Int(last) - 0x30
        {
            throw .invalidCheckDigit(ai: ai, expected: expected, found: Int(last) - 0x30)
        }
        switch component.kind {
        case let .date(allowsDay00):
            guard bytes.count == 6 else {
                return
            }
            let month = number(2, 2)
            let day = number(4, 2)
            let leapYear = 2000 + number(0, 2)
            guard (1...12).contains(month),
                (allowsDay00 && day == 0) || (1...GS1Date.daysIn(month: month, year: leapYear)).contains(day)
            else {
                throw .invalidDate(ai: ai, value: text(whole))
            }
        case .time:
            guard bytes.count == 4, number(0, 2) <= 23, number(2, 2) <= 59 else {
                throw .invalidDate(ai: ai, value: text(whole))
            }
        case .countryCodeList:
            guard bytes.count % 3 == 0 else {
                throw .invalidValue(ai: ai, value: text(whole), expected: "1 to 5 three-digit ISO 3166 country codes")
            }
        default:
            break
        }
    }

    /// The typed reading of validated `parts`; their text is made only for the kinds that keep it, so the plain
    /// identifiers most scans carry (GTIN, batch, serial) cost no strings here.
    private static func interpretation(
        of parts: [(component: AIComponent, bytes: ArraySlice<UInt8>)],
        definition: AIDefinition
    ) -> Interpretation? {
        guard let first = parts.first else {
            return nil
        }
        switch first.component.kind {
        case .date:
            guard let date = date(first.bytes) else {
                return nil
            }
            if parts.count >= 2, parts[1].component.kind == .time {
                let time = parts[1].bytes
                return .dateTime(date, hour: number(time, 0, 2), minute: number(time, 2, 2))
            }
            return .date(date)
        case let .decimal(places):
            let value = decimal(text(first.bytes), places: places)
            if let unit = definition.unit {
                return .decimal(value: value, unit: unit)
            }
            return .amount(value: value, currency: nil)
        case .currencyCode:
            guard parts.count == 2, case let .decimal(places) = parts[1].component.kind else {
                return nil
            }
            return .amount(value: decimal(text(parts[1].bytes), places: places), currency: text(first.bytes))
        case .countryCode:
            if parts.count == 2 {
                return .postalCode(country: text(first.bytes), code: text(parts[1].bytes))
            }
            return .countries([text(first.bytes)])
        case .countryCodeList:
            var codes: [String] = []
            var remaining = first.bytes
            while !remaining.isEmpty {
                codes.append(text(remaining.prefix(3)))
                remaining = remaining.dropFirst(3)
            }
            return .countries(codes)
        case .numeric where first.component.hasCheckDigit && definition.components.count == 2:
            return .keyWithSerial(key: text(first.bytes), serial: parts.count == 2 ? text(parts[1].bytes) : nil)
        default:
            return nil
        }
    }

    private static func date(_ bytes: ArraySlice<UInt8>) -> GS1Date? {
        guard bytes.count == 6 else {
            return nil
        }
        return GS1Date(yy: number(bytes, 0, 2), month: number(bytes, 2, 2), day: number(bytes, 4, 2))
    }

    /// The decimal value of `count` digits at `offset` into validated `bytes` (all digits, long enough).
    private static func number(_ bytes: ArraySlice<UInt8>, _ offset: Int, _ count: Int) -> Int {
        var value = 0
        for index in (bytes.startIndex + offset)..<(bytes.startIndex + offset + count) {
            value = value * 10 + Int(bytes[index]) - 0x30
        }
        return value
    }

    /// Applies an implied decimal point: ("000123", 3) -> "0.123", ("001500", 0) -> "1500".
    static func decimal(_ digits: String, places: Int) -> String {
        var integer = Substring(digits.dropLast(min(places, digits.count)))
        let fractionDigits = digits.suffix(min(places, digits.count))
        let fraction = String(repeating: "0", count: places - fractionDigits.count) + fractionDigits
        while integer.count > 1, integer.first == "0" {
            integer = integer.dropFirst()
        }
        let integerText = integer.isEmpty ? "0" : String(integer)
        return places == 0 ? integerText : integerText + "." + fraction
    }
}

/// The length rule of an AI's data field: exactly `n` characters, or between `min` and `max`.
public enum FieldLength: Sendable, Hashable, CustomStringConvertible {
    /// Exactly this many characters.
    case fixed(Int)
    /// At least `min` and at most `max` characters.
    case variable(min: Int, max: Int)

    /// The smallest accepted length.
    public var minimum: Int {
        switch self {
        case let .fixed(count): return count
        case let .variable(min, _): return min
        }
    }

    /// The largest accepted length.
    public var maximum: Int {
        switch self {
        case let .fixed(count): return count
        case let .variable(_, max): return max
        }
    }

    /// Whether `count` characters satisfy this rule.
    public func accepts(_ count: Int) -> Bool {
        count >= minimum && count <= maximum
    }

    /// The rule as a phrase, e.g. "exactly 14 characters" or "1 to 20 characters".
    public var description: String {
        switch self {
        case let .fixed(count): return "exactly \(count) characters"
        case let .variable(min, max): return "\(min) to \(max) characters"
        }
    }
}

/// What characters a component of an AI's data may hold and how they are interpreted.
public enum ContentKind: Sendable, Hashable {
    /// Digits 0-9.
    case numeric
    /// GS1 AI encodable character set 82 (GS1 General Specifications figure 7.11-1).
    case alphanumeric
    /// GS1 AI encodable character set 39 (digits, upper-case letters, '#', '-', '/').
    case alphanumeric39
    /// A YYMMDD date; `allowsDay00` means DD = 00 stands for "end of month / day not given".
    case date(allowsDay00: Bool)
    /// An HHMM time of day.
    case time
    /// Digits with an implied decimal point `places` digits from the right (AIs 310n-369n, 390n-394n).
    case decimal(places: Int)
    /// An ISO 3166-1 numeric country code (3 digits).
    case countryCode
    /// One to five ISO 3166-1 numeric country codes concatenated (AIs 423, 425).
    case countryCodeList
    /// An ISO 4217 numeric currency code (3 digits).
    case currencyCode
}

/// One component of an AI's data field, e.g. the N3 country code and then X..9 postal code of AI 421.
public struct AIComponent: Sendable, Hashable {
    /// What characters the component may hold.
    public let kind: ContentKind
    /// How long the component is.
    public let length: FieldLength
    /// Whether the last digit is a GS1 mod-10 check digit over the component.
    public let hasCheckDigit: Bool
    /// Whether the component may be absent (only ever a trailing component).
    public let isOptional: Bool

    /// Creates a component description.
    public init(kind: ContentKind, length: FieldLength, hasCheckDigit: Bool = false, isOptional: Bool = false) {
        self.kind = kind
        self.length = length
        self.hasCheckDigit = hasCheckDigit
        self.isOptional = isOptional
    }
}

/// One Application Identifier from the GS1 AI table: its number, title, data format and delimiting rule.
public struct AIDefinition: Sendable, Hashable {
    /// The AI digits, e.g. "01" or "3103".
    public let ai: String
    /// The GS1 data title, e.g. "GTIN" or "NET WEIGHT (kg)".
    public let title: String
    /// The data field's components in order.
    public let components: [AIComponent]
    /// The unit of a measure AI (e.g. "kg"), if any.
    public let unit: String?

    /// The total length rule of the data field (all components together).
    public let length: FieldLength
    /// Whether the AI is in the predefined-length table (GS1 General Specifications figure 7.8.5-1/5.10.1-2),
    /// i.e. its element string never needs a separator after it.
    public let isPredefinedLength: Bool

    /// Creates a definition; normally only the AI table does this.
    public init(ai: String, title: String, components: [AIComponent], unit: String? = nil) {
        self.ai = ai
        self.title = title
        self.components = components
        self.unit = unit
        // Both are read for every element parsed: worked out once here, not on each read.
        length = Self.length(of: components)
        isPredefinedLength = AITable.predefinedLengthPrefixes.contains(String(ai.prefix(2)))
    }

    private static func length(of components: [AIComponent]) -> FieldLength {
        var minimum = 0
        var maximum = 0
        var allFixed = true
        for component in components {
            if case .variable = component.length {
                allFixed = false
            }
            if component.isOptional {
                allFixed = false
            } else {
                minimum += component.length.minimum
            }
            maximum += component.length.maximum
        }
        return allFixed ? .fixed(maximum) : .variable(min: minimum, max: maximum)
    }

    /// Whether any component carries a GS1 mod-10 check digit.
    public var hasCheckDigit: Bool {
        components.contains { $0.hasCheckDigit }
    }

    /// The main content kind (that of the first component), for display and summaries.
    public var content: ContentKind {
        components.first?.kind ?? .alphanumeric
    }
}

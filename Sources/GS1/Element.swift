/// One decoded GS1 element: an AI, its raw value, its GS1 title and a typed reading where one is useful.
public struct Element: Sendable, Hashable, CustomStringConvertible {
    /// The Application Identifier, e.g. "01".
    public let ai: String
    /// The raw data value exactly as encoded (after percent-decoding for Digital Link).
    public let value: String
    /// The GS1 data title, e.g. "GTIN" or "BATCH/LOT".
    public let title: String
    /// A typed reading of the value (date, decimal, country, …), nil for plain identifiers and text.
    public let interpretation: Interpretation?

    /// Creates an element; parsers validate before creating one.
    public init(ai: String, value: String, title: String, interpretation: Interpretation?) {
        self.ai = ai
        self.value = value
        self.title = title
        self.interpretation = interpretation
    }

    /// The bracketed human-readable form, e.g. "(01)09506000134352".
    public var description: String {
        "(\(ai))\(value)"
    }
}

/// A typed reading of an element value, so consumers need not re-parse dates and implied decimals.
public enum Interpretation: Sendable, Hashable {
    /// A YYMMDD date (AIs 11-17 and the date part of others).
    case date(GS1Date)
    /// A date with hour and minute (AI 7003).
    case dateTime(GS1Date, hour: Int, minute: Int)
    /// A measure with the implied decimal point applied, e.g. "0.123" with unit "kg" for (3103)000123.
    case decimal(value: String, unit: String)
    /// A monetary amount or price with the implied decimal point applied, and the ISO 4217 code if encoded.
    case amount(value: String, currency: String?)
    /// One or more ISO 3166-1 numeric country codes (AIs 422-426).
    case countries([String])
    /// A postal code with its ISO 3166-1 numeric country code (AI 421).
    case postalCode(country: String, code: String)
    /// A GS1 key followed by an optional serial component (AIs 253, 255, 8003).
    case keyWithSerial(key: String, serial: String?)
}

/// A GS1 YYMMDD date; day 0 means the day was not given ("end of month" by GS1 convention).
public struct GS1Date: Sendable, Hashable, CustomStringConvertible {
    /// Two-digit year 0-99.
    public let yy: Int
    /// Month 1-12.
    public let month: Int
    /// Day 1-31, or 0 when the encoded day is 00.
    public let day: Int

    /// Creates a date from already validated components.
    public init(yy: Int, month: Int, day: Int) {
        self.yy = yy
        self.month = month
        self.day = day
    }

    /// Whether DD was 00, meaning the last day of the month applies.
    public var isEndOfMonth: Bool {
        day == 0
    }

    /// The four-digit year using the GS1 century rule (General Specifications 7.12): relative to `currentYear`,
    /// a difference of 51..99 years ahead means the previous century, 50..99 years behind means the next.
    public func fullYear(currentYear: Int) -> Int {
        let century = currentYear - ((currentYear % 100) + 100) % 100
        let difference = yy - ((currentYear % 100) + 100) % 100
        if difference >= 51 {
            return century - 100 + yy
        }
        if difference <= -50 {
            return century + 100 + yy
        }
        return century + yy
    }

    /// The day this date denotes once DD = 00 is resolved to the last day of the month.
    public func effectiveDay(currentYear: Int) -> Int {
        day != 0 ? day : GS1Date.daysIn(month: month, year: fullYear(currentYear: currentYear))
    }

    /// The date as an ISO 8601 string ("2026-12-31"), resolving century and day 00 relative to `currentYear`.
    public func isoString(currentYear: Int) -> String {
        let year = fullYear(currentYear: currentYear)
        return String(year) + "-" + GS1Date.twoDigits(month) + "-"
            + GS1Date.twoDigits(effectiveDay(currentYear: currentYear))
    }

    /// The date as encoded, "YYMMDD".
    public var description: String {
        GS1Date.twoDigits(yy) + GS1Date.twoDigits(month) + GS1Date.twoDigits(day)
    }

    static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0" + String(value) : String(value)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }
}

/// Something a parser tolerated but the caller should know about (the data was still decoded unambiguously).
public enum ParseWarning: Sendable, Hashable, CustomStringConvertible {
    /// A required GS (FNC1) separator after the field of `afterAI` was missing; the split was unambiguous.
    case separatorMissing(afterAI: String)
    /// A separator was transmitted as this text (" ", "|", "^", "<GS>", "{GS}", "\x1D" …) instead of GS.
    case separatorReplaced(String)
    /// A GTIN given with fewer than 14 digits (e.g. in a Digital Link or EAN/UPC) was padded to 14.
    case gtinNormalized(from: String)

    /// A sentence describing what was tolerated.
    public var description: String {
        switch self {
        case let .separatorMissing(ai):
            return "The GS separator after AI (\(ai)) was missing; the data was split unambiguously."
        case let .separatorReplaced(text):
            return "A separator was transmitted as \"\(text)\" instead of GS (0x1D)."
        case let .gtinNormalized(original):
            return "GTIN \(original) was normalised to 14 digits."
        }
    }
}

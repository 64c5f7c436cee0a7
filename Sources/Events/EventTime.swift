import Glibc

/// Wall-clock time of an event: UTC, millisecond precision, written as `2026-11-22T10:00:00.123Z`.
public struct EventTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// The current time from `CLOCK_REALTIME`.
    public static func now() -> EventTime {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return EventTime(millisecondsSinceEpoch: Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000)
    }

    public static func < (lhs: EventTime, rhs: EventTime) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// RFC 3339 UTC with milliseconds.
    public var description: String {
        var text: [UInt8] = []
        text.reserveCapacity(24)
        write(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends `description` as UTF-8 to `output`.
    public func write(to output: inout [UInt8]) {
        let milliseconds = millisecondsSinceEpoch
        let days = milliseconds >= 0 ? milliseconds / 86_400_000 : (milliseconds - 86_399_999) / 86_400_000
        let ofDay = milliseconds - days * 86_400_000
        let (year, month, day) = Self.civil(fromDays: days)
        guard (0...9999).contains(year) else {
            Self.writePadded(year: year, month: month, day: day, ofDay: ofDay, to: &output)
            return
        }
        // Every event carries one: its 24 characters are written into place, then appended at once.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { text in
            func digits(_ value: Int64, _ count: Int, at offset: Int) {
                var value = value
                for index in (offset..<(offset + count)).reversed() {
                    text[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            digits(year, 4, at: 0)
            digits(month, 2, at: 5)
            digits(day, 2, at: 8)
            digits(ofDay / 3_600_000, 2, at: 11)
            digits(ofDay / 60_000 % 60, 2, at: 14)
            digits(ofDay / 1000 % 60, 2, at: 17)
            digits(ofDay % 1000, 3, at: 20)
            text[4] = UInt8(ascii: "-")
            text[7] = UInt8(ascii: "-")
            text[10] = UInt8(ascii: "T")
            text[13] = UInt8(ascii: ":")
            text[16] = UInt8(ascii: ":")
            text[19] = UInt8(ascii: ".")
            text[23] = UInt8(ascii: "Z")
            output.append(contentsOf: text)
        }
    }

    /// The general form, for a year outside 0...9999 (more or fewer digits, or a sign).
    private static func writePadded(year: Int64, month: Int64, day: Int64, ofDay: Int64, to output: inout [UInt8]) {
        Self.pad(year, 4, to: &output)
        output.append(UInt8(ascii: "-"))
        Self.pad(month, 2, to: &output)
        output.append(UInt8(ascii: "-"))
        Self.pad(day, 2, to: &output)
        output.append(UInt8(ascii: "T"))
        Self.pad(ofDay / 3_600_000, 2, to: &output)
        output.append(UInt8(ascii: ":"))
        Self.pad(ofDay / 60_000 % 60, 2, to: &output)
        output.append(UInt8(ascii: ":"))
        Self.pad(ofDay / 1000 % 60, 2, to: &output)
        output.append(UInt8(ascii: "."))
        Self.pad(ofDay % 1000, 3, to: &output)
        output.append(UInt8(ascii: "Z"))
    }

    /// Parses the form `description` writes (`YYYY-MM-DDTHH:MM:SS.mmmZ`; the fraction may be omitted): separators,
    /// digits and ranges are checked, anything else is nil.
    public init?(parsing text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 20 || utf8.count == 24, let time = Self.rfc3339(utf8, strict: true) else { return nil }
        self = time
    }

    /// Parses RFC 3339 UTC as upstream systems write it: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00)`, `T` and `Z` in
    /// either case, a fraction of 1–9 digits (truncated to milliseconds), a leap second read as :59.
    public init?(rfc3339 text: String) {
        guard let time = Self.rfc3339(Array(text.utf8), strict: false) else { return nil }
        self = time
    }

    /// The one RFC 3339 reader; `strict` accepts only what `description` writes (upper-case `T` and `Z`, no
    /// fraction or three digits of one, no leap second).
    private static func rfc3339(_ utf8: [UInt8], strict: Bool) -> EventTime? {
        guard utf8.count >= 20 else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in utf8[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ index: Int, is characters: String) -> Bool { characters.utf8.contains(utf8[index]) }
        guard byte(4, is: "-"), byte(7, is: "-"), byte(10, is: strict ? "T" : "Tt"), byte(13, is: ":"),
            byte(16, is: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < (strict ? 60 : 61)
        else { return nil }
        var index = 19
        var milliseconds: Int64 = 0
        if byte(index, is: ".") {
            index += 1
            let start = index
            while index < utf8.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(utf8[index]) { index += 1 }
            let digits = index - start
            guard strict ? digits == 3 : (1...9).contains(digits), let fraction = number(start..<min(start + 3, index))
            else { return nil }
            milliseconds = fraction * [100, 10, 1][min(digits, 3) - 1]
        }
        let zone = utf8[index...]
        guard
            zone.elementsEqual("Z".utf8)
                || !strict && (zone.elementsEqual("z".utf8) || zone.elementsEqual("+00:00".utf8))
        else { return nil }
        let days = days(fromCivil: year, month, day)
        let seconds = ((days * 24 + hour) * 60 + minute) * 60 + min(second, 59)
        return EventTime(millisecondsSinceEpoch: seconds * 1000 + milliseconds)
    }

    /// `value` with leading zeros to `width` digits; a year before 0 keeps `String`'s form (zeros before the sign).
    private static func pad(_ value: Int64, _ width: Int, to output: inout [UInt8]) {
        guard value >= 0 else {
            let text = String(value)
            output.append(contentsOf: String(repeating: "0", count: max(0, width - text.count)).utf8)
            output.append(contentsOf: text.utf8)
            return
        }
        JSONWriting.appendPadded(value, width: width, to: &output)
    }

    /// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// (year, month, day) to days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

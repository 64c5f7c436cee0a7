import Events

/// When an upstream issued a command: the text exactly as written (it is signed) and the instant it names.
public struct CommandIssuedAt: Hashable, Sendable {
    /// The value as written: the string's characters, or the integer's decimal digits.
    public let text: String
    /// The instant, to the millisecond.
    public let time: EventTime

    /// What `issuedAt` accepts, for error messages.
    static let expected = "RFC 3339 UTC time like \"2026-11-22T10:00:00Z\" or integer Unix seconds"

    /// An issue time from its written form and the instant it names.
    public init(text: String, time: EventTime) {
        self.text = text
        self.time = time
    }

    /// Reads a JSON `issuedAt`: an integer of Unix seconds, a string of digits (Unix seconds), or an RFC 3339
    /// UTC string (`Z` or `+00:00`, optional fraction of 1–9 digits, truncated to milliseconds).
    init?(json: JSONValue) {
        switch json {
        case .int(let seconds):
            guard let time = Self.time(unixSeconds: seconds) else { return nil }
            self.init(text: String(seconds), time: time)
        case .string(let text):
            if !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                let seconds = Int64(text), let time = Self.time(unixSeconds: seconds)
            {
                self.init(text: text, time: time)
            } else if let time = Self.time(rfc3339: Array(text.utf8)) {
                self.init(text: text, time: time)
            } else {
                return nil
            }
        default:
            return nil
        }
    }

    private static func time(unixSeconds: Int64) -> EventTime? {
        let (milliseconds, overflow) = unixSeconds.multipliedReportingOverflow(by: 1000)
        return overflow ? nil : EventTime(millisecondsSinceEpoch: milliseconds)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00)`, `T` and `Z` in either case.
    private static func time(rfc3339 utf8: [UInt8]) -> EventTime? {
        guard utf8.count >= 20 else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in utf8[range] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            return value
        }
        func byte(_ index: Int, is characters: String) -> Bool { characters.utf8.contains(utf8[index]) }
        guard byte(4, is: "-"), byte(7, is: "-"), byte(10, is: "Tt"), byte(13, is: ":"), byte(16, is: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var milliseconds: Int64 = 0
        if byte(index, is: ".") {
            index += 1
            let start = index
            while index < utf8.count, (0x30...0x39).contains(utf8[index]) { index += 1 }
            let digits = index - start
            guard (1...9).contains(digits), let fraction = number(start..<min(start + 3, index)) else { return nil }
            milliseconds = fraction * [100, 10, 1][min(digits, 3) - 1]
        }
        let zone = utf8[index...]
        guard zone.elementsEqual("Z".utf8) || zone.elementsEqual("z".utf8) || zone.elementsEqual("+00:00".utf8)
        else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        let seconds = ((days * 24 + hour) * 60 + minute) * 60 + min(second, 59)
        return EventTime(millisecondsSinceEpoch: seconds * 1000 + milliseconds)
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    private static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

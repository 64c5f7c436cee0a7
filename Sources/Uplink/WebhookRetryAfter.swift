import Events

/// Reads an HTTP `Retry-After` value: delay seconds (`120`) or an IMF-fixdate (`Wed, 21 Oct 2026 07:28:00 GMT`).
enum WebhookRetryAfter {
    /// The delay `value` asks for relative to `now`, or nil when it is neither form. A date in the past is zero.
    static func delay(_ value: String, now: EventTime) -> Duration? {
        let text = value.trimmingSpaces
        if !text.isEmpty, text.utf8.count <= 10, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let seconds = Int64(text)
        {
            return .seconds(seconds)
        }
        guard let date = httpDate(text) else { return nil }
        let milliseconds = max(0, date.millisecondsSinceEpoch - now.millisecondsSinceEpoch)
        return .milliseconds(milliseconds)
    }

    /// IMF-fixdate (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate(_ text: String) -> EventTime? {
        let parts = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT",
            let day = Int64(parts[1]), let monthIndex = months.firstIndex(of: String(parts[2])),
            let year = Int64(parts[3]), (1...31).contains(day)
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int64(clock[0]), let minute = Int64(clock[1]),
            let second = Int64(clock[2]), hour < 24, minute < 60, second < 61
        else { return nil }
        let rfc3339 =
            "\(year)-\(pad(Int64(monthIndex) + 1))-\(pad(day))T\(pad(hour)):\(pad(minute)):\(pad(min(second, 59)))Z"
        return EventTime(parsing: rfc3339)
    }

    private static func pad(_ value: Int64) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        let scalars = unicodeScalars.drop { $0 == " " || $0 == "\t" }
        let trimmed = String(scalars)
        return String(trimmed.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

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
            } else if let time = EventTime(rfc3339: text) {
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
}

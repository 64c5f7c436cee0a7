import Events

/// The seqs an `events.replay` command asks for: `from`…`through`, inclusive, at most `maximumCount` of them.
public struct EventReplayRange: Hashable, Sendable, CustomStringConvertible {
    /// The most events one `events.replay` may ask for; a larger range is refused, ask in parts.
    public static let maximumCount: UInt64 = 10_000

    /// The first seq asked for (at least 1).
    public var from: UInt64
    /// The last seq asked for (at least `from`).
    public var through: UInt64

    /// A range built in code; `init(arguments:)` validates what a command carries.
    public init(from: UInt64, through: UInt64) {
        self.from = from
        self.through = through
    }

    /// Reads and checks `args` of an `events.replay`: `from` and `through` integers, 1 ≤ from ≤ through,
    /// through − from < `maximumCount`. Each refusal is `bad-args` naming the argument and what was expected.
    public init(arguments args: JSONValue) throws(CommandFailure) {
        for name in ["from", "through"] where args[name] == nil {
            throw CommandFailure(code: "bad-args", detail: "events.replay needs \"\(name)\"")
        }
        func seq(_ name: String) throws(CommandFailure) -> UInt64 {
            guard case .int(let number)? = args[name], number >= 1 else {
                throw CommandFailure(
                    code: "bad-args",
                    detail: "events.replay: \"\(name)\" must be a seq, a whole number of at least 1 (not a string)"
                )
            }
            return UInt64(number)
        }
        let from = try seq("from")
        let through = try seq("through")
        guard from <= through else {
            throw CommandFailure(
                code: "bad-args",
                detail: "events.replay: \"from\" (\(from)) is after \"through\" (\(through)); both are inclusive"
            )
        }
        guard through - from < Self.maximumCount else {
            throw CommandFailure(
                code: "bad-args",
                detail: "events.replay: \(through - from + 1) events asked for, at most \(Self.maximumCount) per "
                    + "command; ask for the range in parts"
            )
        }
        self.init(from: from, through: through)
    }

    /// How many seqs the range holds.
    public var count: UInt64 { through - from + 1 }

    /// `from…through`.
    public var description: String { "\(from)…\(through)" }

    /// `{"from":F,"through":T}`, as a replay's result names a part of the range.
    public var json: JSONValue {
        ["from": .int(Int64(clamping: from)), "through": .int(Int64(clamping: through))]
    }
}

import Events

/// What an `events.replay` does: how many events it re-publishes (the outbox's part of the range), and which part
/// of the range it cannot, because the outbox no longer holds it or it was never produced.
public struct EventReplayReport: Hashable, Sendable {
    /// The range asked for.
    public var range: EventReplayRange
    /// Events the outbox holds in the range, each published again (through the MQTT client's window, kept across a
    /// reconnect like a live event; the result does not wait for the broker's acknowledgements).
    public var replayed: UInt64
    /// The part older than the outbox's oldest record (deleted once every uplink had it): lost for good to a
    /// consumer that missed it.
    public var notRetained: EventReplayRange?
    /// The part after the newest durable seq (`lastSeq` in the retained status): not produced yet.
    public var beyondNewest: EventReplayRange?
    /// Seqs inside the retained part that could not be read (damaged records, reported by `outbox.corrupt`).
    public var unreadable: UInt64

    /// A report with every field given.
    public init(
        range: EventReplayRange,
        replayed: UInt64,
        notRetained: EventReplayRange? = nil,
        beyondNewest: EventReplayRange? = nil,
        unreadable: UInt64 = 0
    ) {
        self.range = range
        self.replayed = replayed
        self.notRetained = notRetained
        self.beyondNewest = beyondNewest
        self.unreadable = unreadable
    }

    /// The part of the range the outbox holds, which the replay publishes; nil when it holds none of it.
    public var retained: EventReplayRange? {
        guard replayed > 0 else { return nil }
        let from = notRetained.map { $0.through + 1 } ?? range.from
        let through = beyondNewest.map { $0.from - 1 } ?? range.through
        return from <= through ? EventReplayRange(from: from, through: through) : nil
    }

    /// The result's `data`: `{"from":F,"through":T,"replayed":N}`, plus `notRetained` and `beyondNewest`
    /// (`{"from":…,"through":…}`) and `unreadable` (a count) when they apply.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("from", .int(Int64(clamping: range.from))), ("through", .int(Int64(clamping: range.through))),
            ("replayed", .int(Int64(clamping: replayed))),
        ]
        if let notRetained { members.append(("notRetained", notRetained.json)) }
        if let beyondNewest { members.append(("beyondNewest", beyondNewest.json)) }
        if unreadable > 0 { members.append(("unreadable", .int(Int64(clamping: unreadable)))) }
        return .object(members)
    }

    /// Success when the whole range was replayed; otherwise the failure an upstream switches on, carrying `json`:
    /// `not-retained` when part of it is gone from the outbox (or unreadable), else `beyond-newest`.
    public var result: Result<JSONValue?, CommandFailure> {
        if notRetained != nil || unreadable > 0 {
            var parts: [String] = []
            if let notRetained { parts.append("seqs \(notRetained) are older than the outbox's oldest record") }
            if unreadable > 0 { parts.append("\(unreadable) records could not be read (see outbox.corrupt)") }
            return .failure(
                CommandFailure(
                    code: "not-retained",
                    detail: "replayed \(replayed) of \(range.count); \(parts.joined(separator: "; ")): they cannot "
                        + "be sent again",
                    data: json
                )
            )
        }
        if let beyondNewest {
            return .failure(
                CommandFailure(
                    code: "beyond-newest",
                    detail: "replayed \(replayed) of \(range.count); seqs \(beyondNewest) are after the newest "
                        + "stored event (lastSeq in the retained status)",
                    data: json
                )
            )
        }
        return .success(json)
    }

    /// JSON Schema (draft-07) of the `data` of an `events.replay` result, successful or not.
    public static var schema: JSONValue {
        let part = { (description: String) in
            JSONSchema.object(
                description,
                [
                    .required("from", JSONSchema.integer("The first seq of the part.", minimum: 1)),
                    .required("through", JSONSchema.integer("The last seq of the part.", minimum: 1)),
                ]
            )
        }
        return JSONSchema.object(
            "The data of an events.replay result (ok, not-retained or beyond-newest).",
            [
                .required("from", JSONSchema.integer("The first seq asked for.", minimum: 1)),
                .required("through", JSONSchema.integer("The last seq asked for.", minimum: 1)),
                .required(
                    "replayed",
                    JSONSchema.integer("Events the outbox holds in the range, published again.", minimum: 0)
                ),
                .optional("notRetained", part("Older than the outbox's oldest record: cannot be sent again.")),
                .optional("beyondNewest", part("After the newest stored event: not produced yet.")),
                .optional(
                    "unreadable",
                    JSONSchema.integer("Damaged records in the range (see outbox.corrupt).", minimum: 1)
                ),
            ]
        )
    }
}

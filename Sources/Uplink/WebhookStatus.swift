import Events

/// What `floorctl status` shows for the webhook uplink.
public struct WebhookStatus: Hashable, Sendable {
    /// Connected, failing, or not started yet.
    public var state: WebhookState = .starting
    /// The status code of the last HTTP response, nil before the first or after a network error.
    public var lastHTTPStatus: Int?
    /// The last failure, with what to check; nil once a request succeeds.
    public var lastError: String?
    /// The outbox sequence number acknowledged for this uplink.
    public var acknowledgedSeq: UInt64 = 0
    /// The time of the oldest event not yet delivered; nil when caught up.
    public var oldestUndelivered: EventTime?
    /// How far behind the uplink is: now minus `oldestUndelivered`, 0 when caught up, in milliseconds.
    public var lagMilliseconds: Int64 = 0
    /// When the next attempt is due while waiting after a failure.
    public var nextAttempt: EventTime?
    /// Requests answered with 2xx since start.
    public var delivered: Int = 0
    /// Failed attempts since start.
    public var failures: Int = 0

    /// The status before `run()` starts.
    public init() {}

    /// The JSON form for `floorctl status --json`.
    public var json: JSONValue {
        [
            "state": .string(state.rawValue),
            "lastHTTPStatus": lastHTTPStatus.map { .int(Int64($0)) } ?? .null,
            "lastError": lastError.map(JSONValue.string) ?? .null,
            "acknowledgedSeq": .int(Int64(clamping: acknowledgedSeq)),
            "oldestUndelivered": oldestUndelivered.map { .string($0.description) } ?? .null,
            "lagMs": .int(lagMilliseconds),
            "nextAttempt": nextAttempt.map { .string($0.description) } ?? .null,
            "delivered": .int(Int64(delivered)),
            "failures": .int(Int64(failures)),
        ]
    }
}

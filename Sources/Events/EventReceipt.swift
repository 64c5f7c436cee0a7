/// What a sink hands back for an event it took without waiting for the disk: `stored()` answers once the event
/// is durable (true) or lost (false). A driver goes on reading while the sync runs and tells a person "done"
/// (a good-read beep) only after `stored()` said true.
public struct EventReceipt: Sendable {
    private let outcome: @Sendable () async -> Bool

    /// A receipt whose answer comes from `outcome` (called at most once per `stored()`).
    public init(_ outcome: @escaping @Sendable () async -> Bool) {
        self.outcome = outcome
    }

    /// A receipt whose answer is already known.
    public static func settled(_ stored: Bool) -> EventReceipt {
        EventReceipt { stored }
    }

    /// True once the event is durably stored; false when it could not be.
    public func stored() async -> Bool {
        await outcome()
    }
}

import Events

/// A written record waiting for its sync, and the appender to resume after it (none for the outbox's own
/// reports).
struct PendingAppend {
    var event: Event
    var segmentFirstSeq: UInt64
    var recordBytes: Int
    var waiter: CheckedContinuation<Result<Void, OutboxError>, Never>?
}

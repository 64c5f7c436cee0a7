import Events

/// A written record waiting for its sync, and the ticket its appender holds (none for the outbox's own reports).
struct PendingAppend: Sendable {
    var event: Event
    /// The event's wire JSON, the record's payload: what the uplinks send.
    var json: [UInt8]
    var segmentFirstSeq: UInt64
    var recordBytes: Int
    var ticket: DurabilityTicket?
}

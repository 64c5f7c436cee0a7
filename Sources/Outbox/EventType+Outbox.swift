import Events

/// The outbox's own event types; each has its schema in `EventType.outboxSchemas`.
extension EventType {
    /// Recovery on open dropped a torn or corrupt record (data: segment, droppedRecords, droppedBytes, reason).
    public static let outboxRecovered: EventType = "outbox.recovered"
    /// A corrupt record in an older segment was skipped while reading (data: segment, offset, droppedRecords,
    /// droppedBytes).
    public static let outboxCorrupt: EventType = "outbox.corrupt"
    /// Disk use crossed a quota threshold (data: usedBytes, quotaBytes, percent, level warning/critical/full).
    public static let outboxQuota: EventType = "outbox.quota"
    /// A write or sync failed and the segment was abandoned (data: reason, segment, operation, errno, …).
    public static let outboxFault: EventType = "outbox.fault"
}

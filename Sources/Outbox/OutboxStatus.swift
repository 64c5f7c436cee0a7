import Events

/// A snapshot of the outbox for `floorctl outbox` and health checks.
public struct OutboxStatus: Sendable, Equatable {
    /// Events not yet acknowledged by the slowest uplink (0 without uplinks).
    public var depth: UInt64
    /// Time of the oldest event the slowest uplink has not acknowledged.
    public var oldestUndeliveredTime: EventTime?
    /// Bytes of segment files on disk.
    public var usedBytes: Int
    /// The configured disk quota in bytes.
    public var quotaBytes: Int
    /// Each uplink's acknowledged seq.
    public var cursors: [String: UInt64]
    /// The last durable seq (0 when the log is empty).
    public var lastSeq: UInt64
    /// Segment files on disk, the active one included.
    public var segmentCount: Int
    /// Valid records found in the last segment when the outbox was opened.
    public var recoveredRecords: Int
    /// Torn or corrupt records dropped or skipped since the outbox was opened.
    public var droppedRecords: Int
    /// The bytes of those records.
    public var droppedBytes: Int
    /// Old segments removed without uplinks to make room under the quota.
    public var evictedSegments: Int
}

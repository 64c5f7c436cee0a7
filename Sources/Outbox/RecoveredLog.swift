import Events

/// What recovery found on open: the segments (the last one open for appending), the next seq, the cursors,
/// the directory and lock descriptors, and what was dropped.
struct RecoveredLog: Sendable {
    var outboxPath: String
    var directoryDescriptor: Int32
    var lockDescriptor: Int32
    var segments: [Segment]
    var nextSeq: UInt64
    var cursors: [String: UInt64]
    /// The line each cursor file in the two-line format is to be written at next (the one not holding its cursor).
    var cursorNextLines: [String: Int]
    /// Valid records found in the last segment.
    var recoveredRecords: Int
    /// Data of one `outbox.recovered` event per damaged range.
    var reports: [JSONValue]
    var droppedRecords: Int
    var droppedBytes: Int
}

import Events

/// What scanning the last segment on open found: the segment with its checkpoints, the next seq, how many
/// records were kept, and what was dropped (with the data of one `outbox.recovered` event per damaged range).
struct LastSegmentScan {
    var segment: Segment
    var nextSeq: UInt64
    var records = 0
    var reports: [JSONValue] = []
    var droppedRecords = 0
    var droppedBytes = 0
}

/// A known record position inside a segment: the record holding `seq` starts at byte `offset`.
struct SegmentCheckpoint: Sendable, Equatable {
    var seq: UInt64
    var offset: Int
}

/// One segment's share of a sync: its data up to `size` and, for a new file, the directory entry.
struct SyncRequest: Sendable {
    var segmentFirstSeq: UInt64
    var descriptor: Int32
    var path: String
    /// The segment size when the sync was issued; everything before it is durable once the sync succeeds.
    var size: Int
    var syncData: Bool
    var syncDirectory: Bool
}

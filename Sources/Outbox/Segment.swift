/// One segment file `seg-<firstSeq, 20 digits>.log` and what the outbox knows about it.
struct Segment: Sendable {
    /// Checkpoints are kept at least this many bytes apart, so a read scans at most this far to its start.
    static let checkpointSpacing = 64 << 10

    /// The seq of the first record this segment was created for (records before it live in older segments).
    let firstSeq: UInt64
    let path: String
    /// Bytes of records written so far (where the next record goes).
    var size: Int
    /// The file's size: `size` plus the zeros written ahead of the records (see `Outbox.preallocationBytes`).
    var allocatedSize = 0
    /// Bytes known to be on disk (synced).
    var syncedSize: Int
    /// Open for appending while this is the active segment or while written bytes still await a sync.
    var descriptor: Int32?
    /// The directory entry was created and the directory not yet synced.
    var needsDirectorySync: Bool
    /// Sparse index of record positions, ascending.
    var checkpoints: [SegmentCheckpoint] = []

    var fileName: String { Self.fileName(firstSeq: firstSeq) }

    /// `seg-00000000000000000042.log` for 42.
    static func fileName(firstSeq: UInt64) -> String {
        let digits = String(firstSeq)
        return "seg-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    /// The first seq in a segment file name, or nil when `name` is not one (a seq above
    /// `RecordFormat.maximumSeq` is not one this outbox could have written).
    static func firstSeq(fromFileName name: String) -> UInt64? {
        guard name.hasPrefix("seg-"), name.hasSuffix(".log"), name.utf8.count == 28 else { return nil }
        let digits = name.dropFirst(4).dropLast(4)
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let seq = UInt64(digits),
            seq <= RecordFormat.maximumSeq
        else { return nil }
        return seq
    }

    /// Remembers that `seq` starts at `offset` if that is far enough past the last checkpoint.
    mutating func noteRecord(seq: UInt64, offset: Int) {
        if let last = checkpoints.last {
            guard seq > last.seq, offset >= last.offset + Self.checkpointSpacing else { return }
        }
        checkpoints.append(SegmentCheckpoint(seq: seq, offset: offset))
    }

    /// Where to start scanning for the first record with seq ≥ `seq`.
    func scanStart(forSeq seq: UInt64) -> Int {
        var low = 0
        var high = checkpoints.count
        while low < high {
            let middle = (low + high) / 2
            if checkpoints[middle].seq <= seq { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? 0 : checkpoints[low - 1].offset
    }
}

import Events
import Glibc

/// Opens an outbox directory after a clean close or a crash: takes the lock, reads the cursors, scans the last
/// segment and truncates a torn or corrupt tail so appending can continue after the last good record.
enum LogRecovery {
    /// Tries to take the lock file, 10 ms apart, before reporting the outbox as open elsewhere.
    static let lockAttempts = 50

    /// Recovers `<dataDirectory>/outbox`, creating it when missing.
    static func recover(dataDirectory: String, uplinks: [String]) throws(OutboxError) -> RecoveredLog {
        let createdData = try FileSystem.makeDirectory(dataDirectory)
        let outboxPath = dataDirectory + "/outbox"
        let createdOutbox = try FileSystem.makeDirectory(outboxPath)
        if createdData { try syncDirectory(parent(of: dataDirectory)) }
        if createdOutbox { try syncDirectory(dataDirectory) }

        let directoryDescriptor = try FileSystem.openFile(outboxPath, flags: O_RDONLY | O_DIRECTORY)
        var lockDescriptor: Int32 = -1
        do throws(OutboxError) {
            let lockPath = outboxPath + "/lock"
            lockDescriptor = try FileSystem.openFile(lockPath, flags: O_RDWR | O_CREAT)
            // A holder may be on its way out (a process exiting, or a child between fork and exec still
            // sharing the descriptor), so wait a little before calling the outbox taken.
            var attempts = 0
            while try !FileSystem.lockExclusively(lockDescriptor, path: lockPath) {
                attempts += 1
                guard attempts < lockAttempts else { throw OutboxError.locked(path: lockPath) }
                usleep(10_000)
            }
            var log = try recoverLocked(
                outboxPath: outboxPath,
                directoryDescriptor: directoryDescriptor,
                uplinks: uplinks
            )
            log.lockDescriptor = lockDescriptor
            return log
        } catch {
            if lockDescriptor >= 0 { FileSystem.closeFile(lockDescriptor) }
            FileSystem.closeFile(directoryDescriptor)
            throw error
        }
    }

    /// Reads the cursor file of `uplink`: nil when there is none.
    static func readCursor(outboxPath: String, uplink: String) throws(OutboxError) -> CursorFile.Contents? {
        let path = cursorPath(outboxPath: outboxPath, uplink: uplink)
        let descriptor: Int32
        do throws(OutboxError) {
            descriptor = try FileSystem.openFile(path, flags: O_RDONLY)
        } catch {
            if case .system(_, _, ENOENT) = error { return nil }
            throw error
        }
        defer { FileSystem.closeFile(descriptor) }
        let bytes = try FileSystem.read(descriptor, offset: 0, count: CursorFile.fileBytes + 1, path: path)
        guard let contents = CursorFile.decode(bytes) else {
            throw OutboxError.corruptCursor(
                path: path,
                contents: String(String(decoding: bytes, as: UTF8.self).prefix(40))
            )
        }
        return contents
    }

    /// `<outbox>/cursor-<uplink>`.
    static func cursorPath(outboxPath: String, uplink: String) -> String {
        outboxPath + "/cursor-" + uplink
    }

    /// Opens, fsyncs and closes directory `path`.
    static func syncDirectory(_ path: String) throws(OutboxError) {
        let descriptor = try FileSystem.openFile(path, flags: O_RDONLY | O_DIRECTORY)
        defer { FileSystem.closeFile(descriptor) }
        try FileSystem.sync(descriptor, path: path)
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func recoverLocked(
        outboxPath: String,
        directoryDescriptor: Int32,
        uplinks: [String]
    ) throws(OutboxError) -> RecoveredLog {
        let names = try FileSystem.listDirectory(outboxPath)
        var directoryChanged = false
        for name in names where name.hasSuffix(".tmp") {
            try FileSystem.remove(outboxPath + "/" + name)
            directoryChanged = true
        }
        var cursors: [String: UInt64] = [:]
        var cursorNextLines: [String: Int] = [:]
        var damagedCursors: [(uplink: String, error: OutboxError)] = []
        for uplink in uplinks {
            do throws(OutboxError) {
                let contents = try readCursor(outboxPath: outboxPath, uplink: uplink)
                cursors[uplink] = contents?.seq ?? 0
                if let line = contents?.line { cursorNextLines[uplink] = 1 - line }
            } catch {
                damagedCursors.append((uplink, error))
            }
        }
        let highestCursor = cursors.values.max() ?? 0

        var firstSeqs = names.compactMap(Segment.firstSeq(fromFileName:)).sorted()
        if firstSeqs.isEmpty {
            let firstSeq = highestCursor + 1
            let path = outboxPath + "/" + Segment.fileName(firstSeq: firstSeq)
            FileSystem.closeFile(try FileSystem.openFile(path, flags: O_WRONLY | O_CREAT | O_EXCL))
            firstSeqs = [firstSeq]
            directoryChanged = true
        }
        // An empty last segment after a roll: continue in the one before it, so a tail lost there in a power
        // cut does not leave a gap in the seqs.
        while firstSeqs.count > 1, let last = firstSeqs.last {
            let path = outboxPath + "/" + Segment.fileName(firstSeq: last)
            guard try FileSystem.dataEnd(ofFile: path) == 0 else { break }
            try FileSystem.remove(path)
            firstSeqs.removeLast()
            directoryChanged = true
        }

        var segments: [Segment] = []
        for firstSeq in firstSeqs.dropLast() {
            let path = outboxPath + "/" + Segment.fileName(firstSeq: firstSeq)
            let size = try FileSystem.dataEnd(ofFile: path)
            segments.append(
                Segment(
                    firstSeq: firstSeq,
                    path: path,
                    size: size,
                    syncedSize: size,
                    descriptor: nil,
                    needsDirectorySync: false
                )
            )
        }
        // A cursor that cannot be read restarts its uplink from the oldest record still held: duplicates are
        // allowed (consumers deduplicate on id), loss is not. The repaired cursor is written at once.
        var reports: [JSONValue] = []
        let restartAfter = (firstSeqs.first ?? highestCursor + 1) - 1
        for (uplink, error) in damagedCursors {
            FileSystem.closeFile(
                try CursorFile.create(
                    restartAfter,
                    path: cursorPath(outboxPath: outboxPath, uplink: uplink),
                    directoryDescriptor: directoryDescriptor,
                    directoryPath: outboxPath
                )
            )
            cursorNextLines[uplink] = 0
            cursors[uplink] = restartAfter
            reports.append(
                [
                    "reason": .string("corrupt-cursor"),
                    "uplink": .string(uplink),
                    "detail": .string(error.description),
                    "restartAfter": .int(Int64(restartAfter)),
                ]
            )
        }
        let lastFirstSeq = firstSeqs.last ?? highestCursor + 1
        var tail = try scanLastSegment(
            path: outboxPath + "/" + Segment.fileName(firstSeq: lastFirstSeq),
            firstSeq: lastFirstSeq
        )
        let appendDescriptor = try FileSystem.openFile(tail.segment.path, flags: O_WRONLY)
        tail.segment.descriptor = appendDescriptor
        segments.append(tail.segment)
        if directoryChanged {
            do throws(OutboxError) {
                try FileSystem.sync(directoryDescriptor, path: outboxPath)
            } catch {
                FileSystem.closeFile(appendDescriptor)
                throw error
            }
        }
        return RecoveredLog(
            outboxPath: outboxPath,
            directoryDescriptor: directoryDescriptor,
            lockDescriptor: -1,
            segments: segments,
            nextSeq: max(tail.nextSeq, highestCursor + 1),
            cursors: cursors,
            cursorNextLines: cursorNextLines,
            recoveredRecords: tail.records,
            reports: reports + tail.reports,
            droppedRecords: tail.droppedRecords,
            droppedBytes: tail.droppedBytes
        )
    }

    /// Scans the last segment: keeps every valid record, skips damage followed by valid records, truncates a
    /// damaged tail, and syncs the file so what was recovered is on disk before anyone reads it.
    private static func scanLastSegment(path: String, firstSeq: UInt64) throws(OutboxError) -> LastSegmentScan {
        let descriptor = try FileSystem.openFile(path, flags: O_RDWR)
        defer { FileSystem.closeFile(descriptor) }
        let fileSize = try FileSystem.size(descriptor, path: path)
        let size = try FileSystem.dataEnd(descriptor, size: fileSize, path: path)
        var segment = Segment(
            firstSeq: firstSeq,
            path: path,
            size: size,
            syncedSize: size,
            descriptor: nil,
            needsDirectorySync: false
        )
        segment.allocatedSize = fileSize
        var scan = LastSegmentScan(segment: segment, nextSeq: firstSeq)
        var scanner = RecordScanner(descriptor: descriptor, path: path, start: 0, end: size)
        var lastSeq: UInt64?
        var openDamage: (offset: Int, bytes: Int)?
        while true {
            switch try scanner.next() {
            case .end:
                if let damage = openDamage {
                    scan.reports.append(report(segment, "corrupt-record", damage.offset, 1, damage.bytes))
                    scan.droppedRecords = scan.droppedRecords.saturatingAdding(1)
                    scan.droppedBytes += damage.bytes
                }
                scan.segment = segment
                if let lastSeq { scan.nextSeq = lastSeq + 1 }
                try FileSystem.syncData(descriptor, path: path)
                return scan
            case .record(let offset, let payload):
                // Counting on from an out-of-order seq would put later appends where readers never look.
                guard let seq = orderedSequenceNumber(of: payload, segmentFirstSeq: firstSeq, after: lastSeq) else {
                    openDamage = (offset, RecordFormat.headerBytes + payload.count)
                    continue
                }
                if let damage = openDamage {
                    let previous = lastSeq ?? (firstSeq > 0 ? firstSeq - 1 : 0)
                    let lost = seq > previous + 1 ? Int(clamping: seq - previous - 1) : 1
                    scan.reports.append(report(segment, "corrupt-record", damage.offset, lost, damage.bytes))
                    scan.droppedRecords = scan.droppedRecords.saturatingAdding(lost)
                    scan.droppedBytes += damage.bytes
                    openDamage = nil
                }
                segment.noteRecord(seq: seq, offset: offset)
                lastSeq = seq
                scan.records += 1
            case .damaged(let offset, let byteCount, let resumed):
                if resumed {
                    openDamage = (offset, byteCount)
                } else {
                    try FileSystem.truncate(descriptor, to: offset, path: path)
                    segment.size = offset
                    segment.syncedSize = offset
                    segment.allocatedSize = offset
                    scan.reports.append(report(segment, "torn-tail", offset, 1, byteCount))
                    scan.droppedRecords = scan.droppedRecords.saturatingAdding(1)
                    scan.droppedBytes += byteCount
                }
            }
        }
    }

    /// The seq of a record that may stand where it does: at or above its segment's first seq and after the
    /// previous valid record's. Anything else is damage that kept a valid checksum; recovery and reading both
    /// apply this rule, so neither counts on from it nor hands it out of order.
    static func orderedSequenceNumber(
        of payload: ArraySlice<UInt8>,
        segmentFirstSeq: UInt64,
        after previous: UInt64?
    ) -> UInt64? {
        guard let seq = sequenceNumber(of: payload), seq >= segmentFirstSeq, previous.map({ seq > $0 }) ?? true
        else { return nil }
        return seq
    }

    /// The seq of a record, read from its payload prefix or, failing that, by decoding the event.
    static func sequenceNumber(of payload: ArraySlice<UInt8>) -> UInt64? {
        if let seq = RecordFormat.sequenceNumber(inPayload: payload) { return seq }
        guard let json = try? JSONValue(parsing: payload), let event = try? Event(json: json) else { return nil }
        return event.seq
    }

    private static func report(
        _ segment: Segment,
        _ reason: String,
        _ offset: Int,
        _ records: Int,
        _ bytes: Int
    ) -> JSONValue {
        [
            "segment": .string(segment.fileName),
            "reason": .string(reason),
            "offset": .int(Int64(offset)),
            "droppedRecords": .int(Int64(records)),
            "droppedBytes": .int(Int64(bytes)),
        ]
    }
}

import Events
import Glibc

extension Outbox {
    /// What `uplink` has acknowledged so far (0 before anything was delivered).
    public func cursor(for uplink: String) throws(OutboxError) -> UInt64 {
        guard let cursor = cursors[uplink] else { throw OutboxError.unknownUplink(uplink) }
        return cursor
    }

    /// Records that `uplink` delivered everything through `seq`, durably (temp file, fsync, rename, fsync of the
    /// directory) before returning; then removes segments every uplink is past. A lower `seq` than the cursor
    /// changes nothing.
    public func acknowledge(_ uplink: String, through seq: UInt64) async throws(OutboxError) {
        guard !closed else { throw OutboxError.closed(path: outboxPath) }
        guard let current = cursors[uplink] else { throw OutboxError.unknownUplink(uplink) }
        guard seq <= durableSeq else {
            throw OutboxError.cursorBeyondEnd(uplink: uplink, seq: seq, lastSeq: durableSeq)
        }
        let requested = max(seq, requestedCursors[uplink] ?? current)
        guard requested > current else { return }
        requestedCursors[uplink] = requested
        let path = LogRecovery.cursorPath(outboxPath: outboxPath, uplink: uplink)
        let directoryDescriptor = self.directoryDescriptor
        let directoryPath = outboxPath
        acknowledgementsInFlight += 1
        defer {
            acknowledgementsInFlight -= 1
            notifyIfIdle()
        }
        try await io.run { () throws(OutboxError) in
            try Self.writeCursor(
                requested,
                path: path,
                directoryDescriptor: directoryDescriptor,
                directoryPath: directoryPath
            )
        }
        if requested > cursors[uplink] ?? 0 { cursors[uplink] = requested }
        removeDeliveredSegments()
    }

    /// Writes `value` to `path` atomically: temp file, fsync, rename over, fsync of the directory.
    nonisolated static func writeCursor(
        _ value: UInt64,
        path: String,
        directoryDescriptor: Int32,
        directoryPath: String
    ) throws(OutboxError) {
        let temporary = path + ".tmp"
        let descriptor = try FileSystem.openFile(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do throws(OutboxError) {
            try FileSystem.writeAll(descriptor, Array("\(value)\n".utf8), path: temporary)
            try FileSystem.sync(descriptor, path: temporary)
        } catch {
            FileSystem.closeFile(descriptor)
            throw error
        }
        FileSystem.closeFile(descriptor)
        try FileSystem.rename(temporary, to: path)
        try FileSystem.sync(directoryDescriptor, path: directoryPath)
    }

    /// Removes the oldest segments whose every record all uplinks have acknowledged; never the active one.
    private func removeDeliveredSegments() {
        guard !uplinks.isEmpty, let slowest = cursors.values.min() else { return }
        while segments.count > 1, segments[0].descriptor == nil, segments[1].firstSeq <= slowest + 1 {
            guard (try? FileSystem.remove(segments[0].path)) != nil else { break }
            usedBytes -= segments[0].size
            segments.removeFirst()
        }
        lowerQuotaLevel()
    }
}

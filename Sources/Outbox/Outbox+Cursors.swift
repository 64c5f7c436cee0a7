import Events
import Glibc

extension Outbox {
    /// What `uplink` has acknowledged so far (0 before anything was delivered).
    public func cursor(for uplink: String) throws(OutboxError) -> UInt64 {
        guard let cursor = cursors[uplink] else { throw OutboxError.unknownUplink(uplink) }
        return cursor
    }

    /// How long an acknowledged cursor may live only in memory. A crash within it makes that uplink send up to
    /// this much again (delivery is at-least-once; consumers deduplicate on `id`); in return a steady flow writes
    /// each cursor file (one line in place and an `fdatasync`) once per interval instead of once per event.
    static let cursorStoreInterval: Duration = .seconds(1)

    /// Records that `uplink` delivered everything through `seq`. The cursor file is written at once when that
    /// lets a segment go (so a full outbox frees room without delay) or the last write is an interval old, else
    /// within `cursorStoreInterval`, and always by `close`. A lower `seq` than the cursor changes nothing. Throws
    /// a cursor write's failure, or the one a deferred write met since the last call.
    public func acknowledge(_ uplink: String, through seq: UInt64) async throws(OutboxError) {
        guard !closed else { throw OutboxError.closed(path: outboxPath) }
        guard let current = cursors[uplink] else { throw OutboxError.unknownUplink(uplink) }
        guard seq <= durableSeq else {
            throw OutboxError.cursorBeyondEnd(uplink: uplink, seq: seq, lastSeq: durableSeq)
        }
        if let failure = deferredCursorFailure {
            deferredCursorFailure = nil
            throw failure
        }
        guard seq > current else { return }
        cursors[uplink] = seq
        let due = lastCursorStore.map { ContinuousClock.now - $0 >= Self.cursorStoreInterval } ?? true
        if due || deliveredSegmentCount(slowest: cursors.values.min() ?? 0) > 0 {
            try await storeCursors()
        } else if cursorStoreTimer == nil {
            let delay = Self.cursorStoreInterval - (lastCursorStore.map { ContinuousClock.now - $0 } ?? .zero)
            cursorStoreTimer = Task(executorPreference: taskExecutor) { [sleep] in
                await sleep(delay)
                await self.cursorTimerFired()
            }
        }
    }

    private func cursorTimerFired() async {
        guard cursorStoreTimer != nil, !closed else { return }
        cursorStoreTimer = nil
        do throws(OutboxError) {
            try await storeCursors()
        } catch {
            deferredCursorFailure = error
        }
    }

    /// Writes every cursor that moved since it was last stored, then removes segments all uplinks are past.
    func storeCursors() async throws(OutboxError) {
        cursorStoreTimer?.cancel()
        cursorStoreTimer = nil
        lastCursorStore = ContinuousClock.now
        let moved = cursors.filter { storedCursors[$0.key] != $0.value }.sorted { $0.key < $1.key }
        guard !moved.isEmpty else { return }
        acknowledgementsInFlight += 1
        defer {
            acknowledgementsInFlight -= 1
            notifyIfIdle()
        }
        for (uplink, value) in moved {
            let path = LogRecovery.cursorPath(outboxPath: outboxPath, uplink: uplink)
            // The I/O queue is serial and cursors only grow, so the last write of a file is its highest value. The
            // line is taken before the write, so a store that overlaps this one writes the other line.
            let line = cursorNextLines[uplink]
            cursorNextLines[uplink] = 1 - (line ?? 1)
            let known = cursorDescriptors[uplink]
            let descriptor: Int32
            do throws(OutboxError) {
                descriptor = try await storeCursor(value, path: path, line: line, known: known)
            } catch {
                // Not created: the next store creates it again rather than writing a line into what is there.
                if line == nil { cursorNextLines[uplink] = nil }
                throw error
            }
            if descriptor != known {
                if closed || cursorDescriptors[uplink] != nil {
                    FileSystem.closeFile(descriptor)
                } else {
                    cursorDescriptors[uplink] = descriptor
                }
            }
            storedCursors[uplink] = max(storedCursors[uplink] ?? 0, value)
        }
        removeDeliveredSegments()
    }

    /// On the I/O queue: creates the cursor file (`line` nil) or writes `line` of it in place. Returns the file's
    /// descriptor, opened here unless `known`.
    private func storeCursor(
        _ value: UInt64,
        path: String,
        line: Int?,
        known: Int32?
    ) async throws(OutboxError) -> Int32 {
        let directoryDescriptor = self.directoryDescriptor
        let directoryPath = outboxPath
        return try await io.run { () throws(OutboxError) in
            guard let line else {
                return try CursorFile.create(
                    value,
                    path: path,
                    directoryDescriptor: directoryDescriptor,
                    directoryPath: directoryPath
                )
            }
            let descriptor: Int32
            if let known { descriptor = known } else { descriptor = try FileSystem.openFile(path, flags: O_WRONLY) }
            do throws(OutboxError) {
                try CursorFile.store(value, line: line, descriptor: descriptor, path: path)
            } catch {
                if known == nil { FileSystem.closeFile(descriptor) }
                throw error
            }
            return descriptor
        }
    }

    /// How many of the oldest segments hold only records every uplink is past at `slowest`; never the active one.
    private func deliveredSegmentCount(slowest: UInt64) -> Int {
        guard !uplinks.isEmpty else { return 0 }
        var count = 0
        while count + 1 < segments.count, segments[count].descriptor == nil, segments[count + 1].firstSeq <= slowest + 1
        {
            count += 1
        }
        return count
    }

    /// Removes the oldest segments whose every record all uplinks have acknowledged in a stored cursor file.
    private func removeDeliveredSegments() {
        let slowest = storedCursors.values.min() ?? 0
        for _ in 0..<deliveredSegmentCount(slowest: slowest) {
            guard (try? FileSystem.remove(segments[0].path)) != nil else { break }
            usedBytes -= segments[0].size
            segments.removeFirst()
        }
        lowerQuotaLevel()
    }
}

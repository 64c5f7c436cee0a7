import Events
import Glibc
import IOEngine

extension Outbox {
    /// Stamps an event (next seq, a UUIDv7 id, the current time), appends it and returns it once it is durable
    /// under the fsync policy. Throws `OutboxError.full` when the quota is used up, and the write or sync error
    /// when the disk failed (the segment is then abandoned and an `outbox.fault` event reports it).
    public func append(_ type: EventType, device: String, data: JSONValue) async throws(OutboxError) -> Event {
        let (event, ticket) = try enqueue(type, device: device, data: data)
        try await ticket.wait()
        return event
    }

    /// Stamps and writes an event now and returns it with its durability ticket, without waiting for the sync:
    /// the group commit that covers it runs while the caller goes on. Readers, subscribers and uplinks see the
    /// event only once the ticket resolves. Throws at once what `append` throws before its sync.
    public func enqueue(
        _ type: EventType,
        device: String,
        data: JSONValue
    ) throws(OutboxError) -> (event: Event, ticket: DurabilityTicket) {
        drainReports()
        let ticket = DurabilityTicket()
        let event = try write(type, device: device, data: data, ticket: ticket)
        raiseQuotaLevel()
        return (event, ticket)
    }

    /// `enqueue` from outside the outbox. On the loop thread the outbox lives on (a driver's task that prefers the
    /// loop) it runs in place: the loop runs one thing at a time, so the caller is isolated to the outbox already and
    /// a hop to the actor and back (two jobs per event) would buy nothing. Elsewhere it hops as any call does.
    public nonisolated func enqueueFromLoop(
        _ type: EventType,
        device: String,
        data: JSONValue
    ) async throws(OutboxError) -> (event: Event, ticket: DurabilityTicket) {
        guard let loop = executor as? LoopActorExecutor, loop.isCurrent else {
            return try await enqueue(type, device: device, data: data)
        }
        return try enqueueInPlace(type, device: device, data: data).get()
    }

    private nonisolated func enqueueInPlace(
        _ type: EventType,
        device: String,
        data: JSONValue
    ) -> Result<(event: Event, ticket: DurabilityTicket), OutboxError> {
        assumeIsolated { outbox in
            Result { () throws(OutboxError) in try outbox.enqueue(type, device: device, data: data) }
        }
    }

    /// Queues one of the outbox's own events and writes it (and any queued before it) now if possible.
    func appendReport(_ type: EventType, data: JSONValue) {
        reportObserver?(type, data)
        pendingReports.append((type, data))
        drainReports()
    }

    /// Writes queued reports in order, stopping at the first that cannot be written.
    func drainReports() {
        guard !drainingReports, !closed else { return }
        drainingReports = true
        defer { drainingReports = false }
        while let report = pendingReports.first {
            guard (try? write(report.type, device: Self.reportDevice, data: report.data, ticket: nil)) != nil else {
                return
            }
            pendingReports.removeFirst()
        }
    }

    /// Stamps, encodes and writes one event to the active segment and queues it for the next sync. `ticket` is
    /// nil for the outbox's own reports.
    private func write(
        _ type: EventType,
        device: String,
        data: JSONValue,
        ticket: DurabilityTicket?
    ) throws(OutboxError)
        -> Event
    {
        let isReport = ticket == nil
        guard !closed else { throw OutboxError.closed(path: outboxPath) }
        guard nextSeq <= RecordFormat.maximumSeq else { throw OutboxError.seqExhausted(lastSeq: nextSeq - 1) }
        let time = EventTime.now()
        let event = Event(
            id: makeID(time: time),
            seq: nextSeq,
            site: site,
            controller: controller,
            device: device,
            type: type,
            time: time,
            data: data
        )
        let payload = event.jsonBytes
        guard payload.count <= RecordFormat.maximumPayloadBytes else {
            throw OutboxError.eventTooLarge(bytes: payload.count, limit: RecordFormat.maximumPayloadBytes)
        }
        let record = RecordFormat.encode(payload: payload)
        if !isReport { try ensureRoom(forRecordBytes: record.count) }
        let index = try activeSegmentIndex(forRecordBytes: record.count)
        let path = segments[index].path
        do throws(OutboxError) {
            guard let descriptor = segments[index].descriptor else {
                throw FileSystem.failure("write", path, EBADF)
            }
            if !injectedWriteFailures.isEmpty {
                throw FileSystem.failure("write", path, injectedWriteFailures.removeFirst())
            }
            try preallocate(segmentIndex: index, through: segments[index].size + record.count, descriptor: descriptor)
            try FileSystem.writeAll(descriptor, record, at: segments[index].size, path: path)
        } catch {
            abandonAfterWriteFailure(segmentIndex: index, error: error, isReport: isReport)
            throw error
        }
        let offset = segments[index].size
        segments[index].size += record.count
        segments[index].noteRecord(seq: event.seq, offset: offset)
        usedBytes += record.count
        nextSeq += 1
        pending.append(
            PendingAppend(
                event: event,
                json: payload,
                segmentFirstSeq: segments[index].firstSeq,
                recordBytes: record.count,
                ticket: ticket
            )
        )
        pendingBytes += record.count
        scheduleFlush()
        return event
    }

    /// Zero-fills the segment ahead of its records, `preallocationBytes` at a time (never past `segmentBytes`
    /// unless one record is larger): a record then overwrites blocks the file already holds, so the sync that
    /// covers it writes the data alone, not the inode as well. Recovery treats trailing zeros as unwritten (no
    /// record ends in a zero byte).
    private func preallocate(segmentIndex index: Int, through end: Int, descriptor: Int32) throws(OutboxError) {
        let allocated = max(segments[index].allocatedSize, segments[index].size)
        guard end > allocated else { return }
        let target = max(end, min(allocated + Self.preallocationBytes, segmentBytes))
        try FileSystem.writeAll(
            descriptor,
            [UInt8](repeating: 0, count: target - allocated),
            at: allocated,
            path: segments[index].path
        )
        segments[index].allocatedSize = target
    }

    private func makeID(time: EventTime) -> EventID {
        if time.millisecondsSinceEpoch == idMillisecond {
            idSequence &+= 1
        } else {
            idMillisecond = time.millisecondsSinceEpoch
            idSequence = 0
        }
        return EventID(time: time, sequence: idSequence, using: &random)
    }

    /// The index of the segment to write a record of `recordBytes` to, rolling to a new one when the active
    /// segment is full or was abandoned.
    private func activeSegmentIndex(forRecordBytes recordBytes: Int) throws(OutboxError) -> Int {
        if !needsNewSegment, let last = segments.indices.last, segments[last].descriptor != nil {
            let size = segments[last].size
            if size == 0 || size + recordBytes <= segmentBytes { return last }
        }
        needsNewSegment = true
        try openSegment(firstSeq: nextSeq)
        needsNewSegment = false
        closeRetiredSegments()
        return segments.count - 1
    }

    /// Creates `seg-<firstSeq>.log`; its directory entry is synced with the first sync of its records.
    private func openSegment(firstSeq: UInt64) throws(OutboxError) {
        // Only an abandoned empty segment can already hold this name.
        while let last = segments.last, last.firstSeq >= firstSeq, last.size == 0 {
            if let descriptor = last.descriptor { FileSystem.closeFile(descriptor) }
            try FileSystem.remove(last.path)
            segments.removeLast()
        }
        let path = outboxPath + "/" + Segment.fileName(firstSeq: firstSeq)
        let descriptor = try FileSystem.openFile(path, flags: O_WRONLY | O_CREAT | O_EXCL)
        segments.append(
            Segment(
                firstSeq: firstSeq,
                path: path,
                size: 0,
                syncedSize: 0,
                descriptor: descriptor,
                needsDirectorySync: true
            )
        )
    }

    /// Closes segments that are no longer written to once everything in them is synced.
    func closeRetiredSegments() {
        for index in segments.indices where index < segments.count - 1 || needsNewSegment {
            let segment = segments[index]
            guard segment.descriptor != nil, segment.size == segment.syncedSize, !segment.needsDirectorySync
            else { continue }
            closeSegmentFile(at: index)
        }
    }

    /// Closes a segment's descriptor once nothing more is written to it, cutting off the zeros ahead of its last
    /// record first (recovery would skip them, but they take disk).
    func closeSegmentFile(at index: Int) {
        let segment = segments[index]
        guard let descriptor = segment.descriptor else { return }
        if segment.allocatedSize > segment.size,
            (try? FileSystem.truncate(descriptor, to: segment.size, path: segment.path)) != nil
        {
            segments[index].allocatedSize = segment.size
        }
        FileSystem.closeFile(descriptor)
        segments[index].descriptor = nil
    }

    /// After a failed write: cut the partial record off and stop writing to that segment (an empty one is kept,
    /// it holds nothing), then report the fault.
    private func abandonAfterWriteFailure(segmentIndex index: Int, error: OutboxError, isReport: Bool) {
        let segment = segments[index]
        var truncated = false
        if let descriptor = segment.descriptor {
            truncated = (try? FileSystem.truncate(descriptor, to: segment.size, path: segment.path)) != nil
            if truncated { segments[index].allocatedSize = segment.size }
        }
        if segment.size > 0 || !truncated {
            needsNewSegment = true
            closeRetiredSegments()
        }
        guard !isReport else { return }
        var data = faultData(reason: "write-failed", segment: segment, error: error)
        if case .object(var members) = data {
            members.append(("truncated", .bool(truncated)))
            data = .object(members)
        }
        appendReport(.outboxFault, data: data)
    }

    /// The data of an `outbox.fault` event.
    func faultData(reason: String, segment: Segment, error: OutboxError) -> JSONValue {
        var members: [(String, JSONValue)] = [("reason", .string(reason)), ("segment", .string(segment.fileName))]
        if case .system(let operation, _, let code) = error {
            members.append(("operation", .string(operation)))
            members.append(("errno", .int(Int64(code))))
        }
        members.append(("error", .string(error.description)))
        return .object(members)
    }

    /// Throws `full` (reporting it once) when a record of `recordBytes` does not fit under the quota minus the
    /// reserve; without uplinks, the oldest segments are removed first to make room.
    private func ensureRoom(forRecordBytes recordBytes: Int) throws(OutboxError) {
        let limit = quotaBytes - reserveBytes
        if usedBytes + recordBytes > limit && uplinks.isEmpty {
            evictOldestSegments(untilFits: recordBytes, limit: limit)
        }
        guard usedBytes + recordBytes > limit else {
            fullReported = false
            return
        }
        if !fullReported {
            fullReported = true
            appendReport(.outboxQuota, data: quotaData(level: "full"))
        }
        throw OutboxError.full(usedBytes: usedBytes, quotaBytes: quotaBytes)
    }

    /// Without uplinks nobody is owed old events: drop whole segments, oldest first, to make room.
    private func evictOldestSegments(untilFits recordBytes: Int, limit: Int) {
        while usedBytes + recordBytes > limit, segments.count > 1, segments[0].descriptor == nil {
            guard (try? FileSystem.remove(segments[0].path)) != nil else { return }
            usedBytes -= segments[0].size
            segments.removeFirst()
            evictedSegments += 1
        }
        lowerQuotaLevel()
    }

    /// Appends an `outbox.quota` alarm for each threshold crossed upward since the last one.
    func raiseQuotaLevel() {
        while true {
            let level = QuotaLevel(usedBytes: usedBytes, quotaBytes: quotaBytes)
            guard level > quotaLevel, let next = QuotaLevel(rawValue: quotaLevel.rawValue + 1) else {
                lowerQuotaLevel()
                return
            }
            quotaLevel = next
            appendReport(.outboxQuota, data: quotaData(level: next == .warning ? "warning" : "critical"))
        }
    }

    /// Re-arms the alarms after disk use fell below a threshold.
    func lowerQuotaLevel() {
        quotaLevel = min(quotaLevel, QuotaLevel(usedBytes: usedBytes, quotaBytes: quotaBytes))
    }

    private func quotaData(level: String) -> JSONValue {
        [
            "usedBytes": .int(Int64(usedBytes)),
            "quotaBytes": .int(Int64(quotaBytes)),
            "percent": .int(Int64(usedBytes * 100 / quotaBytes)),
            "level": .string(level),
        ]
    }
}

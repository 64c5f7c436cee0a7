import Events
import Glibc

extension Outbox {
    /// The newest durable event, nil while there is none.
    public func newestEvent() async throws -> Event? {
        guard durableSeq > 0 else { return nil }
        return try await events(after: durableSeq - 1, limit: 1).first
    }

    /// Durable events with seq greater than `seq`, oldest first, at most `limit`; waits while there are none
    /// (woken by the next durable append). Cancellation ends the wait with `CancellationError`.
    public func events(after seq: UInt64, limit: Int) async throws -> [Event] {
        try await storedEvents(after: seq, limit: limit).map(\.event)
    }

    /// `events(after:limit:)` with each event's record payload, its wire JSON: the uplinks send it as stored.
    public func storedEvents(after seq: UInt64, limit: Int) async throws -> [StoredEvent] {
        guard limit > 0 else { return [] }
        while true {
            try Task.checkCancellation()
            guard !closed else { throw OutboxError.closed(path: outboxPath) }
            if durableSeq > seq {
                if let recent = recentEvents(after: seq, limit: limit) { return recent }
                let found = try readStoredEvents(after: seq, limit: limit, reportDamage: true)
                if !found.isEmpty { return found }
            }
            await waitForDurableAppend()
        }
    }

    /// Events after `seq` from the in-memory tail, when it holds the next one.
    private func recentEvents(after seq: UInt64, limit: Int) -> [StoredEvent]? {
        guard let first = recentEvents.first?.event, let last = recentEvents.last?.event, seq >= first.seq - 1,
            seq < last.seq
        else { return nil }
        let start = Int(seq + 1 - first.seq)
        return Array(recentEvents[start..<min(recentEvents.count, start + limit)])
    }

    private func waitForDurableAppend() async {
        let id = nextWaiterID
        nextWaiterID += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled || closed {
                    continuation.resume()
                } else {
                    readers[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.cancelReader(id) }
        }
    }

    private func cancelReader(_ id: Int) {
        readers.removeValue(forKey: id)?.resume()
    }

    /// Reads durable events after `seq` from the segments, starting each segment scan at the nearest checkpoint.
    /// Damaged records are skipped, counted and (once each) reported with an `outbox.corrupt` event. Never waits:
    /// `package` so the fuzz target (`Tests/Fuzz/FuzzOutbox`) can read a damaged log without blocking.
    package func readEvents(after seq: UInt64, limit: Int, reportDamage: Bool) throws(OutboxError) -> [Event] {
        try readStoredEvents(after: seq, limit: limit, reportDamage: reportDamage).map(\.event)
    }

    /// `readEvents` with each event's record payload.
    private func readStoredEvents(
        after seq: UInt64,
        limit: Int,
        reportDamage: Bool
    ) throws(OutboxError) -> [StoredEvent] {
        var events: [StoredEvent] = []
        guard limit > 0, durableSeq > seq else { return events }
        let target = seq + 1
        var damages: [(segment: Segment, offset: Int, records: Int, bytes: Int)] = []
        var index = segmentIndex(forSeq: target)
        var reachedDurableEnd = false
        while index < segments.count, events.count < limit, !reachedDurableEnd {
            let segment = segments[index]
            let upperSeq = index + 1 < segments.count ? segments[index + 1].firstSeq : UInt64.max
            guard segment.firstSeq <= durableSeq else { break }
            let descriptor = try FileSystem.openFile(segment.path, flags: O_RDONLY)
            defer { FileSystem.closeFile(descriptor) }
            var scanner = RecordScanner(
                descriptor: descriptor,
                path: segment.path,
                start: segment.scanStart(forSeq: target),
                end: segment.size
            )
            var previousSeq: UInt64?
            var openDamage: (offset: Int, bytes: Int)?
            scanning: while events.count < limit {
                switch try scanner.next() {
                case .end:
                    break scanning
                case .record(let offset, let payload):
                    guard
                        let recordSeq = LogRecovery.orderedSequenceNumber(
                            of: payload,
                            segmentFirstSeq: segment.firstSeq,
                            after: previousSeq
                        )
                    else {
                        openDamage = (offset, RecordFormat.headerBytes + payload.count)
                        continue
                    }
                    if recordSeq >= upperSeq { break scanning }
                    if recordSeq > durableSeq {
                        reachedDurableEnd = true
                        break scanning
                    }
                    if let damage = openDamage {
                        let previous = previousSeq ?? recordSeq
                        let lost = recordSeq > previous + 1 ? Int(clamping: recordSeq - previous - 1) : 1
                        damages.append((segment, damage.offset, lost, damage.bytes))
                        openDamage = nil
                    }
                    previousSeq = recordSeq
                    segments[index].noteRecord(seq: recordSeq, offset: offset)
                    guard recordSeq >= target else { continue }
                    // The event must carry the seq its record was filed under (a second `seq` member is damage).
                    if let json = try? JSONValue(parsing: payload), let event = try? Event(json: json),
                        event.seq == recordSeq
                    {
                        events.append(StoredEvent(event: event, json: Array(payload)))
                    } else {
                        damages.append((segment, offset, 1, RecordFormat.headerBytes + payload.count))
                    }
                case .damaged(let offset, let byteCount, let resumed):
                    if resumed {
                        openDamage = (offset, byteCount)
                    } else {
                        damages.append((segment, offset, 1, byteCount))
                    }
                }
            }
            if let damage = openDamage { damages.append((segment, damage.offset, 1, damage.bytes)) }
            index += 1
        }
        if reportDamage {
            for damage in damages {
                let key = "\(damage.segment.firstSeq)@\(damage.offset)"
                guard !reportedDamage.contains(key) else { continue }
                reportedDamage.insert(key)
                droppedRecords = droppedRecords.saturatingAdding(damage.records)
                droppedBytes += damage.bytes
                appendReport(
                    .outboxCorrupt,
                    data: [
                        "segment": .string(damage.segment.fileName),
                        "offset": .int(Int64(damage.offset)),
                        "droppedRecords": .int(Int64(damage.records)),
                        "droppedBytes": .int(Int64(damage.bytes)),
                    ]
                )
            }
        }
        return events
    }

    /// The last segment whose first seq is at most `seq` (the first segment when all start later).
    private func segmentIndex(forSeq seq: UInt64) -> Int {
        var low = 0
        var high = segments.count
        while low < high {
            let middle = (low + high) / 2
            if segments[middle].firstSeq <= seq { low = middle + 1 } else { high = middle }
        }
        return max(0, low - 1)
    }
}

import Events
import IOEngine

extension Outbox {
    /// Arranges a sync for what was just written: at once under `.always`, at the end of the group-commit window
    /// otherwise (or at once when the batch is large).
    func scheduleFlush() {
        switch policy {
        case .always:
            flushDue = true
        case .groupCommit(let maxDelay):
            if pendingBytes >= Self.groupCommitMaxBytes {
                flushDue = true
            } else if !flushDue && flushTimer == nil {
                startTimer(maxDelay)
            }
        }
        if flushDue && !flushInFlight { startFlush() }
    }

    private func startTimer(_ delay: Duration) {
        flushGeneration += 1
        let generation = flushGeneration
        flushTimer = Task(executorPreference: taskExecutor) { [sleep] in
            await sleep(delay)
            await self.timerFired(generation: generation)
        }
    }

    private func timerFired(generation: Int) {
        guard generation == flushGeneration, flushTimer != nil else { return }
        flushTimer = nil
        flushDue = true
        if !flushInFlight { startFlush() }
    }

    /// Starts one sync covering everything written so far; at most one is in flight. The sync runs on the I/O
    /// queue, handed there straight from the actor (no task in between), and reports back with `completeFlush`.
    func startFlush() {
        guard !flushInFlight else { return }
        flushTimer?.cancel()
        flushTimer = nil
        flushGeneration += 1
        flushDue = false
        var requests: [SyncRequest] = []
        for segment in segments {
            guard let descriptor = segment.descriptor, segment.size > segment.syncedSize || segment.needsDirectorySync
            else { continue }
            requests.append(
                SyncRequest(
                    segmentFirstSeq: segment.firstSeq,
                    descriptor: descriptor,
                    path: segment.path,
                    size: segment.size,
                    syncData: segment.size > segment.syncedSize,
                    syncDirectory: segment.needsDirectorySync
                )
            )
        }
        let batch = pending
        pending = []
        pendingBytes = 0
        guard !requests.isEmpty || !batch.isEmpty else {
            notifyIfIdle()
            return
        }
        flushInFlight = true
        syncCount += 1
        let injected = injectedSyncFailures.isEmpty ? nil : injectedSyncFailures.removeFirst()
        let directoryDescriptor = self.directoryDescriptor
        let directoryPath = outboxPath
        io.submit { [self, requests] in
            let syncStarted = ContinuousClock.now
            let failure = Self.sync(
                requests,
                directoryDescriptor: directoryDescriptor,
                directoryPath: directoryPath,
                injected: injected
            )
            let syncDuration = ContinuousClock.now - syncStarted
            isolated { outbox in
                outbox.completeFlush(requests: requests, batch: batch, failure: failure, took: syncDuration)
            }
        }
    }

    /// Runs `body` on the outbox from another thread: on a loop's thread without a task when the outbox lives on
    /// the loop (a sync's report costs a closure, not a task and its hop to the actor), in a task otherwise.
    private nonisolated func isolated(_ body: @escaping @Sendable (isolated Outbox) -> Void) {
        if let loop = executor as? LoopActorExecutor {
            loop.execute { self.assumeIsolated(body) }
        } else {
            Task(executorPreference: taskExecutor) { await body(self) }
        }
    }

    /// The blocking part, on the I/O queue: sync each segment's data, then the directory once if a segment is new.
    private nonisolated static func sync(
        _ requests: [SyncRequest],
        directoryDescriptor: Int32,
        directoryPath: String,
        injected: Int32?
    ) -> SyncFailure? {
        var directoryRequest: Int?
        for (index, request) in requests.enumerated() {
            if request.syncData {
                do throws(OutboxError) {
                    if let injected { throw FileSystem.failure("fdatasync", request.path, injected) }
                    try FileSystem.syncData(request.descriptor, path: request.path)
                } catch {
                    return SyncFailure(requestIndex: index, error: error)
                }
            }
            if request.syncDirectory && directoryRequest == nil { directoryRequest = index }
        }
        if let directoryRequest {
            do throws(OutboxError) {
                try FileSystem.sync(directoryDescriptor, path: directoryPath)
            } catch {
                return SyncFailure(requestIndex: directoryRequest, error: error)
            }
        }
        return nil
    }

    private func completeFlush(
        requests: [SyncRequest],
        batch: [PendingAppend],
        failure: SyncFailure?,
        took syncDuration: Duration
    ) {
        flushInFlight = false
        fsyncLatency.record(syncDuration)
        for request in requests.prefix(failure?.requestIndex ?? requests.count) {
            guard let index = segments.firstIndex(where: { $0.firstSeq == request.segmentFirstSeq }) else { continue }
            segments[index].syncedSize = max(segments[index].syncedSize, request.size)
            if request.syncDirectory { segments[index].needsDirectorySync = false }
        }
        if let failure {
            abandonAfterSyncFailure(request: requests[failure.requestIndex], error: failure.error, batch: batch)
        } else {
            publish(batch)
        }
        closeRetiredSegments()
        // Someone waiting for idle (close) wants what was written meanwhile (e.g. the fault report) synced now,
        // not at the end of the group-commit window.
        if (flushDue || !idleWaiters.isEmpty) && !pending.isEmpty { startFlush() }
        notifyIfIdle()
    }

    /// Resolves the tickets of `batch`, hands the events to subscribers and wakes waiting readers.
    private func publish(_ batch: [PendingAppend]) {
        guard let last = batch.last else { return }
        durableSeq = max(durableSeq, last.event.seq)
        rememberRecent(batch.map { StoredEvent(event: $0.event, json: $0.json) })
        for entry in batch {
            entry.ticket?.resolve(.success(()))
            for subscriber in subscribers.values { subscriber.yield(entry.event) }
        }
        let waiting = readers
        readers = [:]
        for reader in waiting.values { reader.resume() }
    }

    /// A failed sync is fatal for its segment (the kernel may already have dropped the dirty pages, so syncing
    /// again proves nothing): every record not yet durable there and after it is given up, their tickets get
    /// the error, the segment is cut back to its synced size, and appending continues in a new segment that
    /// reuses the lost seqs, starting with an `outbox.fault` event.
    private func abandonAfterSyncFailure(request: SyncRequest, error: OutboxError, batch: [PendingAppend]) {
        let failedFirstSeq = request.segmentFirstSeq
        publish(batch.filter { $0.segmentFirstSeq < failedFirstSeq })
        let lost = batch.filter { $0.segmentFirstSeq >= failedFirstSeq } + pending
        pending = []
        pendingBytes = 0
        let firstLost = lost.map(\.event.seq).min() ?? nextSeq
        guard let failedIndex = segments.firstIndex(where: { $0.firstSeq == failedFirstSeq }) else { return }
        var failed = segments[failedIndex]
        for later in segments[(failedIndex + 1)...] {
            if let descriptor = later.descriptor { FileSystem.closeFile(descriptor) }
            if (try? FileSystem.remove(later.path)) != nil { usedBytes -= later.size }
        }
        segments.removeSubrange((failedIndex + 1)...)
        if let descriptor = failed.descriptor {
            if (try? FileSystem.truncate(descriptor, to: failed.syncedSize, path: failed.path)) != nil {
                usedBytes -= failed.size - failed.syncedSize
                failed.size = failed.syncedSize
                failed.allocatedSize = failed.syncedSize
                failed.checkpoints.removeAll { $0.offset >= failed.size }
            }
            FileSystem.closeFile(descriptor)
            failed.descriptor = nil
        }
        if failed.firstSeq >= firstLost, (try? FileSystem.remove(failed.path)) != nil {
            usedBytes -= failed.size
            segments.remove(at: failedIndex)
        } else {
            segments[failedIndex] = failed
        }
        nextSeq = firstLost
        needsNewSegment = true
        for entry in lost {
            entry.ticket?.resolve(.failure(error))
        }
        var data = faultData(reason: "fsync-failed", segment: failed, error: error)
        if case .object(var members) = data {
            members.append(("lostFromSeq", .int(Int64(clamping: firstLost))))
            members.append(("lostRecords", .int(Int64(lost.count))))
            data = .object(members)
        }
        lowerQuotaLevel()
        appendReport(.outboxFault, data: data)
    }

    /// Keeps the newest durable events (at least `recentEventsCapacity`) for tail readers; a gap in seqs (never
    /// expected) starts the window over. The oldest are dropped once twice that many are kept, not one per event:
    /// each drop moves every event kept (per event, that was the largest copy the daemon made).
    private func rememberRecent(_ events: [StoredEvent]) {
        guard let first = events.first?.event else { return }
        if let last = recentEvents.last?.event, first.seq != last.seq + 1 { recentEvents.removeAll() }
        recentEvents += events
        if recentEvents.count > 2 * Self.recentEventsCapacity {
            recentEvents.removeFirst(recentEvents.count - Self.recentEventsCapacity)
        }
    }
}

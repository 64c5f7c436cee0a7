import Events

/// An in-memory `EventLog` for tests: events appended by the test, per-uplink cursors, and a record of every
/// acknowledgement so a test can check they only move forward.
actor MemoryEventLog: EventLog {
    private(set) var events: [Event] = []
    private var cursors: [String: UInt64] = [:]
    private var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter: UInt64 = 0
    /// Every `through` passed to `acknowledge`, in call order.
    private(set) var acknowledgements: [UInt64] = []
    /// Events before this seq are gone, as an outbox deletes segments every uplink has passed.
    private(set) var oldestRetained: UInt64 = 1
    /// A read after exactly this seq waits until `release()` (to hold a replay in the middle).
    private var holdAfter: UInt64?
    private var held: [CheckedContinuation<Void, Never>] = []

    /// Forgets every event through `seq`: reads start after it.
    func forget(through seq: UInt64) {
        oldestRetained = max(oldestRetained, seq + 1)
    }

    /// Makes reads after `seq` wait until `release()`.
    func hold(after seq: UInt64) {
        holdAfter = seq
    }

    /// How many reads are waiting at the hold.
    var heldReads: Int { held.count }

    /// Lets the held reads go, and those to come.
    func release() {
        holdAfter = nil
        let waiting = held
        held.removeAll()
        for reader in waiting { reader.resume() }
    }

    /// Appends `count` events of `type` (seq continuing from the last) and wakes readers.
    func append(count: Int, type: EventType = .scan, device: String = "scanner-1") {
        for _ in 0..<count {
            let seq = UInt64(events.count + 1)
            events.append(
                Event(
                    id: EventID(high: 0x0193_0000_0000_7000 | seq, low: 0x8000_0000_0000_0000 | seq),
                    seq: seq,
                    site: "ams-1",
                    controller: "dock-03",
                    device: device,
                    type: type,
                    time: EventTime(millisecondsSinceEpoch: 1_795_000_000_000 + Int64(seq)),
                    data: ["text": .string("code-\(seq)"), "n": .int(Int64(seq))]
                )
            )
        }
        let ready = waiters
        waiters.removeAll()
        for waiter in ready.values { waiter.resume() }
    }

    func events(after seq: UInt64, limit: Int) async throws -> [Event] {
        if let holdAfter, holdAfter == seq {
            await withCheckedContinuation { held.append($0) }
        }
        let seq = max(seq, oldestRetained - 1)
        while UInt64(events.count) <= seq {
            try Task.checkCancellation()
            let id = nextWaiter
            nextWaiter += 1
            await withTaskCancellationHandler {
                await withCheckedContinuation { waiters[id] = $0 }
            } onCancel: {
                Task { await self.wake(id) }
            }
        }
        return Array(events[Int(seq)..<min(events.count, Int(seq) + limit)])
    }

    func cursor(for uplink: String) async throws -> UInt64 {
        cursors[uplink] ?? 0
    }

    func newestEvent() async throws -> Event? { events.last }

    func acknowledge(_ uplink: String, through seq: UInt64) async throws {
        acknowledgements.append(seq)
        cursors[uplink] = max(cursors[uplink] ?? 0, seq)
    }

    /// Whether every acknowledgement was higher than the one before.
    var acknowledgementsIncrease: Bool {
        zip(acknowledgements, acknowledgements.dropFirst()).allSatisfy { $0 < $1 }
    }

    private func wake(_ id: UInt64) {
        waiters.removeValue(forKey: id)?.resume()
    }
}

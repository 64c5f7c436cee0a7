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

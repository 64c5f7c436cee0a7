import Events

/// One event as a driver reported it.
struct RecordedEvent: Sendable, CustomStringConvertible {
    var type: EventType
    var device: String
    var data: JSONValue

    var description: String { "\(type) \(device) \(data.jsonText)" }
}

/// An `EventSink` for tests: keeps every event, and `next()` waits for the next one, so a test waits for
/// exactly what it expects instead of sleeping. Events of a type set with `refuse(_:)` are still kept (so a
/// test can wait for them) but reported as not stored, as a full outbox would. After `holdReceipts()`, the
/// receipts `submit` hands out stay unanswered until `release(_:)`, as while a slow sync runs.
actor EventRecorder: EventSink {
    private(set) var events: [RecordedEvent] = []
    private var consumed = 0
    private var waiter: CheckedContinuation<RecordedEvent, Never>?
    private var refusedTypes: Set<EventType> = []
    private var holding = false
    private var held: [CheckedContinuation<Bool, Never>?] = []
    private var answers: [Bool?] = []

    nonisolated func submit(_ type: EventType, device: String, data: JSONValue) async -> EventReceipt {
        let stored = await record(RecordedEvent(type: type, device: device, data: data))
        guard let index = await holdIfHolding() else { return .settled(stored) }
        return EventReceipt { await self.answer(index) }
    }

    /// From now on, receipts handed out by `submit` wait for `release(_:)`.
    func holdReceipts() {
        holding = true
    }

    /// Receipts handed out while holding, answered or not.
    var heldCount: Int { answers.count }

    /// Answers the held receipts in the order they were handed out: true for stored, false for lost.
    func release(_ outcomes: [Bool]) {
        for (index, outcome) in zip(answers.indices, outcomes) where answers[index] == nil {
            answers[index] = outcome
            held[index]?.resume(returning: outcome)
            held[index] = nil
        }
    }

    private func holdIfHolding() -> Int? {
        guard holding else { return nil }
        answers.append(nil)
        held.append(nil)
        return answers.count - 1
    }

    private func answer(_ index: Int) async -> Bool {
        if let answer = answers[index] { return answer }
        return await withCheckedContinuation { held[index] = $0 }
    }

    @discardableResult
    nonisolated func emit(_ type: EventType, device: String, data: JSONValue) async -> Bool {
        await record(RecordedEvent(type: type, device: device, data: data))
    }

    /// From now on, events of `type` are reported as not stored.
    func refuse(_ type: EventType) {
        refusedTypes.insert(type)
    }

    private func record(_ event: RecordedEvent) -> Bool {
        events.append(event)
        if let waiter {
            self.waiter = nil
            consumed += 1
            waiter.resume(returning: event)
        }
        return !refusedTypes.contains(event.type)
    }

    /// The next event not yet returned by `next()`, waiting for it if need be.
    func next() async -> RecordedEvent {
        if consumed < events.count {
            consumed += 1
            return events[consumed - 1]
        }
        return await withCheckedContinuation { waiter = $0 }
    }

    /// The next event of `type`, skipping others.
    func next(_ type: EventType) async -> RecordedEvent {
        while true {
            let event = await next()
            if event.type == type { return event }
        }
    }

    /// Events returned by `next()` so far are consumed; these are the ones still waiting.
    var pending: [RecordedEvent] {
        Array(events[consumed...])
    }
}

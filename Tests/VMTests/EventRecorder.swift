import Events

/// One event as a driver reported it.
struct RecordedEvent: Sendable, CustomStringConvertible {
    var type: EventType
    var device: String
    var data: JSONValue

    var description: String { "\(type) \(device) \(data.jsonText)" }
}

/// An `EventSink` that keeps every event; `next(_:within:)` waits for the next one of a type, in real time.
actor EventRecorder: EventSink {
    private var events: [RecordedEvent] = []
    private var consumed = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    @discardableResult
    nonisolated func emit(_ type: EventType, device: String, data: JSONValue) async -> Bool {
        await record(RecordedEvent(type: type, device: device, data: data))
        return true
    }

    private func record(_ event: RecordedEvent) {
        events.append(event)
        let waiting = waiters
        waiters = []
        for waiter in waiting { waiter.resume() }
    }

    /// Waits until an event arrives (or returns at once if one is unconsumed).
    private func waitForMore() async {
        if consumed < events.count || Task.isCancelled { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// The next unconsumed event, if any, consuming it.
    private func take() -> RecordedEvent? {
        guard consumed < events.count else { return nil }
        consumed += 1
        return events[consumed - 1]
    }

    /// Every event recorded so far, consumed or not.
    var all: [RecordedEvent] { events }

    /// The next event of `type`, skipping others; fails when none arrives within `limit`.
    nonisolated func next(_ type: EventType, within limit: Duration = .seconds(10)) async throws -> RecordedEvent {
        try await within(limit, "a \(type) event") {
            while true {
                if let event = await self.take() {
                    if event.type == type { return event }
                    continue
                }
                await withTaskCancellationHandler {
                    await self.waitForMore()
                } onCancel: {
                    Task { await self.poke() }
                }
                try Task.checkCancellation()
            }
        }
    }

    /// Wakes waiters so a cancelled wait notices its cancellation.
    func poke() {
        let waiting = waiters
        waiters = []
        for waiter in waiting { waiter.resume() }
    }
}

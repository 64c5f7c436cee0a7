import Events

/// One event as a driver reported it.
struct RecordedEvent: Sendable, CustomStringConvertible {
    var type: EventType
    var device: String
    var data: JSONValue

    var description: String { "\(type) \(device) \(data.jsonText)" }
}

/// An `EventSink` for tests: keeps every event, and `next()` waits for the next one, so a test waits for
/// exactly what it expects instead of sleeping.
actor EventRecorder: EventSink {
    private(set) var events: [RecordedEvent] = []
    private var consumed = 0
    private var waiter: CheckedContinuation<RecordedEvent, Never>?

    nonisolated func emit(_ type: EventType, device: String, data: JSONValue) async {
        await record(RecordedEvent(type: type, device: device, data: data))
    }

    private func record(_ event: RecordedEvent) {
        events.append(event)
        if let waiter {
            self.waiter = nil
            consumed += 1
            waiter.resume(returning: event)
        }
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

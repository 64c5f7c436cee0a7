import Events

/// One POST: a run of events in outbox order, its body and its idempotency key (the same on every retry).
struct WebhookBatch: Sendable {
    let events: [Event]
    /// `{"events":[…]}`, each element the event's wire JSON.
    let body: [UInt8]
    /// `<first event id>..<last event id>`.
    let idempotencyKey: String

    /// The batch of `stored`, each event's JSON as the outbox stored it (not encoded again).
    init(events stored: [StoredEvent]) {
        events = stored.map(\.event)
        var body = Array(#"{"events":["#.utf8)
        body.reserveCapacity(stored.reduce(body.count + 2) { $0 + $1.json.count + 1 })
        for (index, event) in stored.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: event.json)
        }
        body.append(contentsOf: "]}".utf8)
        self.body = body
        idempotencyKey = "\(events.first?.id.description ?? "")..\(events.last?.id.description ?? "")"
    }
}

import Events

/// One POST: a run of events in outbox order, its body and its idempotency key (the same on every retry).
struct WebhookBatch: Sendable {
    let events: [Event]
    /// `{"events":[…]}`, each element the event's wire JSON.
    let body: [UInt8]
    /// `<first event id>..<last event id>`.
    let idempotencyKey: String

    init(events: [Event]) {
        self.events = events
        var body = Array(#"{"events":["#.utf8)
        for (index, event) in events.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            event.write(to: &body)
        }
        body.append(contentsOf: "]}".utf8)
        self.body = body
        idempotencyKey = "\(events.first?.id.description ?? "")..\(events.last?.id.description ?? "")"
    }
}

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
        body = Array(("{\"events\":[" + events.map(\.jsonText).joined(separator: ",") + "]}").utf8)
        idempotencyKey = "\(events.first?.id.description ?? "")..\(events.last?.id.description ?? "")"
    }
}

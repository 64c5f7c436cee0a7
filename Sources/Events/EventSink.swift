/// Where a device driver reports what happened. The sink stamps the event (id, sequence number, time) and
/// makes it durable before returning; drivers never see the outbox or the uplinks.
public protocol EventSink: Sendable {
    /// Records an event of `type` from `device` with its type-specific `data` (an object).
    func emit(_ type: EventType, device: String, data: JSONValue) async
}

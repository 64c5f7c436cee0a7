/// Where a device driver reports what happened. The sink stamps the event (id, sequence number, time) and
/// makes it durable before returning; drivers never see the outbox or the uplinks.
public protocol EventSink: Sendable {
    /// Records an event of `type` from `device` with its type-specific `data` (an object). Returns true once the
    /// event is durably stored, false when it could not be (e.g. the outbox is at its quota or the disk failed):
    /// a driver that tells a person "done" (a good-read beep) does so only on true.
    @discardableResult
    func emit(_ type: EventType, device: String, data: JSONValue) async -> Bool
}

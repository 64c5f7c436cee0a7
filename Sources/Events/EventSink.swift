/// Where a device driver reports what happened. The sink stamps the event (id, sequence number, time) and
/// stores it; drivers never see the outbox or the uplinks.
public protocol EventSink: Sendable {
    /// Records an event of `type` from `device` with its type-specific `data` (an object). Returns true once the
    /// event is durably stored, false when it could not be (e.g. the outbox is at its quota or the disk failed):
    /// a driver that tells a person "done" (a good-read beep) does so only on true.
    @discardableResult
    func emit(_ type: EventType, device: String, data: JSONValue) async -> Bool

    /// Records an event like `emit` but returns as soon as it is written, before its sync: a reader's driver
    /// takes the next frame while the group commit runs, and awaits the receipt before it beeps.
    func submit(_ type: EventType, device: String, data: JSONValue) async -> EventReceipt
}

extension EventSink {
    /// For sinks with nothing to wait for: stores as `emit` does and hands back the settled answer.
    public func submit(_ type: EventType, device: String, data: JSONValue) async -> EventReceipt {
        .settled(await emit(type, device: device, data: data))
    }
}

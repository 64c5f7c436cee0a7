/// What re-publishes stored events for `events.replay` (the MQTT uplink; a fake in tests).
public protocol EventReplayer: Sendable {
    /// Re-publishes the stored events of `range` and reports what was sent and what was not; throws a failure
    /// with a stable code when nothing could be done (`replay-busy`, `uplink-offline`,
    /// `uplink-stopped`, `outbox-error`).
    func replay(_ range: EventReplayRange) async throws(CommandFailure) -> EventReplayReport
}

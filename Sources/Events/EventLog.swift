/// The durable event log as an uplink sees it: read forward from a cursor, acknowledge what was delivered.
/// Each uplink keeps its own cursor, so a slow or dead uplink never holds another back.
public protocol EventLog: Sendable {
    /// Events with `seq` greater than `seq`, oldest first, at most `limit`; waits (until cancelled) while
    /// there are none yet.
    func events(after seq: UInt64, limit: Int) async throws -> [Event]
    /// `events(after:limit:)` with each event's wire JSON, for an uplink that sends it as stored.
    func storedEvents(after seq: UInt64, limit: Int) async throws -> [StoredEvent]
    /// What `uplink` has acknowledged so far (0 before anything was delivered).
    func cursor(for uplink: String) async throws -> UInt64
    /// Records that `uplink` has delivered everything through `seq`; durable before it returns.
    func acknowledge(_ uplink: String, through seq: UInt64) async throws
    /// The newest durable event (nil while the log is empty): its seq less a cursor is an uplink's backlog, and its
    /// time is when the controller last had something to report (the retained status shows both).
    func newestEvent() async throws -> Event?
}

extension EventLog {
    /// Encodes what `events(after:limit:)` returns, for a log that keeps no encoding of its events.
    public func storedEvents(after seq: UInt64, limit: Int) async throws -> [StoredEvent] {
        try await events(after: seq, limit: limit).map(StoredEvent.init)
    }
}

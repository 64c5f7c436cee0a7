import Locking

/// The control socket's connected clients, so the server can cap them: a client waiting for its next request
/// is idle, one being answered or following the event stream is busy. Making room shuts down the oldest idle
/// client; its own task then sees end of stream and closes it (a descriptor is only ever closed by its owner).
final class ControlConnections: Sendable {
    private struct Entry {
        var stream: UnixStream
        var idle: Bool
    }

    private struct State {
        var nextID = 0
        /// In connection order: ids only grow.
        var entries: [Int: Entry] = [:]
    }

    private let state = Locked(State())

    /// How many clients are connected.
    var count: Int { state.withLock { $0.entries.count } }

    /// Registers a new client (idle until its first request arrives) and returns its id.
    func add(_ stream: UnixStream) -> Int {
        state.withLock { state in
            state.nextID += 1
            state.entries[state.nextID] = Entry(stream: stream, idle: true)
            return state.nextID
        }
    }

    func remove(_ id: Int) {
        state.withLock { _ = $0.entries.removeValue(forKey: id) }
    }

    /// Marks a client idle (waiting for a request) or busy (being answered, or following events).
    func setIdle(_ id: Int, _ idle: Bool) {
        state.withLock { $0.entries[id]?.idle = idle }
    }

    /// Shuts down the oldest idle client other than `sparing`; false when every other client is busy.
    @discardableResult
    func closeOldestIdle(sparing: Int? = nil) -> Bool {
        let oldest = state.withLock { state -> UnixStream? in
            guard let id = state.entries.filter({ $0.value.idle && $0.key != sparing }).keys.min() else { return nil }
            state.entries[id]?.idle = false
            return state.entries[id]?.stream
        }
        guard let oldest else { return false }
        oldest.shutdown()
        return true
    }
}

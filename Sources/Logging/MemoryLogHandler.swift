import Locking

/// Keeps entries in memory, for tests that assert what was logged (and that secrets were not).
public final class MemoryLogHandler: LogHandler {
    private let storage = Locked<[LogEntry]>([])

    public init() {}

    public func write(_ entry: LogEntry) {
        storage.withLock { $0.append(entry) }
    }

    public var entries: [LogEntry] {
        storage.withLock { $0 }
    }
}

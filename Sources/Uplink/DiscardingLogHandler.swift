import Logging

/// A log handler that drops every entry: the default for a client made without a logger (tests, tools).
public struct DiscardingLogHandler: LogHandler {
    /// A handler that writes nothing.
    public init() {}

    /// Drops `entry`.
    public func write(_ entry: LogEntry) {}
}

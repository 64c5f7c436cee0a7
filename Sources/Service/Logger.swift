import Locking

/// A logger as a value (label, level, metadata), handed to the code that logs, as swift-log has it. One line
/// per entry; the handler decides where it goes (stderr → journald in production, memory in tests).
public struct Logger: Sendable {
    public enum Level: Int, Comparable, Sendable, CustomStringConvertible {
        case debug
        case info
        case notice
        case warning
        case error

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        public var description: String {
            switch self {
            case .debug: return "debug"
            case .info: return "info"
            case .notice: return "notice"
            case .warning: return "warning"
            case .error: return "error"
            }
        }

        public init?(name: String) {
            switch name {
            case "debug": self = .debug
            case "info": self = .info
            case "notice": self = .notice
            case "warning": self = .warning
            case "error": self = .error
            default: return nil
            }
        }
    }

    public let label: String
    public var level: Level
    public var metadata: [String: String]
    private let handler: any LogHandler

    public init(label: String, level: Level = .info, metadata: [String: String] = [:], handler: any LogHandler) {
        self.label = label
        self.level = level
        self.metadata = metadata
        self.handler = handler
    }

    /// The same logger under another label, e.g. one per device.
    public func labelled(_ label: String) -> Logger {
        Logger(label: label, level: level, metadata: metadata, handler: handler)
    }

    public func log(_ level: Level, _ message: String, _ metadata: [String: String] = [:]) {
        guard level >= self.level else { return }
        handler.write(
            LogEntry(level: level, label: label, metadata: self.metadata.merging(metadata) { $1 }, message: message)
        )
    }

    public func debug(_ message: String, _ metadata: [String: String] = [:]) { log(.debug, message, metadata) }
    public func info(_ message: String, _ metadata: [String: String] = [:]) { log(.info, message, metadata) }
    public func notice(_ message: String, _ metadata: [String: String] = [:]) { log(.notice, message, metadata) }
    public func warning(_ message: String, _ metadata: [String: String] = [:]) { log(.warning, message, metadata) }
    public func error(_ message: String, _ metadata: [String: String] = [:]) { log(.error, message, metadata) }
}

/// One log entry.
public struct LogEntry: Sendable, Hashable {
    public var level: Logger.Level
    public var label: String
    public var metadata: [String: String]
    public var message: String

    /// `level label: key=value … message`, keys sorted, values with spaces quoted.
    public var line: String {
        var text = "\(level) \(label):"
        for key in metadata.keys.sorted() {
            let value = metadata[key] ?? ""
            let quoted = value.contains(" ") || value.isEmpty ? "\"\(value)\"" : value
            text += " \(key)=\(quoted)"
        }
        return text + " " + message
    }
}

/// Where log entries go.
public protocol LogHandler: Sendable {
    func write(_ entry: LogEntry)
}

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

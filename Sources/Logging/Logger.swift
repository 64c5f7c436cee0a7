/// A logger as a value (label, level, metadata), handed to the code that logs, as swift-log has it. Message and
/// metadata are autoclosures: a line below the level costs nothing to build. One line per entry; the handler
/// decides where it goes (stderr → journald in production, memory in tests).
public struct Logger: Sendable {
    /// Severities, lowest first; each maps to its syslog/sd-daemon priority for the journal.
    public enum Level: Int, Comparable, Sendable, CaseIterable, CustomStringConvertible {
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

        /// The syslog priority (`<N>` prefix of sd-daemon(3)): 7 debug, 6 info, 5 notice, 4 warning, 3 error.
        public var syslogPriority: Int {
            switch self {
            case .debug: return 7
            case .info: return 6
            case .notice: return 5
            case .warning: return 4
            case .error: return 3
            }
        }

        public init?(name: String) {
            guard let level = Level.allCases.first(where: { $0.description == name }) else { return nil }
            self = level
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

    /// Writes an entry at `level` if the logger's level lets it through; nothing is evaluated otherwise.
    public func log(
        _ level: Level,
        _ message: @autoclosure () -> String,
        _ metadata: @autoclosure () -> [String: String] = [:]
    ) {
        guard level >= self.level else { return }
        handler.write(
            LogEntry(level: level, label: label, metadata: self.metadata.merging(metadata()) { $1 }, message: message())
        )
    }

    public func debug(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.debug, message(), metadata())
    }

    public func info(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.info, message(), metadata())
    }

    public func notice(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.notice, message(), metadata())
    }

    public func warning(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.warning, message(), metadata())
    }

    public func error(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.error, message(), metadata())
    }
}

import Glibc
import Locking

/// Writes each entry as one line to standard error, where systemd's journal picks it up.
public struct StandardErrorLogHandler: LogHandler {
    private static let lock = Locked(())

    public init() {}

    public func write(_ entry: LogEntry) {
        Self.writeRaw(entry.line.replacingNewlines() + "\n")
    }

    /// Writes `text` to standard error as it is, in one piece with respect to other log lines.
    static func writeRaw(_ text: String) {
        var bytes = Array(text.utf8)
        Self.lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeMutableBytes { buffer in
                    Glibc.write(STDERR_FILENO, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}

extension String {
    /// One entry stays one line, whatever a message contains.
    func replacingNewlines() -> String {
        String(map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}

import Glibc
import Synchronization

/// Writes each entry as one line to standard error, where systemd's journal picks it up.
public struct StandardErrorLogHandler: LogHandler {
    private static let lock = Mutex(())

    public init() {}

    public func write(_ entry: LogEntry) {
        let line = entry.line.replacingNewlines() + "\n"
        var bytes = Array(line.utf8)
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

import Glibc
import Locking

/// Writes each entry as one logfmt line to standard error. Under systemd, when standard error is the journal
/// stream (`JOURNAL_STREAM` names its device and inode), each line starts with its sd-daemon `<N>` priority so
/// `journalctl -p warning` sees the level.
public struct StandardErrorLogHandler: LogHandler {
    /// Lines written so far. Not `Locked(())`: a zero-sized value shares its address with the mutex pointer, and
    /// ThreadSanitizer then reports the exclusivity access to it as a race with the lock's own read.
    private static let lock = Locked(0)
    /// Whether lines get the `<N>` prefix.
    public let journalPriorities: Bool

    /// `journalPriorities` defaults to whether standard error is the journal stream `JOURNAL_STREAM` names.
    public init(journalPriorities: Bool = StandardErrorLogHandler.standardErrorIsJournal()) {
        self.journalPriorities = journalPriorities
    }

    public func write(_ entry: LogEntry) {
        let prefix = journalPriorities ? "<\(entry.level.syslogPriority)>" : ""
        Self.writeRaw(prefix + entry.line + "\n")
    }

    /// True when `JOURNAL_STREAM` (`DEVICE:INODE`, set by systemd) matches standard error's device and inode:
    /// a child whose stderr was redirected elsewhere inherits the variable but must not prefix its lines.
    public static func standardErrorIsJournal() -> Bool {
        guard let value = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    /// Writes `text` to standard error as it is, in one piece with respect to other log lines.
    public static func writeRaw(_ text: String) {
        var bytes = Array(text.utf8)
        Self.lock.withLock { lines in
            lines &+= 1
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

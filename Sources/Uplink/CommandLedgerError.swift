import Glibc

/// The command ledger file could not be read or written: the operation, the file, and the system's reason.
public struct CommandLedgerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was being done (`open`, `write`, `fsync`, …).
    public var operation: String
    /// The file or directory.
    public var path: String
    /// The system error number.
    public var errno: Int32

    /// An error from `operation` on `path`.
    public init(operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// The failure and what to check.
    public var description: String {
        "command ledger: cannot \(operation) \(path): \(String(cString: strerror(errno))); make the data directory "
            + "writable by the floorlink user (dataDir in site.json) and check the disk is not full"
    }
}

import Glibc

/// Why an outbox operation failed, naming the file and the errno or what was expected.
public enum OutboxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed: which call, on which path, with which errno.
    case system(operation: String, path: String, errno: Int32)
    /// The disk quota is used up; the event was not appended. Delivery (acknowledgement) frees room.
    case full(usedBytes: Int, quotaBytes: Int)
    /// Another process holds the outbox directory's lock file.
    case locked(path: String)
    /// An `open` parameter is out of range.
    case invalidConfiguration(String)
    /// An uplink name that cannot be part of a cursor file name (letters, digits, `.`, `_`, `-`).
    case invalidUplinkName(String)
    /// A cursor was asked for or acknowledged for an uplink the outbox was not opened with.
    case unknownUplink(String)
    /// An acknowledgement beyond the last durable event.
    case cursorBeyondEnd(uplink: String, seq: UInt64, lastSeq: UInt64)
    /// A cursor file that does not hold a decimal sequence number.
    case corruptCursor(path: String, contents: String)
    /// An event whose JSON is longer than a record may be.
    case eventTooLarge(bytes: Int, limit: Int)
    /// The outbox was closed.
    case closed(path: String)
    /// The last event has the highest seq the wire form can carry (2^63 - 1); nothing more can be appended.
    case seqExhausted(lastSeq: UInt64)

    /// One line for logs and `floorctl`: what failed, where, and why.
    public var description: String {
        switch self {
        case .system(let operation, let path, let code):
            return "\(operation) \(path): \(String(cString: strerror(code))) (errno \(code))"
        case .full(let used, let quota):
            return "outbox full: \(used) of \(quota) bytes used; the event was not appended"
                + " (uplinks must deliver and acknowledge to free room)"
        case .locked(let path):
            return "\(path): the outbox is already open in another process (lock held)"
        case .invalidConfiguration(let what):
            return "invalid outbox configuration: \(what)"
        case .invalidUplinkName(let name):
            return "uplink name '\(name)': expected 1-64 letters, digits, '.', '_' or '-', not starting with '.'"
        case .unknownUplink(let name):
            return "uplink '\(name)': not one of the uplinks this outbox was opened with"
        case .cursorBeyondEnd(let uplink, let seq, let lastSeq):
            return "uplink '\(uplink)' acknowledged seq \(seq): expected at most the last durable seq \(lastSeq)"
        case .corruptCursor(let path, let contents):
            return "\(path): expected a sequence number and its CRC32C on either of two lines, found '\(contents)'"
        case .eventTooLarge(let bytes, let limit):
            return "event of \(bytes) bytes of JSON: expected at most \(limit)"
        case .closed(let path):
            return "\(path): the outbox is closed"
        case .seqExhausted(let lastSeq):
            return "outbox seq \(lastSeq) is the highest an event can carry; the event was not appended"
        }
    }
}

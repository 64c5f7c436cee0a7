import Glibc

/// The one error type of the hardware layer: each case names the device and says what a user can do about it.
public enum HALError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The device node, chip or line does not exist.
    case notFound(path: String, detail: String)
    /// The process may not open the device; `group` is the group that grants access.
    case permissionDenied(path: String, group: String)
    /// Another process or request holds the device or line.
    case busy(path: String, holder: String?)
    /// The device went away while open (unplugged, hung up, node removed).
    case disconnected(path: String)
    /// Nothing arrived in time.
    case timedOut(path: String, operation: String, after: Duration)
    /// The path exists but is not a serial terminal.
    case notATerminal(path: String)
    /// A setting the device or backend cannot apply (e.g. baud rate, data bits, line offset).
    case invalidConfiguration(path: String, detail: String)
    /// The handle was closed before the operation.
    case closed(path: String)
    /// The task waiting on the device was cancelled.
    case cancelled(path: String, operation: String)
    /// A system call failed with `errno`; `operation` names the C call.
    case operationFailed(path: String, operation: String, errno: Int32)
    /// The device answered, but not with what was asked: a damaged or foreign frame, a refusal (a lock board on a
    /// bus); `detail` says what was expected and what came.
    case badReply(path: String, detail: String)

    public var description: String {
        switch self {
        case .notFound(let path, let detail):
            return "\(path): not found (\(detail))"
        case .permissionDenied(let path, let group):
            return "\(path): permission denied; add the service user to the '\(group)' group "
                + "(usermod -aG \(group) USER) and install udev/99-floorlink.rules"
        case .busy(let path, let holder):
            return "\(path): busy, already in use" + (holder.map { " by \($0)" } ?? "")
        case .disconnected(let path):
            return "\(path): disconnected (device unplugged or hung up)"
        case .timedOut(let path, let operation, let after):
            return "\(path): \(operation) timed out after \(after)"
        case .notATerminal(let path):
            return "\(path): not a serial terminal (expected a tty device such as /dev/ttyUSB0)"
        case .invalidConfiguration(let path, let detail):
            return "\(path): invalid configuration: \(detail)"
        case .closed(let path):
            return "\(path): already closed"
        case .cancelled(let path, let operation):
            return "\(path): \(operation) cancelled"
        case .operationFailed(let path, let operation, let errno):
            return "\(path): \(operation) failed: \(HALError.describe(errno: errno)) (errno \(errno))"
        case .badReply(let path, let detail):
            return "\(path): \(detail)"
        }
    }

    /// `strerror(3)` text for `code`, so messages read without a lookup table.
    public static func describe(errno code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}

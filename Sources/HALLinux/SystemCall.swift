import Glibc
import HAL

/// Thin, swift-system style wrappers: each runs one C call, retries `EINTR`, and turns `-1` plus `errno`
/// into a `HALError` that names the operation and the path.
enum SystemCall {
    /// Runs `body` until it does not fail with `EINTR`; a negative result becomes a typed error.
    @discardableResult
    static func retrying<T: BinaryInteger>(
        _ operation: String,
        path: String,
        _ body: () -> T
    ) throws(HALError) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw error(operation, path: path, errno: code)
        }
    }

    /// The typed error a user can act on for `errno` after `operation` on `path`.
    static func error(_ operation: String, path: String, errno code: Int32, group: String = "dialout") -> HALError {
        switch code {
        case ENOENT, ENODEV, ENXIO:
            return .notFound(path: path, detail: "\(operation): \(HALError.describe(errno: code))")
        case EACCES, EPERM:
            return .permissionDenied(path: path, group: group)
        case EBUSY, EWOULDBLOCK:
            return .busy(path: path, holder: nil)
        case EIO, EPIPE:
            return .disconnected(path: path)
        default:
            return .operationFailed(path: path, operation: operation, errno: code)
        }
    }

    /// `realpath(3)`: follows udev symlinks such as `/dev/serial/by-id/...` and `/dev/floorlink/...`,
    /// which libserialport cannot look up itself.
    static func resolvedPath(_ path: String) throws(HALError) -> String {
        guard let resolved = realpath(path, nil) else {
            throw error("realpath", path: path, errno: errno)
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `stat(2)` of `path`.
    static func status(_ path: String) throws(HALError) -> stat {
        var info = stat()
        try retrying("stat", path: path) { stat(path, &info) }
        return info
    }

    /// `close(2)`, ignoring errors: there is nothing a caller can do about a failed close.
    static func closeQuietly(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}

import Glibc

/// One C call at a time: `EINTR` retried, `-1` plus `errno` turned into an `IOError` naming the operation.
enum SystemCall {
    /// Runs `body` until it does not fail with `EINTR`; a negative result becomes `IOError.failed`.
    @discardableResult
    static func retrying<T: BinaryInteger>(
        _ operation: String,
        target: String,
        _ body: () -> T
    ) throws(IOError) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw .failed(operation: operation, target: target, errno: code)
        }
    }

    /// `close(2)`, ignoring errors: there is nothing a caller can do about a failed close.
    static func closeQuietly(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}

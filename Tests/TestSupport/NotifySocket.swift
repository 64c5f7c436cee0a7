import Glibc

/// A systemd-style notify socket: the non-blocking Unix datagram socket a daemon started with `NOTIFY_SOCKET` sends
/// its `sd_notify` messages (`READY=1`, `WATCHDOG=1`, `STOPPING=1`…) to.
public final class NotifySocket: Sendable {
    public let path: String
    private let fd: Int32

    /// Binds a new socket at `path` (which must not exist and must fit `sun_path`).
    public init(path: String) throws(HarnessError) {
        self.path = path
        let fd = socket(
            AF_UNIX,
            Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
            0
        )
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        let bound: Int32
        do {
            bound = try UnixSocketAddress.with(path) { address, length in bind(fd, address, length) }
        } catch {
            Glibc.close(fd)
            throw error
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw HarnessError("bind \(path): errno \(code)")
        }
        self.fd = fd
    }

    /// The next datagram, waiting up to `timeout` (checked every millisecond, without blocking a thread); nil if
    /// none came.
    public func next(within timeout: Duration) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count >= 0 { return String(decoding: buffer.prefix(count), as: UTF8.self) }
            guard ContinuousClock.now < deadline, await Poll.pause(.milliseconds(1)) else { return nil }
        }
    }

    /// The next datagram whose first line is not `WATCHDOG=1`, collecting how many watchdog pings passed.
    public func nextSkippingWatchdog(within timeout: Duration) async -> (message: String?, watchdogs: Int) {
        let deadline = ContinuousClock.now + timeout
        var watchdogs = 0
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero, let message = await next(within: left) else { return (nil, watchdogs) }
            if message == "WATCHDOG=1" {
                watchdogs += 1
                continue
            }
            return (message, watchdogs)
        }
    }

    /// Waits up to `timeout` for a datagram one of whose lines is `line` (`READY=1`); whether one came.
    public func wait(for line: String, within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero, let message = await next(within: left) else { return false }
            if message.split(separator: "\n").contains(where: { $0 == line }) { return true }
        }
    }

    /// Closes the socket and removes its path.
    public func close() {
        Glibc.close(fd)
        unlink(path)
    }
}

import Foundation
import Glibc
import Synchronization

/// TCP on 127.0.0.1 for tests and benchmarks: a free port to give a broker, and waiting until it listens.
public enum Loopback {
    /// A port nothing listens on now, never handed out before in this process.
    ///
    /// Ports come from 20000–32767, below the kernel's ephemeral range (32768–60999), so a client socket's
    /// source port can never take a broker's port; a per-process counter (seeded by the pid) keeps two
    /// tests running in parallel from being given the same one, which once let a test talk to another
    /// test's broker.
    public static func freePort() throws(HarnessError) -> Int {
        for _ in 0..<portRange.count {
            let port = portRange.lowerBound + nextPortOffset.add(1, ordering: .relaxed).oldValue % portRange.count
            if canBind(port: port) { return port }
        }
        throw HarnessError("no free port in \(portRange.lowerBound)–\(portRange.upperBound - 1)")
    }

    private static let portRange = 20000..<32768
    private static let nextPortOffset = Atomic<Int>(Int(getpid()) &* 97 % 12768)

    /// Waits up to `timeout` until something accepts on `port`, without blocking a thread (for async tests).
    public static func waitUntilListening(
        port: Int,
        within timeout: Duration = .seconds(30)
    ) async throws(HarnessError) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if accepts(port: port) { return }
            guard await Poll.pause(.milliseconds(20)) else { break }
        }
        throw HarnessError(
            Task.isCancelled
                ? "cancelled while waiting for 127.0.0.1:\(port)"
                : "nothing listening on 127.0.0.1:\(port) after \(timeout)"
        )
    }

    /// True when a connection to 127.0.0.1:`port` is accepted now.
    private static func accepts(port: Int) -> Bool {
        guard let fd = connect(port: port) else { return false }
        close(fd)
        return true
    }

    /// A blocking connection to 127.0.0.1:`port`, or nil if refused.
    public static func connect(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Writes all of `bytes` to `fd` (MSG_NOSIGNAL); false when the peer is gone.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    /// Whether binding a new TCP socket to 127.0.0.1:`port` succeeds; the socket is closed.
    private static func canBind(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Sends `request` to 127.0.0.1:`port` and returns everything the peer sends until it closes.
    ///
    /// Blocking calls on a thread of its own, each bounded by `timeout`: a starved cooperative pool can then open no
    /// gap between connecting and sending in which a server's idle timeout closes the connection unanswered.
    public static func exchange(
        port: Int,
        _ request: [UInt8],
        timeout: Duration = .seconds(20)
    ) async throws(HarnessError) -> [UInt8] {
        let result: Result<[UInt8], HarnessError> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    returning: Result { () throws(HarnessError) in
                        try blockingExchange(port: port, request, timeout: timeout)
                    }
                )
            }
        }
        return try result.get()
    }

    private static func blockingExchange(
        port: Int,
        _ request: [UInt8],
        timeout: Duration
    ) throws(HarnessError) -> [UInt8] {
        guard let fd = connect(port: port) else { throw HarnessError("nothing accepts on 127.0.0.1:\(port)") }
        defer { close(fd) }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            setsockopt(fd, SOL_SOCKET, option, &limit, socklen_t(MemoryLayout<timeval>.size))
        }
        guard writeAll(fd, request) else { throw HarnessError("send to 127.0.0.1:\(port): errno \(errno)") }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return received }
            guard count > 0 else {
                throw HarnessError("recv from 127.0.0.1:\(port) after \(received.count) bytes: errno \(errno)")
            }
            received += chunk[..<count]
        }
    }

    /// A blocking listening socket on 127.0.0.1:`port` (0: any free port) with room for `backlog` unaccepted
    /// connections, close-on-exec.
    public static func listener(port: Int = 0, backlog: Int32 = 16) throws(HarnessError) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            throw HarnessError("bind/listen 127.0.0.1:\(port): errno \(code)")
        }
        return fd
    }

    /// The local port a socket is bound to.
    public static func localPort(of fd: Int32) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// 127.0.0.1:`port` as a socket address.
    public static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }
}

import CLinuxIO
import Glibc
import HAL
import HALLinux
import IOEngine
import Locking

/// A connected Unix stream socket with non-blocking I/O: waits go to the shared `IOLoop`, so a slow peer never
/// blocks a thread. Used by the control socket on both ends (daemon and `floorctl`).
public final class UnixStream: Sendable {
    public let path: String
    private let fd: Int32
    private let loop: IOLoop
    private let state = Locked<(closed: Bool, buffer: [UInt8])>((false, []))

    init(fd: Int32, path: String, loop: IOLoop) {
        self.fd = fd
        self.path = path
        self.loop = loop
    }

    deinit { close() }

    /// Connects to the socket at `path`.
    public static func connect(path: String) throws(HALError) -> UnixStream {
        let loop = try IOLoop.sharedForHardware()
        let fd = try SocketCall.make(path: path)
        var address = try SocketCall.address(path)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result != 0 {
            let code = errno
            Glibc.close(fd)
            switch code {
            case ENOENT, ECONNREFUSED: throw .notFound(path: path, detail: "no daemon is listening")
            case EACCES, EPERM: throw .permissionDenied(path: path, group: "floorlink")
            default: throw .operationFailed(path: path, operation: "connect", errno: code)
            }
        }
        return UnixStream(fd: fd, path: path, loop: loop)
    }

    /// The peer's process credentials (`SO_PEERCRED`).
    public func peerCredentials() -> (pid: pid_t, uid: uid_t, gid: gid_t)? {
        // struct ucred needs _GNU_SOURCE, which Swift's Glibc module is built without; same layout here.
        var credentials: (pid: pid_t, uid: uid_t, gid: gid_t) = (0, 0, 0)
        var length = socklen_t(MemoryLayout<(pid_t, uid_t, gid_t)>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { return nil }
        return credentials
    }

    /// The next line without its newline; nil at end of stream. A line longer than `maxLength` throws
    /// `invalidConfiguration` (the peer is not speaking the protocol).
    public func readLine(maxLength: Int = 65_536, timeout: Duration? = nil) async throws(HALError) -> [UInt8]? {
        let deadline = timeout.map { SystemClock().now + $0 }
        while true {
            let line = state.withLock { state -> [UInt8]? in
                guard let newline = state.buffer.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
                let line = Array(state.buffer[..<newline])
                state.buffer.removeFirst(newline + 1)
                return line
            }
            if let line { return line }
            if state.withLock({ $0.buffer.count }) > maxLength {
                throw .invalidConfiguration(path: path, detail: "request line longer than \(maxLength) bytes")
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let (closed, count, code) = state.withLock { state -> (Bool, Int, Int32) in
                if state.closed { return (true, 0, 0) }
                let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                return (false, count, count < 0 ? errno : 0)
            }
            if closed { throw .closed(path: path) }
            if count > 0 {
                state.withLock { $0.buffer += chunk.prefix(count) }
                continue
            }
            if count == 0 {
                let rest = state.withLock { state -> [UInt8] in
                    defer { state.buffer.removeAll() }
                    return state.buffer
                }
                return rest.isEmpty ? nil : rest
            }
            if code == EINTR { continue }
            guard code == EAGAIN else { throw .operationFailed(path: path, operation: "read", errno: code) }
            switch await loop.wait(for: .readable, on: fd, until: deadline) {
            case .ready: continue
            case .timedOut: throw .timedOut(path: path, operation: "read", after: timeout ?? .zero)
            case .cancelled: throw .cancelled(path: path, operation: "read")
            case .closed: throw .closed(path: path)
            case .failed(let error): throw error
            }
        }
    }

    /// Writes all of `bytes`, waiting while the peer's buffer is full, up to `timeout`: a peer that stops
    /// reading gets `timedOut` instead of stalling the writer.
    public func write(_ bytes: [UInt8], timeout: Duration = .seconds(5)) async throws(HALError) {
        let deadline = SystemClock().now + timeout
        var offset = 0
        while offset < bytes.count {
            let (closed, count, code) = state.withLock { state -> (Bool, Int, Int32) in
                if state.closed { return (true, 0, 0) }
                let count = bytes.withUnsafeBytes {
                    Glibc.send(fd, $0.baseAddress.map { $0 + offset }, $0.count - offset, Int32(MSG_NOSIGNAL))
                }
                return (false, count, count < 0 ? errno : 0)
            }
            if closed { throw .closed(path: path) }
            if count > 0 {
                offset += count
                continue
            }
            if code == EINTR { continue }
            if code == EPIPE || code == ECONNRESET { throw .disconnected(path: path) }
            guard code == EAGAIN else { throw .operationFailed(path: path, operation: "send", errno: code) }
            switch await loop.wait(for: .writable, on: fd, until: deadline) {
            case .ready(let hangup): if hangup { throw .disconnected(path: path) }
            case .timedOut: throw .timedOut(path: path, operation: "write", after: timeout)
            case .cancelled: throw .cancelled(path: path, operation: "write")
            case .closed: throw .closed(path: path)
            case .failed(let error): throw error
            }
        }
    }

    /// Writes `text` followed by a newline.
    public func writeLine(_ text: String, timeout: Duration = .seconds(5)) async throws(HALError) {
        try await write(Array(text.utf8) + [UInt8(ascii: "\n")], timeout: timeout)
    }

    /// Ends the connection in both directions without closing the descriptor: the task reading it sees end of
    /// stream and closes it itself, so the descriptor number is never reused under a waiting reader.
    public func shutdown() {
        state.withLock { state in
            guard !state.closed else { return }
            _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
        }
    }

    public func close() {
        state.withLock { state in
            guard !state.closed else { return }
            state.closed = true
            loop.forget(fd)
            Glibc.close(fd)
        }
    }
}

/// A listening Unix stream socket.
public final class UnixListener: Sendable {
    public let path: String
    private let fd: Int32
    private let loop: IOLoop
    private let closed = Locked(false)
    /// Test seam: errno values the next `accept` calls fail with instead of running.
    let injectedAcceptFailures = Locked<[Int32]>([])

    /// Binds `path` (replacing a stale socket file left by a crash) with file mode `mode`, and listens.
    public init(path: String, mode: mode_t = 0o660) throws(HALError) {
        loop = try IOLoop.sharedForHardware()
        self.path = path
        var address = try SocketCall.address(path)
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                throw .invalidConfiguration(path: path, detail: "exists and is not a socket; refusing to replace it")
            }
            unlink(path)
        }
        fd = try SocketCall.make(path: path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if bound != 0 || chmod(path, mode) != 0 || listen(fd, 64) != 0 {
            let code = errno
            Glibc.close(fd)
            if code == EACCES || code == EPERM { throw .permissionDenied(path: path, group: "floorlink") }
            if code == ENOENT { throw .notFound(path: path, detail: "the socket's directory does not exist") }
            throw .operationFailed(path: path, operation: "bind/listen", errno: code)
        }
    }

    deinit { close() }

    /// The next connection; throws `closed` once the listener is closed.
    public func accept() async throws(HALError) -> UnixStream {
        while true {
            let (isClosed, client, code) = closed.withLock { closed -> (Bool, Int32, Int32) in
                if closed { return (true, -1, 0) }
                if let injected = injectedAcceptFailures.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                    return (false, -1, injected)
                }
                let client = floorlink_accept_cloexec(fd)
                return (false, client, client < 0 ? errno : 0)
            }
            if isClosed { throw .closed(path: path) }
            if client >= 0 { return UnixStream(fd: client, path: path, loop: loop) }
            if code == EINTR || code == ECONNABORTED { continue }
            guard code == EAGAIN else { throw .operationFailed(path: path, operation: "accept", errno: code) }
            switch await loop.wait(for: .readable, on: fd, until: nil) {
            case .ready, .timedOut: continue
            case .cancelled: throw .cancelled(path: path, operation: "accept")
            case .closed: throw .closed(path: path)
            case .failed(let error): throw error
            }
        }
    }

    /// Stops listening and removes the socket file.
    public func close() {
        closed.withLock { closed in
            guard !closed else { return }
            closed = true
            loop.forget(fd)
            Glibc.close(fd)
            unlink(path)
        }
    }
}

/// The socket calls both ends share.
enum SocketCall {
    static func make(path: String) throws(HALError) -> Int32 {
        let fd = socket(
            AF_UNIX,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
            0
        )
        guard fd >= 0 else { throw .operationFailed(path: path, operation: "socket", errno: errno) }
        return fd
    }

    static func address(_ path: String) throws(HALError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw .invalidConfiguration(path: path, detail: "socket path longer than 107 bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        return address
    }
}

import CLinuxIO
import Glibc
import Locking

/// A TCP connection with non-blocking I/O: reads and writes wait on the shared `IOLoop`, so a slow peer never
/// blocks a thread and no connection has a thread of its own.
public final class TCPStream: ByteStream {
    public let peer: String
    /// The connected socket; valid until `close()`.
    let fd: Int32
    let loop: IOLoop
    private let closed = Locked(false)
    /// The last read brought fewer bytes than it could take: the socket held no more then, so the next read waits
    /// for it to be readable before it reads (an MQTT PUBACK is 4 bytes: one system call per packet saved).
    private let lastReadWasShort = Locked(false)

    init(fd: Int32, peer: String, loop: IOLoop) {
        self.fd = fd
        self.peer = peer
        self.loop = loop
    }

    deinit { close() }

    /// Resolves `host` (off the loop), then connects to each of its addresses in turn until one accepts, all
    /// within `timeout`. The socket gets `TCP_NODELAY`: requests and MQTT packets are small and latency matters.
    public static func connect(host: String, port: UInt16, timeout: Duration) async throws(IOError) -> TCPStream {
        let loop = try IOLoop.shared()
        let deadline = IOLoop.now + timeout
        let target = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let addresses = try await NameResolver.resolve(host, port: port, timeout: timeout)
        var lastError = IOError.failed(operation: "connect", target: target, errno: ECONNREFUSED)
        for address in addresses {
            do throws(IOError) {
                let fd = try await connect(
                    to: address,
                    target: target,
                    deadline: deadline,
                    timeout: timeout,
                    loop: loop
                )
                return TCPStream(fd: fd, peer: target, loop: loop)
            } catch {
                lastError = error
                switch error {
                case .timedOut, .cancelled: throw error
                default: continue
                }
            }
        }
        throw lastError
    }

    /// One non-blocking `connect(2)`: waits until the socket is writable, then reads `SO_ERROR`.
    private static func connect(
        to address: SocketAddress,
        target: String,
        deadline: Duration,
        timeout: Duration,
        loop: IOLoop
    ) async throws(IOError) -> Int32 {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = try SystemCall.retrying("socket", target: target) { socket(address.family, type, 0) }
        let started = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        var code: Int32 = started == 0 ? 0 : errno
        if code == EINPROGRESS || code == EINTR {
            let outcome = await loop.wait(for: .writable, on: fd, deadline: deadline)
            loop.forget(fd)
            switch outcome {
            case .ready:
                var length = socklen_t(MemoryLayout<Int32>.size)
                code = 0
                if getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) != 0 { code = errno }
            case .timedOut:
                SystemCall.closeQuietly(fd)
                throw .timedOut(operation: "connect", target: describe(target, address), after: timeout)
            case .cancelled, .closed:
                SystemCall.closeQuietly(fd)
                throw .cancelled(operation: "connect", target: target)
            case .failed(let error):
                SystemCall.closeQuietly(fd)
                throw error
            }
        }
        guard code == 0 else {
            SystemCall.closeQuietly(fd)
            throw .failed(operation: "connect", target: describe(target, address), errno: code)
        }
        var yes: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    /// `host:port`, with the address tried when the host was a name (`hooks.example.com:443 (203.0.113.7:443)`).
    private static func describe(_ target: String, _ address: SocketAddress) -> String {
        let numeric = address.description
        return numeric == target ? target : "\(target) (\(numeric))"
    }

    public func read(upTo maximum: Int, deadline: Duration?) async throws(IOError) -> [UInt8] {
        let started = IOLoop.now
        // Not zero-filled: an MQTT reader asks for 64 KiB and mostly gets a 4-byte PUBACK, and clearing the
        // 64 KiB first was 13 % of the daemon's instructions at 20 scans/s (callgrind), and evicted its caches.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, maximum), alignment: 1)
        defer { buffer.deallocate() }
        if lastReadWasShort.withLock({ $0 }) {
            try await wait(for: .readable, operation: "read from", deadline: deadline, since: started)
        }
        while true {
            let (count, code) = try attempt { fd in
                let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
                return (count, count < 0 ? errno : 0)
            }
            if count >= 0 {
                lastReadWasShort.withLock { $0 = count < buffer.count }
                return Array(buffer.prefix(count))
            }
            guard code == EAGAIN || code == EWOULDBLOCK || code == EINTR else {
                throw .failed(operation: "read from", target: peer, errno: code)
            }
            try await wait(for: .readable, operation: "read from", deadline: deadline, since: started)
        }
    }

    public func write(_ bytes: [UInt8], deadline: Duration?) async throws(IOError) {
        let started = IOLoop.now
        var offset = 0
        while offset < bytes.count {
            let (count, code) = try attempt { fd in
                let count = bytes.withUnsafeBytes {
                    Glibc.send(fd, $0.baseAddress.map { $0 + offset }, $0.count - offset, Int32(MSG_NOSIGNAL))
                }
                return (count, count < 0 ? errno : 0)
            }
            if count > 0 {
                offset += count
                continue
            }
            guard code == EAGAIN || code == EWOULDBLOCK || code == EINTR else {
                throw .failed(operation: "write to", target: peer, errno: code)
            }
            try await wait(for: .writable, operation: "write to", deadline: deadline, since: started)
        }
    }

    /// Ends this side's sending (`shutdown(SHUT_WR)`): the peer reads to end of stream while this side may still
    /// read what it sent. A server refusing a request does this before closing, so that unread request bytes do
    /// not make the kernel reset the connection and discard the refusal.
    public func writeNow(_ bytes: [UInt8]) -> Int {
        let count = try? attempt { fd in
            bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        return max(0, count ?? 0)
    }

    public func shutdownOutput() {
        _ = try? attempt { fd in Glibc.shutdown(fd, Int32(SHUT_WR)) }
    }

    public func close() {
        let wasOpen = closed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        guard wasOpen else { return }
        loop.forget(fd)
        SystemCall.closeQuietly(fd)
    }

    /// Runs one non-blocking call on the descriptor unless the stream is closed (under the lock, so the
    /// descriptor number cannot be closed and reused in between).
    func attempt<T>(_ body: (Int32) -> T) throws(IOError) -> T {
        let result = closed.withLock { closed -> T? in closed ? nil : body(fd) }
        guard let result else { throw .closed(target: peer) }
        return result
    }

    /// Waits on the loop until the socket is ready for `interest`; a deadline, cancellation or close throws. A
    /// timeout reports how long `operation` ran since `started`.
    func wait(
        for interest: IOLoop.Interest,
        operation: String,
        deadline: Duration?,
        since started: Duration
    ) async throws(IOError) {
        switch await loop.wait(for: interest, on: fd, deadline: deadline) {
        case .ready: return
        case .timedOut:
            throw .timedOut(operation: operation, target: peer, after: IOLoop.now - started)
        case .cancelled: throw .cancelled(operation: operation, target: peer)
        case .closed: throw .closed(target: peer)
        case .failed(let error):
            // Closed between the attempt and the wait: epoll refuses the dead descriptor.
            if closed.withLock({ $0 }) { throw .closed(target: peer) }
            throw error
        }
    }
}

import CLinuxIO
import Glibc
import Locking

/// A listening TCP socket on a numeric address (`127.0.0.1`, `0.0.0.0`, `::1`); accepted connections are
/// `TCPStream`s whose waits run on the shared `IOLoop`, like every other descriptor the daemon has.
public final class TCPListener: Sendable {
    /// The address as bound, `127.0.0.1:9464` or `[::1]:9464`.
    public let address: String
    /// The port bound (the one asked for, or the kernel's choice when that was 0).
    public let port: UInt16
    private let fd: Int32
    private let loop: IOLoop
    private let closed = Locked(false)

    /// Binds `host` (a numeric IPv4 or IPv6 address) and `port` with `SO_REUSEADDR`, and listens.
    public init(host: String, port: UInt16, backlog: Int32 = 64) throws(IOError) {
        loop = try IOLoop.shared()
        let target = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        guard let bindAddress = SocketAddress(numericHost: host, port: port) else {
            throw .failed(operation: "inet_pton", target: target, errno: EINVAL)
        }
        let family = bindAddress.family
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = try SystemCall.retrying("socket", target: target) { socket(family, type, 0) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = bindAddress.withSockaddr { bind(fd, $0, $1) }
        if bound != 0 || listen(fd, backlog) != 0 {
            let code = errno
            SystemCall.closeQuietly(fd)
            throw .failed(operation: bound != 0 ? "bind" : "listen", target: target, errno: code)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        var actual = port
        if named == 0 {
            withUnsafeBytes(of: storage) { bytes in
                // sin_port and sin6_port sit at the same offset (2), in network order.
                actual = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
            }
        }
        self.fd = fd
        self.port = actual
        address = host.contains(":") ? "[\(host)]:\(actual)" : "\(host):\(actual)"
    }

    deinit { close() }

    /// The next connection; throws `closed` once the listener is closed, `cancelled` when the task is.
    public func accept() async throws(IOError) -> TCPStream {
        while true {
            let (isClosed, client, code) = closed.withLock { closed -> (Bool, Int32, Int32) in
                if closed { return (true, -1, 0) }
                let client = floorlink_accept_cloexec(fd)
                return (false, client, client < 0 ? errno : 0)
            }
            if isClosed { throw .closed(target: address) }
            if client >= 0 {
                var yes: Int32 = 1
                setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
                return TCPStream(fd: client, peer: "client of \(address)", loop: loop)
            }
            if code == EINTR || code == ECONNABORTED { continue }
            guard code == EAGAIN || code == EWOULDBLOCK else {
                throw .failed(operation: "accept", target: address, errno: code)
            }
            switch await loop.wait(for: .readable, on: fd, deadline: nil) {
            case .ready, .timedOut: continue
            case .cancelled: throw .cancelled(operation: "accept", target: address)
            case .closed: throw .closed(target: address)
            case .failed(let error): throw error
            }
        }
    }

    /// Stops listening; a waiting `accept` ends with `closed`.
    public func close() {
        let wasOpen = closed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        guard wasOpen else { return }
        loop.forget(fd)
        SystemCall.closeQuietly(fd)
    }
}

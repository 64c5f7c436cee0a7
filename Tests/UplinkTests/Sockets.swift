import Glibc
import TestSupport

/// Small blocking-socket helpers for the test harness (fake brokers, the forwarding proxy); connecting and writing
/// are `Loopback.connect(port:)` and `Loopback.writeAll`.
enum Sockets {
    /// A loopback TCP port that was free a moment ago and is given to no other test.
    static func freePort() throws -> Int { try Loopback.freePort() }

    /// The local port a socket is bound to.
    static func localPort(of fd: Int32) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A listening socket on 127.0.0.1:`port` (0: any free port) with room for `backlog` unaccepted connections.
    static func listener(port: Int, backlog: Int32 = 16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Loopback.loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, backlog) == 0 else {
            close(fd)
            throw HarnessError("bind/listen 127.0.0.1:\(port): errno \(errno)")
        }
        return fd
    }
}

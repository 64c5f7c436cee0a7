import Glibc
import IOEngine
import TestSupport
import Testing

/// A listening TCP socket on 127.0.0.1 (a free port), for tests: accepts with a blocking `accept(2)`.
final class LoopbackListener {
    let fd: Int32
    let port: UInt16

    init(backlog: Int32 = 16) throws {
        fd = try Loopback.listener(backlog: backlog)
        port = UInt16(Loopback.localPort(of: fd))
    }

    deinit { close(fd) }

    /// The next connection (blocking), close-on-exec: a child another test spawns must not inherit it and keep it
    /// open after this test closes it (the peer would never see the close).
    func accept() -> Int32 {
        let connection = Glibc.accept(fd, nil, nil)
        if connection >= 0 { _ = fcntl(connection, F_SETFD, FD_CLOEXEC) }
        return connection
    }

    /// A stream connected to this listener through `host`, and the accepted server side (the caller closes both).
    func connectStream(host: String = "127.0.0.1") async throws -> (stream: TCPStream, server: Int32) {
        let stream = try await TCPStream.connect(host: host, port: port, timeout: .seconds(30))
        let server = accept()
        if server < 0 { stream.close() }
        try #require(server >= 0)
        return (stream, server)
    }

    /// A client socket connecting to this listener without waiting for the handshake.
    func connectWithoutWaiting() -> Int32 {
        let client = socket(
            AF_INET,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
            0
        )
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return client
    }
}

import Glibc
import Locking

/// A TCP forwarder between the client and the broker that can go silent without closing: `freeze()` makes
/// every existing connection swallow bytes in both directions while its sockets stay open, which is what a
/// half-open connection (a dead NAT entry, a pulled cable) looks like. New connections forward normally.
final class ForwardingProxy: Sendable {
    let port: Int
    private let upstreamPort: Int
    private let listenFD: Int32
    /// Per connection: whether it is frozen; plus every socket, to close at the end.
    private let state = Locked<(frozen: [Bool], sockets: [Int32])>(([], []))

    init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        let fd = try Sockets.listener(port: 0)
        listenFD = fd
        port = Sockets.localPort(of: fd)
        TestThread.start { [self] in acceptLoop() }
    }

    /// Stops forwarding on every connection open now, without closing any of them.
    func freeze() {
        state.withLock { state in
            for index in state.frozen.indices { state.frozen[index] = true }
        }
    }

    /// How many connections were accepted so far.
    var connectionCount: Int { state.withLock { $0.frozen.count } }

    /// Closes the listener and every connection.
    func close() {
        shutdown(listenFD, Int32(SHUT_RDWR))
        Glibc.close(listenFD)
        let sockets = state.withLock { $0.sockets }
        for fd in sockets { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listenFD, nil, nil)
            guard client >= 0 else { return }
            guard let upstream = Sockets.connect(port: upstreamPort) else {
                Glibc.close(client)
                continue
            }
            let index = state.withLock { state in
                state.frozen.append(false)
                state.sockets += [client, upstream]
                return state.frozen.count - 1
            }
            TestThread.start { [self] in pump(from: client, to: upstream, connection: index) }
            TestThread.start { [self] in pump(from: upstream, to: client, connection: index) }
        }
    }

    private func pump(from source: Int32, to destination: Int32, connection: Int) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            guard count > 0 else {
                if !state.withLock({ $0.frozen[connection] }) { shutdown(destination, Int32(SHUT_WR)) }
                return
            }
            if state.withLock({ $0.frozen[connection] }) { continue }
            guard Sockets.writeAll(destination, Array(buffer[0..<count])) else { return }
        }
    }
}

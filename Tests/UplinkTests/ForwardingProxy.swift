import Glibc
import Locking
import TestSupport

/// A TCP forwarder between the client and the broker that can go silent without closing: `freeze()` makes
/// every existing connection swallow bytes in both directions while its sockets stay open, which is what a
/// half-open connection (a dead NAT entry, a pulled cable) looks like. New connections forward normally.
final class ForwardingProxy: Sendable {
    var port: Int { listener.port }
    /// Per connection: whether it is frozen, and how many of its two pumps still run (the last one out closes
    /// both sockets); plus every socket, to hang up at the end.
    private let state = Locked<(frozen: [Bool], pumping: [Int], sockets: [Int32])>(([], [], []))
    private let listener: AcceptThread

    init(upstreamPort: Int) throws {
        let state = self.state
        listener = try AcceptThread(serve: { client in
            guard let upstream = Loopback.connect(port: upstreamPort) else {
                Glibc.close(client)
                return
            }
            let index = state.withLock { state in
                state.frozen.append(false)
                state.pumping.append(2)
                state.sockets += [client, upstream]
                return state.frozen.count - 1
            }
            TestThread.start { Self.pump(from: client, to: upstream, connection: index, state: state) }
            TestThread.start { Self.pump(from: upstream, to: client, connection: index, state: state) }
        })
    }

    /// Stops forwarding on every connection open now, without closing any of them.
    func freeze() {
        state.withLock { state in
            for index in state.frozen.indices { state.frozen[index] = true }
        }
    }

    /// How many connections were accepted so far.
    var connectionCount: Int { state.withLock { $0.frozen.count } }

    /// Stops accepting and hangs up every connection; each connection's last pump closes its sockets.
    func close() {
        listener.close()
        // Under the lock, so no pump closes a socket (and the kernel hands its number on) in between.
        state.withLock { state in
            for fd in state.sockets { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    private static func pump(
        from source: Int32,
        to destination: Int32,
        connection: Int,
        state: Locked<(frozen: [Bool], pumping: [Int], sockets: [Int32])>
    ) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        defer {
            state.withLock { state in
                state.pumping[connection] -= 1
                guard state.pumping[connection] == 0 else { return }
                state.sockets.removeAll { $0 == source || $0 == destination }
                Glibc.close(source)
                Glibc.close(destination)
            }
        }
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            guard count > 0 else {
                if !state.withLock({ $0.frozen[connection] }) { shutdown(destination, Int32(SHUT_WR)) }
                return
            }
            if state.withLock({ $0.frozen[connection] }) { continue }
            guard Loopback.writeAll(destination, Array(buffer[0..<count])) else { return }
        }
    }
}

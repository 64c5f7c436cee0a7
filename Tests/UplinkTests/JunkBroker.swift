import Glibc
import Locking
import TestSupport

/// A fake broker that answers every connection with `junk` instead of a CONNACK and keeps the socket open.
final class JunkBroker: Sendable {
    var port: Int { listener.port }
    private let state = Locked<(accepted: Int, sockets: [Int32])>((0, []))
    private let listener: AcceptThread

    init(junk: [UInt8]) throws {
        let state = self.state
        // Connections are served and, at the end, closed on the accept thread, the only one that uses them.
        listener = try AcceptThread(
            serve: { client in
                state.withLock { state in
                    state.accepted += 1
                    state.sockets.append(client)
                }
                var buffer = [UInt8](repeating: 0, count: 1024)
                _ = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                Loopback.writeAll(client, junk)
            },
            finish: {
                state.withLock { state in
                    for fd in state.sockets { Glibc.close(fd) }
                    state.sockets = []
                }
            }
        )
    }

    /// Connections accepted so far.
    var acceptedCount: Int { state.withLock { $0.accepted } }

    /// Stops accepting and hangs up every connection (their descriptors are closed by the accept thread).
    func close() {
        // Before the listener: the accept thread closes the sockets only after its last accept.
        state.withLock { state in
            for fd in state.sockets { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        listener.close()
    }
}

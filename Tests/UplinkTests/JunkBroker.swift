import Glibc
import Locking

/// A fake broker that answers every connection with `junk` instead of a CONNACK and keeps the socket open.
final class JunkBroker: Sendable {
    let port: Int
    private let listenFD: Int32
    private let state = Locked<(accepted: Int, sockets: [Int32])>((0, []))
    private let junk: [UInt8]

    init(junk: [UInt8]) throws {
        self.junk = junk
        let fd = try Sockets.listener(port: 0)
        listenFD = fd
        port = Sockets.localPort(of: fd)
        TestThread.start { [self] in acceptLoop() }
    }

    /// Connections accepted so far.
    var acceptedCount: Int { state.withLock { $0.accepted } }

    func close() {
        shutdown(listenFD, Int32(SHUT_RDWR))
        Glibc.close(listenFD)
        for fd in state.withLock({ $0.sockets }) { Glibc.close(fd) }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listenFD, nil, nil)
            guard client >= 0 else { return }
            state.withLock { state in
                state.accepted += 1
                state.sockets.append(client)
            }
            var buffer = [UInt8](repeating: 0, count: 1024)
            _ = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            Sockets.writeAll(client, junk)
        }
    }
}

import Glibc
import Locking
import TestSupport

/// A listening socket on 127.0.0.1 served by a thread that owns it. `close()` only shuts it down, which wakes a
/// blocked `accept`; the thread closes the descriptor itself once `accept` has returned for the last time, so it
/// never calls `accept` on a number the kernel may since have given to another test's socket. A transient
/// `accept` failure (EINTR, ECONNABORTED, descriptor or memory limits) is retried, not taken as the end.
final class AcceptThread: Sendable {
    let port: Int
    private let listenFD: Int32
    private let closed = Locked(false)

    /// Listens on a free port and hands each accepted connection to `serve`, on the accept thread; `finish`
    /// runs there after the last `accept`, before the listener is closed.
    init(serve: @escaping @Sendable (Int32) -> Void, finish: @escaping @Sendable () -> Void = {}) throws {
        let fd = try Loopback.listener(port: 0)
        listenFD = fd
        port = Loopback.localPort(of: fd)
        TestThread.start { [self] in
            acceptUntilClosed(serve)
            finish()
            Glibc.close(fd)
        }
    }

    /// Whether `close()` was called.
    var isClosed: Bool { closed.withLock { $0 } }

    /// Stops accepting; the accept thread then closes the listener.
    func close() {
        closed.withLock { $0 = true }
        shutdown(listenFD, Int32(SHUT_RDWR))
    }

    private func acceptUntilClosed(_ serve: @Sendable (Int32) -> Void) {
        while true {
            let client = accept(listenFD, nil, nil)
            if client >= 0 {
                // Close-on-exec at once: a child another test spawns must not hold this connection open.
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                serve(client)
                continue
            }
            let code = errno
            guard !isClosed else { return }
            switch code {
            case EINTR: continue
            case ECONNABORTED, EMFILE, ENFILE, ENOBUFS, ENOMEM: usleep(10_000)
            default: return
            }
        }
    }
}

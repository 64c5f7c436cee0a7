import Dispatch
import Glibc
import Locking

/// Host name resolution off the I/O loop: `getaddrinfo(3)` blocks (DNS, /etc/hosts), so it runs on a Dispatch
/// global queue and the waiting task is resumed through a continuation, or with `timedOut` when the deadline
/// passes first (the lookup then finishes in the background and its answer is dropped). The deadline is a sleep
/// on the loop's timer, cancelled once the answer is in: not a Dispatch timer, which would leave Dispatch's timer
/// thread waking every second for the rest of the process's life.
public enum NameResolver {
    /// The TCP addresses of `host` (a name or a numeric IPv4/IPv6 address) for `port`, in `getaddrinfo` order; a
    /// numeric address is answered at once, without `getaddrinfo`.
    public static func resolve(
        _ host: String,
        port: UInt16,
        timeout: Duration
    ) async throws(IOError) -> [SocketAddress] {
        // An address literal (a broker configured by IP, the tests' 127.0.0.1) needs no lookup and no thread.
        if let address = SocketAddress(numericHost: host, port: port) { return [address] }
        let loop = try IOLoop.shared()
        let deadline = IOLoop.now + timeout
        // The first answer wins: the lookup's, the deadline's or the cancellation's, whichever comes first, even
        // before the continuation is in place.
        let once = Locked(Answer())
        let finish: @Sendable (Result<[SocketAddress], IOError>) -> Void = { result in
            once.withLock { $0.settle(result) }
        }
        let timer = Task {
            if await loop.sleep(until: deadline) == .timedOut {
                finish(.failure(.timedOut(operation: "resolve", target: host, after: timeout)))
            }
        }
        defer { timer.cancel() }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation {
                (continuation: CheckedContinuation<Result<[SocketAddress], IOError>, Never>) in
                once.withLock { $0.wait(continuation) }
                DispatchQueue.global().async { finish(lookUp(host, port: port)) }
            }
        } onCancel: {
            finish(.failure(.cancelled(operation: "resolve", target: host)))
        }
        return try result.get()
    }

    /// The one answer a resolution gives, and the task waiting for it.
    private struct Answer: ~Copyable {
        private var continuation: CheckedContinuation<Result<[SocketAddress], IOError>, Never>?
        private var early: Result<[SocketAddress], IOError>?
        private var settled = false

        /// Resumes the waiting task with `result`, or keeps it for the task about to wait; later answers are dropped.
        mutating func settle(_ result: Result<[SocketAddress], IOError>) {
            guard !settled else { return }
            settled = true
            if let continuation {
                continuation.resume(returning: result)
                self.continuation = nil
            } else {
                early = result
            }
        }

        /// Waits with `continuation`, resumed at once when the answer came first.
        mutating func wait(_ continuation: CheckedContinuation<Result<[SocketAddress], IOError>, Never>) {
            if let early {
                continuation.resume(returning: early)
                self.early = nil
            } else {
                self.continuation = continuation
            }
        }
    }

    /// `getaddrinfo(host, port)` for stream sockets, blocking.
    static func lookUp(_ host: String, port: UInt16) -> Result<[SocketAddress], IOError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            let detail =
                status == EAI_SYSTEM ? IOError.describe(errno: errno) : String(cString: gai_strerror(status))
            return .failure(.nameResolution(host: host, detail: detail))
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            entry = current.pointee.ai_next
            guard let address = current.pointee.ai_addr else { continue }
            let resolved = SocketAddress(
                family: current.pointee.ai_family,
                address: address,
                length: current.pointee.ai_addrlen
            )
            if !addresses.contains(resolved) { addresses.append(resolved) }
        }
        guard !addresses.isEmpty else { return .failure(.nameResolution(host: host, detail: "no TCP address")) }
        return .success(addresses)
    }
}

import Dispatch
import Glibc
import Locking

/// Host name resolution off the I/O loop: `getaddrinfo(3)` blocks (DNS, /etc/hosts), so it runs on a Dispatch
/// global queue and the waiting task is resumed through a continuation, or with `timedOut` when the deadline
/// passes first (the lookup then finishes in the background and its answer is dropped).
public enum NameResolver {
    /// The TCP addresses of `host` (a name or a numeric IPv4/IPv6 address) for `port`, in `getaddrinfo` order.
    public static func resolve(
        _ host: String,
        port: UInt16,
        timeout: Duration
    ) async throws(IOError) -> [SocketAddress] {
        let once = Locked<CheckedContinuation<Result<[SocketAddress], IOError>, Never>?>(nil)
        let finish: @Sendable (Result<[SocketAddress], IOError>) -> Void = { result in
            once.withLock { continuation in
                continuation?.resume(returning: result)
                continuation = nil
            }
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation {
                (continuation: CheckedContinuation<Result<[SocketAddress], IOError>, Never>) in
                once.withLock { $0 = continuation }
                DispatchQueue.global().async { finish(lookUp(host, port: port)) }
                let milliseconds =
                    Int(clamping: timeout.components.seconds * 1000)
                    + Int(timeout.components.attoseconds / 1_000_000_000_000_000)
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(max(0, milliseconds))) {
                    finish(.failure(.timedOut(operation: "resolve", target: host, after: timeout)))
                }
            }
        } onCancel: {
            finish(.failure(.cancelled(operation: "resolve", target: host)))
        }
        return try result.get()
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

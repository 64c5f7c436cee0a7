import Glibc

/// Reachability checks for `doctor`: name resolution and a TCP connect with a deadline.
enum NetworkProbe {
    /// Why a connection could not be made.
    struct Problem: Error, Hashable, Sendable {
        var reason: String
    }

    /// Whether `host` resolves to at least one address.
    static func resolves(_ host: String) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let result = getaddrinfo(host, nil, &hints, &list)
        if let list { freeaddrinfo(list) }
        return result == 0
    }

    /// Connects to `host:port` over TCP within the timeout, trying each resolved address, then closes.
    static func connect(host: String, port: Int, timeoutMilliseconds: Int32) -> Result<Void, Problem> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let first = list else {
            return .failure(Problem(reason: "cannot resolve \(host): \(String(cString: gai_strerror(resolved)))"))
        }
        defer { freeaddrinfo(first) }
        var problem = Problem(reason: "no address to try")
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            entry = current.pointee.ai_next
            let fd = socket(current.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            if Glibc.connect(fd, current.pointee.ai_addr, current.pointee.ai_addrlen) == 0 { return .success(()) }
            guard errno == EINPROGRESS else {
                problem = Problem(reason: String(cString: strerror(errno)))
                continue
            }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&poller, 1, timeoutMilliseconds)
            guard ready > 0 else {
                problem = Problem(reason: "no answer within \(timeoutMilliseconds) ms")
                continue
            }
            var code: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
            if code == 0 { return .success(()) }
            problem = Problem(reason: String(cString: strerror(code)))
        }
        return .failure(problem)
    }
}

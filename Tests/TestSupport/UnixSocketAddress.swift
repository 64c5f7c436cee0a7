import Glibc

/// A `sockaddr_un` for `path`, for the tests' own bind and connect calls.
public enum UnixSocketAddress {
    /// Runs `body` with `path` as a socket address and its length; throws when the path does not fit `sun_path`.
    public static func with<Result>(
        _ path: String,
        _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result
    ) throws(HarnessError) -> Result {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw HarnessError(
                "socket path longer than \(MemoryLayout.size(ofValue: address.sun_path) - 1) bytes: \(path)"
            )
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}

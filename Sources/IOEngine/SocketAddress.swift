import Glibc

/// One resolved address of a host: the raw `sockaddr` bytes `connect(2)` takes, and its numeric text.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// `AF_INET` or `AF_INET6`.
    public let family: Int32
    /// The `sockaddr_in` / `sockaddr_in6` bytes.
    let storage: [UInt8]

    init(family: Int32, address: UnsafePointer<sockaddr>, length: socklen_t) {
        self.family = family
        storage = Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(address), count: Int(length)))
    }

    /// The address of a numeric IPv4 (`192.0.2.7`) or IPv6 (`::1`) host, without a lookup; nil for a name.
    public init?(numericHost host: String, port: UInt16) {
        if var address = Self.ipv6(host) {
            address.sin6_port = port.bigEndian
            storage = withUnsafeBytes(of: address) { Array($0) }
            family = AF_INET6
        } else if var address = Self.ipv4(host) {
            address.sin_port = port.bigEndian
            storage = withUnsafeBytes(of: address) { Array($0) }
            family = AF_INET
        } else {
            return nil
        }
    }

    private static func ipv4(_ host: String) -> sockaddr_in? {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        return inet_pton(AF_INET, host, &address.sin_addr) == 1 ? address : nil
    }

    private static func ipv6(_ host: String) -> sockaddr_in6? {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        return inet_pton(AF_INET6, host, &address.sin6_addr) == 1 ? address : nil
    }

    /// The address and port as numbers, `127.0.0.1:8443` or `[::1]:8443`.
    public var description: String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let status = withSockaddr { address, length in
            getnameinfo(
                address,
                length,
                &host,
                socklen_t(host.count),
                &service,
                socklen_t(service.count),
                NI_NUMERICHOST | NI_NUMERICSERV
            )
        }
        guard status == 0 else { return "address of family \(family)" }
        let hostText = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let serviceText = String(decoding: service.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return family == AF_INET6 ? "[\(hostText)]:\(serviceText)" : "\(hostText):\(serviceText)"
    }

    /// Calls `body` with the address as a `sockaddr` pointer and its length.
    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        var address = sockaddr_storage()
        let length = min(storage.count, MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutableBytes(of: &address) { target in
            for index in 0..<length { target[index] = storage[index] }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(length)) }
        }
    }
}

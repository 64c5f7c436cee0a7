import IOEngine
import Testing

/// Address literals are read without a lookup (no `getaddrinfo`, no thread); names are left to the resolver.
@Suite("Socket addresses")
struct SocketAddressTests {
    @Test(
        "a numeric IPv4 or IPv6 host is an address at once; a name or a malformed number is not",
        arguments: [
            ("127.0.0.1", "127.0.0.1:8883"), ("192.0.2.7", "192.0.2.7:8883"), ("::1", "[::1]:8883"),
            ("2001:db8::5", "[2001:db8::5]:8883"), ("localhost", nil), ("broker.example", nil),
            ("256.1.1.1", nil), ("127.0.0.1 ", nil), ("", nil),
        ] as [(String, String?)]
    )
    func numericHost(host: String, address: String?) {
        #expect(SocketAddress(numericHost: host, port: 8883)?.description == address)
    }

    @Test("resolving an address literal gives that address; resolving a name still looks it up")
    func resolveLiteral() async throws {
        #expect(
            try await NameResolver.resolve("::1", port: 1883, timeout: .seconds(5)).map(\.description) == ["[::1]:1883"]
        )
        let local = try await NameResolver.resolve("localhost", port: 1883, timeout: .seconds(5)).map(\.description)
        #expect(local.contains("127.0.0.1:1883") || local.contains("[::1]:1883"), "\(local)")
    }
}

import Glibc
import IOEngine

/// A small HTTP/1.1 client on the I/O engine's `ByteStream`: `http://` over TCP, `https://` over OpenSSL with
/// the given `TLSContext`. It keeps one idle connection and reuses it for the next request to the same
/// host and port; a reused connection the server has closed meanwhile is replaced once, transparently.
/// Redirects are refused with `HTTPError.redirectRefused`; the response body is limited in size.
public actor HTTPClient {
    /// Limits and trust for a client.
    public struct Configuration: Sendable {
        /// Connecting, name resolution and the TLS handshake together.
        public var connectTimeout: Duration
        /// The longest wait for the next bytes of the response (and for the request to be written).
        public var readTimeout: Duration
        /// The largest response body accepted.
        public var maximumResponseBytes: Int
        /// The TLS context for `https://`; nil makes one that trusts the system store on first use.
        public var tls: TLSContext?

        /// Defaults: 10 s to connect, 30 s between reads, 1 MiB of body, the system trust store.
        public init(
            connectTimeout: Duration = .seconds(10),
            readTimeout: Duration = .seconds(30),
            maximumResponseBytes: Int = 1 << 20,
            tls: TLSContext? = nil
        ) {
            self.connectTimeout = connectTimeout
            self.readTimeout = readTimeout
            self.maximumResponseBytes = maximumResponseBytes
            self.tls = tls
        }
    }

    private struct Connection {
        var key: String
        var stream: any ByteStream
    }

    public let configuration: Configuration
    private let executor: any SerialExecutor
    /// On the loop with the outbox and the uplinks when `taskExecutor` is the loop (see `ActorExecutor`).
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    private var idle: Connection?
    private var systemTLS: TLSContext?

    /// A client with `configuration`; it connects on the first request. `taskExecutor` is where the caller's
    /// tasks run: given the loop, the client lives on it too.
    public init(configuration: Configuration = Configuration(), taskExecutor: (any TaskExecutor)? = nil) {
        self.configuration = configuration
        executor = ActorExecutor.preferring(taskExecutor, label: "floorlink.http-client")
    }

    /// Sends `request` to `url` and returns the final response. A 3xx throws `redirectRefused`.
    public func send(_ request: HTTPRequest, to url: HTTPURL) async throws(HTTPError) -> HTTPResponse {
        let bytes = try request.serialized(for: url)
        let key = "\(url.isSecure ? "https" : "http")://\(url.hostHeader)"
        while true {
            let reused: Bool
            let stream: any ByteStream
            if let connection = idle, connection.key == key {
                idle = nil
                (stream, reused) = (connection.stream, true)
            } else {
                idle?.stream.close()
                idle = nil
                (stream, reused) = (try await connect(to: url), false)
            }
            var parser = HTTPResponseParser(
                maximumBodyBytes: configuration.maximumResponseBytes,
                method: request.method
            )
            let response: HTTPResponse
            do throws(HTTPError) {
                response = try await exchange(bytes, on: stream, parser: &parser)
            } catch {
                stream.close()
                // A kept-alive connection the server closed while idle fails before any answer: dial again.
                if reused, parser.bytesReceived == 0, Self.isStale(error) { continue }
                throw error
            }
            if response.keepAlive, parser.leftover.isEmpty {
                idle = Connection(key: key, stream: stream)
            } else {
                stream.close()
            }
            if (300..<400).contains(response.status), response.status != 304 {
                throw .redirectRefused(status: response.status, location: response.headers.first("Location"))
            }
            return response
        }
    }

    /// Closes the idle connection, if any.
    public func close() {
        idle?.stream.close()
        idle = nil
    }

    /// Writes the request and reads until the parser has the response (or the connection closes).
    private func exchange(
        _ bytes: [UInt8],
        on stream: any ByteStream,
        parser: inout HTTPResponseParser
    ) async throws(HTTPError) -> HTTPResponse {
        do {
            try await stream.write(bytes, deadline: IOLoop.now + configuration.readTimeout)
        } catch {
            throw .connection(error)
        }
        while true {
            let chunk: [UInt8]
            do {
                chunk = try await stream.read(upTo: 16_384, deadline: IOLoop.now + configuration.readTimeout)
            } catch {
                if case .failed(_, _, let code) = error, code == ECONNRESET, parser.bytesReceived > 0 {
                    throw .closedMidResponse(peer: stream.peer, received: parser.bytesReceived)
                }
                throw .connection(error)
            }
            if chunk.isEmpty { return try parser.finish(peer: stream.peer) }
            if let response = try parser.feed(chunk) { return response }
        }
    }

    /// A TCP connection to `url`'s host, with TLS on top for `https://`, within the connect timeout.
    private func connect(to url: HTTPURL) async throws(HTTPError) -> any ByteStream {
        let deadline = IOLoop.now + configuration.connectTimeout
        do {
            let tcp = try await TCPStream.connect(host: url.host, port: url.port, timeout: configuration.connectTimeout)
            guard url.isSecure else { return tcp }
            let context: TLSContext
            if let configured = configuration.tls {
                context = configured
            } else if let systemTLS {
                context = systemTLS
            } else {
                context = try TLSContext()
                systemTLS = context
            }
            return try await TLSStream.connect(over: tcp, serverName: url.host, context: context, deadline: deadline)
        } catch {
            throw .connection(error)
        }
    }

    /// True for failures that mean "the idle connection was already closed by the server".
    private static func isStale(_ error: HTTPError) -> Bool {
        switch error {
        case .closedBeforeResponse: return true
        case .connection(.failed(_, _, let code)): return code == ECONNRESET || code == EPIPE
        default: return false
        }
    }
}

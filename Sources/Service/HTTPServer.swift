import Events
import IOEngine
import Locking

/// A small HTTP/1.1 server for GET and HEAD on the I/O engine's loop: one task per connection, never a thread.
/// Request heads are size-limited (414, 431), malformed ones answered 400 and the connection closed; a
/// connection may be kept alive for further requests until it is idle for `idleTimeout`; past
/// `maxConnections` a new client gets 503 and is closed.
public struct HTTPServer: Sendable {
    /// Answers one request; the server handles method checks and errors only when the handler says so.
    public typealias Handler = @Sendable (HTTPRequestHead) async -> HTTPServerResponse

    public let limits: HTTPRequestHead.Limits
    /// How long a connection may wait for (the rest of) a request, and a write may wait for the client.
    public let idleTimeout: Duration
    /// How many clients may be connected at once.
    public let maxConnections: Int
    private let handler: Handler
    private let logger: Logger

    public init(
        limits: HTTPRequestHead.Limits = HTTPRequestHead.Limits(),
        idleTimeout: Duration = .seconds(10),
        maxConnections: Int = 16,
        logger: Logger,
        handler: @escaping Handler
    ) {
        self.limits = limits
        self.idleTimeout = idleTimeout
        self.maxConnections = max(1, maxConnections)
        self.logger = logger
        self.handler = handler
    }

    /// Accepts and serves clients on `listener` until cancelled, then closes it.
    public func serve(_ listener: TCPListener) async {
        defer { listener.close() }
        let connected = Locked(0)
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let client: TCPStream
                do throws(IOError) {
                    client = try await listener.accept()
                } catch {
                    switch error {
                    case .cancelled, .closed: return
                    default:
                        // Out of descriptors or memory: wait a little rather than spin (on the loop's timer: a
                        // first Dispatch timer armed here, out of descriptors, kills the daemon).
                        logger.warning("cannot accept metrics clients", ["error": error.description])
                        await IOLoop.sleep(for: .milliseconds(100))
                        continue
                    }
                }
                let admitted = connected.withLock { count -> Bool in
                    guard count < maxConnections else { return false }
                    count += 1
                    return true
                }
                let deadline = IOLoop.now + idleTimeout
                guard admitted else {
                    group.addTask {
                        defer { client.close() }
                        let busy = HTTPServerResponse.error(
                            503,
                            "\(maxConnections) clients are connected; try again",
                            headers: ["Retry-After: 1"]
                        )
                        try? await client.write(busy.serialised(keepAlive: false), deadline: deadline)
                        await lingeringClose(client)
                    }
                    continue
                }
                group.addTask {
                    defer {
                        client.close()
                        connected.withLock { $0 -= 1 }
                    }
                    await serve(client)
                }
            }
        }
    }

    /// Ends sending and reads what the client still sends (at most 64 KiB, for at most a second) before the
    /// caller closes: closing with unread bytes would reset the connection and lose the answer just written.
    private func lingeringClose(_ client: TCPStream) async {
        client.shutdownOutput()
        let deadline = IOLoop.now + .seconds(1)
        var discarded = 0
        while discarded < 65_536 {
            guard let chunk = try? await client.read(upTo: 4096, deadline: deadline), !chunk.isEmpty else { return }
            discarded += chunk.count
        }
    }

    /// Serves requests on one connection until the client closes it, asks to, idles out or sends a bad request.
    func serve(_ client: TCPStream) async {
        var buffer: [UInt8] = []
        while !Task.isCancelled {
            let deadline = IOLoop.now + idleTimeout
            switch HTTPRequestHead.parse(buffer, limits: limits) {
            case .incomplete:
                let chunk: [UInt8]
                do throws(IOError) {
                    chunk = try await client.read(upTo: 4096, deadline: deadline)
                } catch {
                    if case .timedOut = error, !buffer.isEmpty {
                        let timeout = HTTPServerResponse.error(408, "no complete request within \(idleTimeout)")
                        try? await client.write(
                            timeout.serialised(keepAlive: false),
                            deadline: IOLoop.now + .seconds(1)
                        )
                    }
                    return
                }
                if chunk.isEmpty { return }
                buffer += chunk
            case .refused(let status, let reason):
                let refusal = HTTPServerResponse.error(status, reason)
                try? await client.write(refusal.serialised(keepAlive: false), deadline: deadline)
                await lingeringClose(client)
                return
            case .complete(let head, let consumed):
                buffer.removeFirst(consumed)
                let response: HTTPServerResponse
                if head.method == "GET" || head.method == "HEAD" {
                    response = await handler(head)
                } else {
                    response = .error(405, "only GET and HEAD are served here", headers: ["Allow: GET, HEAD"])
                }
                let keepAlive = head.keepAlive && response.status < 400
                do throws(IOError) {
                    try await client.write(
                        response.serialised(keepAlive: keepAlive, headOnly: head.method == "HEAD"),
                        deadline: deadline
                    )
                } catch {
                    return
                }
                guard keepAlive else {
                    await lingeringClose(client)
                    return
                }
            }
        }
    }
}

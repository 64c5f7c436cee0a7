import COpenSSLTLS
import IOEngine

#if canImport(Glibc)
import Glibc
#endif

/// The dedicated thread behind one `MQTTTransport`: resolves and connects (non-blocking connect, poll with a
/// deadline), performs the TLS handshake, then polls the socket and the wake pipe, reading into `inbound`
/// and writing what `send` queued. Only this thread touches the socket and the SSL object.
final class MQTTConnectionThread {
    private enum Wait {
        case ready
        case timedOut
        case closing
    }

    private let transport: MQTTTransport
    private let tls: TLSContext?
    private let timeout: Duration
    private var onConnected: (@Sendable (Result<Void, MQTTError>) -> Void)?
    private var socket: Int32 = -1
    private var ssl: OpaquePointer?
    private var pending: [UInt8] = []
    private var pendingOffset = 0
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)
    /// SSL_read needed to write (a TLS key update): poll for writability too.
    private var readWantsWrite = false
    /// Whether any application data arrived on this connection yet.
    private var receivedAny = false

    private var host: String { transport.host }
    private var port: Int { transport.port }

    init(
        transport: MQTTTransport,
        tls: TLSContext?,
        timeout: Duration,
        onConnected: @escaping @Sendable (Result<Void, MQTTError>) -> Void
    ) {
        self.transport = transport
        self.tls = tls
        self.timeout = timeout
        self.onConnected = onConnected
    }

    /// Starts the detached thread (pthread_create); returns an error if no thread could be made.
    func start() -> MQTTError? {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread,
            &attributes,
            { context in
                guard let context else { return nil }
                Unmanaged<MQTTConnectionThread>.fromOpaque(context).takeRetainedValue().main()
                return nil
            },
            context
        )
        guard result == 0 else {
            Unmanaged<MQTTConnectionThread>.fromOpaque(context).release()
            return .connectionFailed(host: host, port: port, reason: "cannot start I/O thread: errno \(result)")
        }
        return nil
    }

    private func main() {
        // A write to a socket the peer closed raises SIGPIPE on the writing thread; blocked here, it is never
        // delivered (MSG_NOSIGNAL covers plain sends, this covers OpenSSL's own writes).
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)

        let established = establish()
        onConnected?(established)
        onConnected = nil
        switch established {
        case .success:
            if let error = serve() {
                transport.inboundContinuation.finish(throwing: error)
            } else {
                transport.inboundContinuation.finish()
            }
        case .failure(let error):
            transport.inboundContinuation.finish(throwing: error)
        }
        if let ssl { SSL_free(ssl) }
        ssl = nil
        if socket >= 0 { Glibc.close(socket) }
        socket = -1
    }

    // MARK: connecting

    private func establish() -> Result<Void, MQTTError> {
        let deadline = Self.now() + Self.milliseconds(timeout)
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            let reason = status == EAI_SYSTEM ? MQTTTransport.errnoText() : String(cString: gai_strerror(status))
            return .failure(.hostNotFound(host: host, port: port, reason: reason))
        }
        defer { freeaddrinfo(list) }
        var lastError = MQTTError.connectionFailed(host: host, port: port, reason: "no addresses")
        var candidate: UnsafeMutablePointer<addrinfo>? = list
        while let address = candidate {
            candidate = address.pointee.ai_next
            switch connect(to: address.pointee, deadline: deadline) {
            case .success:
                configureSocket()
                if tls != nil {
                    return handshake(deadline: deadline)
                }
                return .success(())
            case .failure(let error):
                lastError = error
                if case .stopped = error { return .failure(error) }
                if case .connectTimedOut = error { return .failure(error) }
            }
        }
        return .failure(lastError)
    }

    private func connect(to address: addrinfo, deadline: Int64) -> Result<Void, MQTTError> {
        if socket >= 0 { Glibc.close(socket) }
        socket = Glibc.socket(
            address.ai_family,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
            address.ai_protocol
        )
        guard socket >= 0 else {
            return .failure(.connectionFailed(host: host, port: port, reason: "socket: \(MQTTTransport.errnoText())"))
        }
        if Glibc.connect(socket, address.ai_addr, address.ai_addrlen) == 0 { return .success(()) }
        guard errno == EINPROGRESS else {
            return .failure(.connectionFailed(host: host, port: port, reason: MQTTTransport.errnoText()))
        }
        switch wait(for: Int16(POLLOUT), until: deadline) {
        case .closing:
            return .failure(.stopped)
        case .timedOut:
            return .failure(.connectTimedOut(host: host, port: port, seconds: Self.seconds(timeout)))
        case .ready:
            var code: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(socket, SOL_SOCKET, SO_ERROR, &code, &length)
            guard code == 0 else {
                return .failure(.connectionFailed(host: host, port: port, reason: MQTTTransport.errnoText(code)))
            }
            return .success(())
        }
    }

    /// TCP_NODELAY (MQTT packets are small and latency matters) and TCP keepalive as a second line of defence
    /// behind MQTT's own keep-alive.
    private func configureSocket() {
        func set(_ level: Int32, _ option: Int32, _ value: Int32) {
            var value = value
            setsockopt(socket, level, option, &value, socklen_t(MemoryLayout<Int32>.size))
        }
        set(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        set(SOL_SOCKET, SO_KEEPALIVE, 1)
        set(Int32(IPPROTO_TCP), TCP_KEEPIDLE, 30)
        set(Int32(IPPROTO_TCP), TCP_KEEPINTVL, 10)
        set(Int32(IPPROTO_TCP), TCP_KEEPCNT, 3)
    }

    private func handshake(deadline: Int64) -> Result<Void, MQTTError> {
        guard let context = tls?.context, let ssl = SSL_new(context) else {
            return .failure(.tlsHandshakeFailed(host: host, port: port, reason: TLSContext.openSSLErrors()))
        }
        self.ssl = ssl
        SSL_set_fd(ssl, socket)
        // The certificate must name the host we dialled: an IP address is matched against IP SANs, a name
        // against DNS SANs / CN (and sent as SNI).
        if Self.isIPAddress(host) {
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 else {
                return .failure(.tlsHandshakeFailed(host: host, port: port, reason: "cannot verify IP \(host)"))
            }
        } else {
            guard SSL_set1_host(ssl, host) == 1, floorlink_ssl_set_sni(ssl, host) == 1 else {
                return .failure(.tlsHandshakeFailed(host: host, port: port, reason: "cannot set host name"))
            }
        }
        while true {
            ERR_clear_error()
            let result = SSL_connect(ssl)
            if result == 1 { return .success(()) }
            let events: Int16
            switch SSL_get_error(ssl, result) {
            case SSL_ERROR_WANT_READ:
                events = Int16(POLLIN)
            case SSL_ERROR_WANT_WRITE:
                events = Int16(POLLOUT)
            default:
                return .failure(.tlsHandshakeFailed(host: host, port: port, reason: handshakeFailureReason(ssl)))
            }
            switch wait(for: events, until: deadline) {
            case .ready: continue
            case .closing: return .failure(.stopped)
            case .timedOut: return .failure(.connectTimedOut(host: host, port: port, seconds: Self.seconds(timeout)))
            }
        }
    }

    private func handshakeFailureReason(_ ssl: OpaquePointer) -> String {
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK {
            let text = X509_verify_cert_error_string(verify).map { String(cString: $0) } ?? "code \(verify)"
            return "certificate verify failed: \(text)"
        }
        let errors = TLSContext.openSSLErrors()
        return errors == "unknown OpenSSL error" ? "connection closed during the handshake" : errors
    }

    /// Polls the socket for `events` and the wake pipe until `deadline` (monotonic ms).
    private func wait(for events: Int16, until deadline: Int64) -> Wait {
        while true {
            if transport.shared.withLock({ $0.closing }) { return .closing }
            let remaining = deadline - Self.now()
            guard remaining > 0 else { return .timedOut }
            var fds = [
                pollfd(fd: socket, events: events, revents: 0),
                pollfd(fd: transport.wakePipe.read, events: Int16(POLLIN), revents: 0),
            ]
            let result = poll(&fds, 2, Int32(clamping: remaining))
            if result < 0 && errno != EINTR { return .timedOut }
            if fds[1].revents != 0 { drainWakePipe() }
            if fds[0].revents != 0 { return .ready }
        }
    }

    // MARK: serving

    /// Moves bytes both ways until closed locally (nil) or the connection fails (the error).
    private func serve() -> MQTTError? {
        while true {
            drainWakePipe()
            let (closing, flushThenClose, outbound, reading) = transport.shared.withLock { shared in
                defer { shared.outbound.removeAll() }
                let reading = shared.unconsumedInbound < MQTTTransport.maximumUnconsumedInbound
                return (shared.closing, shared.closeAfterFlush, shared.outbound, reading)
            }
            if closing { return nil }
            for chunk in outbound { pending.append(contentsOf: chunk) }
            if let error = flush() { return error }
            if flushThenClose && pending.isEmpty { return nil }
            // While the consumer is behind, the socket is not read: TCP flow control holds the broker back, and
            // `consumed` wakes this loop when there is room again.
            var events = reading ? Int16(POLLIN) : 0
            if !pending.isEmpty || readWantsWrite { events |= Int16(POLLOUT) }
            readWantsWrite = false
            var fds = [
                pollfd(fd: events == 0 ? -1 : socket, events: events, revents: 0),
                pollfd(fd: transport.wakePipe.read, events: Int16(POLLIN), revents: 0),
            ]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                return .connectionLost(host: host, port: port, reason: "poll: \(MQTTTransport.errnoText())")
            }
            if fds[0].revents & Int16(POLLIN | POLLOUT | POLLHUP | POLLERR) != 0 {
                if let error = readAvailable() { return error }
            }
        }
    }

    /// Reads until the socket would block (at most 16 reads, so writes are not starved), or until
    /// `maximumUnconsumedInbound` bytes wait unprocessed.
    private func readAvailable() -> MQTTError? {
        for _ in 0..<16 {
            let full = transport.shared.withLock { $0.unconsumedInbound >= MQTTTransport.maximumUnconsumedInbound }
            if full { return nil }
            let count: Int
            if let ssl {
                ERR_clear_error()
                let result = readBuffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
                if result <= 0 {
                    let code = SSL_get_error(ssl, result)
                    switch code {
                    case SSL_ERROR_WANT_READ:
                        return nil
                    case SSL_ERROR_WANT_WRITE:
                        readWantsWrite = true
                        return nil
                    case SSL_ERROR_ZERO_RETURN:
                        return lost("the broker closed the TLS session")
                    case SSL_ERROR_SYSCALL:
                        return lost(errno == 0 ? "the broker closed the connection" : MQTTTransport.errnoText())
                    default:
                        let errors = TLSContext.openSSLErrors()
                        // TLS 1.3 finishes the client's handshake before the server checks the client
                        // certificate: a rejection arrives as an alert on the first read.
                        guard receivedAny else {
                            return .tlsHandshakeFailed(
                                host: host,
                                port: port,
                                reason: "rejected by the broker: \(errors)"
                            )
                        }
                        return lost("TLS read failed: \(errors)")
                    }
                }
                count = Int(result)
            } else {
                let result = readBuffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                if result == 0 { return lost("the broker closed the connection") }
                if result < 0 {
                    if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
                    if errno == EINTR { continue }
                    return lost(MQTTTransport.errnoText())
                }
                count = result
            }
            receivedAny = true
            transport.shared.withLock { $0.unconsumedInbound += count }
            transport.inboundContinuation.yield(Array(readBuffer[0..<count]))
        }
        return nil
    }

    /// Writes queued bytes until done or the socket would block.
    private func flush() -> MQTTError? {
        while pendingOffset < pending.count {
            let written: Int
            if let ssl {
                ERR_clear_error()
                let result = pending.withUnsafeBytes { bytes in
                    SSL_write(ssl, bytes.baseAddress.map { $0 + pendingOffset }, Int32(bytes.count - pendingOffset))
                }
                if result <= 0 {
                    switch SSL_get_error(ssl, result) {
                    case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                        return nil
                    case SSL_ERROR_SYSCALL:
                        return lost("TLS write: \(MQTTTransport.errnoText())")
                    default:
                        return lost("TLS write failed: \(TLSContext.openSSLErrors())")
                    }
                }
                written = Int(result)
            } else {
                let result = pending.withUnsafeBytes { bytes in
                    Glibc.send(
                        socket,
                        bytes.baseAddress.map { $0 + pendingOffset },
                        bytes.count - pendingOffset,
                        Int32(MSG_NOSIGNAL)
                    )
                }
                if result < 0 {
                    if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
                    if errno == EINTR { continue }
                    return lost(MQTTTransport.errnoText())
                }
                written = result
            }
            pendingOffset += written
        }
        pending.removeAll(keepingCapacity: pending.capacity <= 1 << 20)
        pendingOffset = 0
        return nil
    }

    private func lost(_ reason: String) -> MQTTError {
        .connectionLost(host: host, port: port, reason: reason)
    }

    private func drainWakePipe() {
        var scratch = [UInt8](repeating: 0, count: 64)
        while scratch.withUnsafeMutableBytes({ Glibc.read(transport.wakePipe.read, $0.baseAddress, $0.count) }) > 0 {}
    }

    // MARK: helpers

    private static func isIPAddress(_ host: String) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, host, &buffer) == 1 || inet_pton(AF_INET6, host, &buffer) == 1
    }

    /// CLOCK_MONOTONIC in milliseconds.
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(milliseconds(duration)) / 1000
    }
}

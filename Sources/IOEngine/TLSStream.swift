import COpenSSLTLS
import Glibc
import Locking

/// TLS over a `TCPStream`, non-blocking: SSL_connect, SSL_read and SSL_write run until OpenSSL wants to read or
/// write, then the task waits on the `IOLoop` and tries again. The SSL object is used only under its lock, so a
/// reader and a writer never call into it at once.
public final class TLSStream: ByteStream {
    public var peer: String { transport.peer }
    /// The negotiated protocol, `TLSv1.2` or `TLSv1.3` (empty once closed).
    public var protocolVersion: String {
        connection.withLock { ssl in ssl.flatMap { SSL_get_version($0) }.map { String(cString: $0) } ?? "" }
    }
    private let transport: TCPStream
    /// The SSL object; nil once closed (and freed).
    private let connection: Locked<OpaquePointer?>

    private init(transport: TCPStream, ssl: sending OpaquePointer) {
        self.transport = transport
        self.connection = Locked(ssl)
    }

    deinit { close() }

    /// Runs the TLS handshake over `transport` by `deadline`: the server's certificate must chain to the
    /// context's CA and name `serverName` (a host name, also sent as SNI, or an IP address). On failure the
    /// transport is closed.
    public static func connect(
        over transport: TCPStream,
        serverName: String,
        context: TLSContext,
        deadline: Duration?
    ) async throws(IOError) -> TLSStream {
        guard let ssl = SSL_new(context.context) else {
            transport.close()
            throw .tls(target: transport.peer, detail: "SSL_new failed: \(TLSContext.openSSLErrors())")
        }
        let stream = TLSStream(transport: transport, ssl: ssl)
        do throws(IOError) {
            try stream.configure(serverName: serverName)
            try await stream.perform("TLS handshake with", deadline: deadline) { SSL_connect($0) }
        } catch {
            stream.close()
            throw error
        }
        return stream
    }

    /// Binds the SSL to the socket and sets what the certificate must name: an IP address is matched against IP
    /// SANs, a name against DNS SANs / CN and sent as SNI.
    private func configure(serverName: String) throws(IOError) {
        let failure = connection.withLock { ssl -> String? in
            guard let ssl else { return "closed" }
            guard SSL_set_fd(ssl, transport.fd) == 1 else { return "SSL_set_fd: \(TLSContext.openSSLErrors())" }
            if Self.isIPAddress(serverName) {
                guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) == 1 else {
                    return "cannot verify IP address \(serverName)"
                }
            } else {
                guard SSL_set1_host(ssl, serverName) == 1, floorlink_ssl_set_sni(ssl, serverName) == 1 else {
                    return "cannot set host name \(serverName)"
                }
            }
            return nil
        }
        if let failure { throw .tls(target: peer, detail: failure) }
    }

    public func read(upTo maximum: Int, deadline: Duration?) async throws(IOError) -> [UInt8] {
        // Not zero-filled, as in `TCPStream.read`: most reads bring a few bytes of a 64 KiB buffer.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, maximum), alignment: 1)
        defer { buffer.deallocate() }
        let count = try await perform("read from", deadline: deadline) { ssl in
            SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        }
        return Array(buffer.prefix(Int(count)))
    }

    public func write(_ bytes: [UInt8], deadline: Duration?) async throws(IOError) {
        var offset = 0
        while offset < bytes.count {
            let written = try await perform("write to", deadline: deadline) { ssl in
                bytes.withUnsafeBytes {
                    SSL_write(ssl, $0.baseAddress.map { $0 + offset }, Int32(clamping: $0.count - offset))
                }
            }
            guard written > 0 else { throw .closed(target: peer) }
            offset += Int(written)
        }
    }

    /// Sends close_notify if the socket takes it now, frees the SSL and closes the socket.
    public func close() {
        // Shut down and freed under the lock, so the pointer never leaves it (Swift 6.0's region checker refuses
        // to hand an `inout sending` value back out).
        Self.withoutSIGPIPE {
            connection.withLock { ssl in
                if let current = ssl {
                    _ = SSL_shutdown(current)
                    SSL_free(current)
                }
                ssl = nil
            }
        }
        transport.close()
    }

    private enum Step {
        case done(Int32)
        case wait(IOLoop.Interest)
        case failed(IOError)
    }

    /// Calls `call` under the lock until it succeeds, waiting on the loop whenever OpenSSL wants the socket to
    /// be readable or writable. A clean close_notify (or a close without one) returns 0: end of stream.
    @discardableResult
    private func perform(
        _ operation: String,
        deadline: Duration?,
        _ call: (OpaquePointer) -> Int32
    ) async throws(IOError) -> Int32 {
        let started = IOLoop.now
        while true {
            let step = Self.withoutSIGPIPE {
                connection.withLock { ssl -> Step in
                    guard let ssl else { return .failed(.closed(target: peer)) }
                    ERR_clear_error()
                    errno = 0
                    let result = call(ssl)
                    if result > 0 { return .done(result) }
                    let code = SSL_get_error(ssl, result)
                    switch code {
                    case SSL_ERROR_WANT_READ: return .wait(.readable)
                    case SSL_ERROR_WANT_WRITE: return .wait(.writable)
                    case SSL_ERROR_ZERO_RETURN: return .done(0)
                    default: return .failed(failure(of: ssl, operation: operation, code: code))
                    }
                }
            }
            switch step {
            case .done(let result): return result
            case .wait(let interest):
                try await transport.wait(for: interest, operation: operation, deadline: deadline, since: started)
            case .failed(let error): throw error
            }
        }
    }

    /// The error for a failed SSL call: a certificate that did not verify (with its subject and OpenSSL's
    /// reason), a socket error, or OpenSSL's error queue.
    private func failure(of ssl: OpaquePointer, operation: String, code: Int32) -> IOError {
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK {
            let reason = X509_verify_cert_error_string(verify).map { String(cString: $0) } ?? "verify code \(verify)"
            return .certificateRejected(target: peer, subject: Self.subject(of: ssl), reason: reason)
        }
        if code == SSL_ERROR_SYSCALL, errno != 0 {
            return .failed(operation: operation, target: peer, errno: errno)
        }
        let errors = TLSContext.openSSLErrors()
        let detail = errors == "unknown OpenSSL error" ? "the connection closed during \(operation)" : errors
        return .tls(target: peer, detail: detail)
    }

    /// The subject of the certificate the peer presented, `/CN=…`, when there was one.
    private static func subject(of ssl: OpaquePointer) -> String? {
        guard let certificate = floorlink_ssl_peer_leaf(ssl), let name = X509_get_subject_name(certificate) else {
            return nil
        }
        var buffer = [CChar](repeating: 0, count: 512)
        guard X509_NAME_oneline(name, &buffer, Int32(buffer.count)) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs `body` (an OpenSSL call that may write to the socket) with SIGPIPE blocked on this thread: OpenSSL
    /// writes with write(2), not send(MSG_NOSIGNAL), and a peer that closed its end would otherwise kill the
    /// process. A SIGPIPE the call raised is consumed before the mask is restored; the call sees EPIPE instead.
    static func withoutSIGPIPE<T>(_ body: () -> T) -> T {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var pending = sigset_t()
        sigpending(&pending)
        let alreadyPending = sigismember(&pending, SIGPIPE) == 1
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        let result = body()
        let code = errno
        if !alreadyPending {
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 {
                var immediately = timespec()
                _ = sigtimedwait(&pipeSignal, nil, &immediately)
            }
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        errno = code
        return result
    }

    /// True for a numeric IPv4 or IPv6 address (which has no SNI and is checked against IP SANs).
    static func isIPAddress(_ host: String) -> Bool {
        SocketAddress(numericHost: host, port: 0) != nil
    }
}

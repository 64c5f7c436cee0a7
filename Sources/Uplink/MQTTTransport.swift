import IOEngine
import Locking

#if canImport(Glibc)
import Glibc
#endif

/// One TCP (optionally TLS) connection to a broker, run on its own dedicated thread so that blocking socket
/// and OpenSSL calls never touch the cooperative pool. Bytes received arrive on `inbound`; `send` queues
/// bytes for the thread to write; `close` drops the connection at once (no DISCONNECT).
final class MQTTTransport: Sendable {
    /// What the async side and the I/O thread share.
    struct Shared: ~Copyable {
        var outbound: [[UInt8]] = []
        var closing = false
        var closeAfterFlush = false
        /// Bytes yielded on `inbound` and not yet reported back through `consumed`.
        var unconsumedInbound = 0
    }

    /// The I/O thread stops reading while this many received bytes wait on `inbound` unprocessed, so a slow
    /// consumer (or a huge message) makes the broker wait (TCP flow control) instead of growing memory.
    static let maximumUnconsumedInbound = 1 << 20

    let host: String
    let port: Int
    /// Received bytes; finishes normally after `close()`, or with an `MQTTError` when the connection fails.
    let inbound: AsyncThrowingStream<[UInt8], any Error>
    let inboundContinuation: AsyncThrowingStream<[UInt8], any Error>.Continuation
    let shared = Locked(Shared())
    /// A self-pipe that wakes the I/O thread's poll: [read end, write end], both non-blocking.
    let wakePipe: (read: Int32, write: Int32)

    private init(host: String, port: Int) throws(MQTTError) {
        self.host = host
        self.port = port
        (inbound, inboundContinuation) = AsyncThrowingStream.makeStream(of: [UInt8].self)
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw .connectionFailed(host: host, port: port, reason: "pipe: \(MQTTTransport.errnoText())")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakePipe = (fds[0], fds[1])
    }

    deinit {
        Glibc.close(wakePipe.read)
        Glibc.close(wakePipe.write)
    }

    /// Resolves `host`, connects within `timeout` (then the TLS handshake, when `tls` is given) on a new
    /// thread, and returns once the connection is ready for MQTT.
    static func connect(
        host: String,
        port: Int,
        tls: TLSContext?,
        timeout: Duration
    ) async throws(MQTTError) -> MQTTTransport {
        let transport = try MQTTTransport(host: host, port: port)
        let result: Result<Void, MQTTError> = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, MQTTError>, Never>) in
                let thread = MQTTConnectionThread(
                    transport: transport,
                    tls: tls,
                    timeout: timeout,
                    onConnected: { continuation.resume(returning: $0) }
                )
                if let failure = thread.start() {
                    continuation.resume(returning: .failure(failure))
                }
            }
        } onCancel: {
            transport.close()
        }
        switch result {
        case .success:
            return transport
        case .failure(let error):
            transport.close()
            throw error
        }
    }

    /// Queues `bytes` for the I/O thread; ignored once the connection is closing.
    func send(_ bytes: [UInt8]) {
        let queued = shared.withLock { shared in
            guard !shared.closing else { return false }
            shared.outbound.append(bytes)
            return true
        }
        if queued { wake() }
    }

    /// Reports that `count` bytes taken from `inbound` were processed; the I/O thread resumes reading if it
    /// had stopped at `maximumUnconsumedInbound`.
    func consumed(_ count: Int) {
        let resume = shared.withLock { shared in
            let wasFull = shared.unconsumedInbound >= Self.maximumUnconsumedInbound
            shared.unconsumedInbound -= count
            return wasFull && shared.unconsumedInbound < Self.maximumUnconsumedInbound
        }
        if resume { wake() }
    }

    /// Bytes received and not yet reported consumed.
    var unconsumedInboundCount: Int { shared.withLock { $0.unconsumedInbound } }

    /// Drops the connection at once: the thread closes the socket without an MQTT DISCONNECT.
    func close() {
        shared.withLock { $0.closing = true }
        wake()
    }

    /// Closes the connection once everything queued so far is written (after a DISCONNECT).
    func closeAfterFlush() {
        shared.withLock { $0.closeAfterFlush = true }
        wake()
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = Glibc.write(wakePipe.write, &byte, 1)
    }

    /// `strerror(errno)` with the errno number.
    static func errnoText(_ code: Int32 = errno) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}

import IOEngine
import Locking

/// One TCP (optionally TLS) connection to a broker on the I/O engine's `ByteStream`: a reader task reads what
/// `nextChunk` hands out, a writer task writes what `send` queued (coalesced, each write with a deadline). Both wait in the
/// one `IOLoop`, so a connection costs two suspended tasks, not a thread. `close` drops the connection at once
/// (no DISCONNECT).
final class MQTTTransport: Sendable {
    /// What `send`/`consumed`/`close` and the reader and writer tasks share.
    struct Shared: ~Copyable {
        /// Bytes queued for the writer, in order.
        var outbound: [UInt8] = []
        var closing = false
        var closeAfterFlush = false
        /// Bytes read and not yet reported back through `consumed`.
        var unconsumedInbound = 0
        /// Whether the broker has sent anything yet: before that, a failed write leaves the verdict to the reader.
        var receivedAny = false
        /// The reader, parked while `unconsumedInbound` is at the bound.
        var parkedReader: CheckedContinuation<Void, Never>?
        /// The writer, parked while there is nothing to write.
        var parkedWriter: CheckedContinuation<Void, Never>?
        /// Read and not yet taken by `nextChunk`, oldest first from `chunksHead`.
        var chunks: [[UInt8]] = []
        var chunksHead = 0
        /// Set when the reader stopped: `.some(nil)` for a clean end (a close asked for), else why it failed.
        var end: MQTTError?? = nil
        /// The consumer, parked in `nextChunk` while nothing is read.
        var parkedConsumer: CheckedContinuation<Void, Never>?
        /// Takes chunks on the reader's thread instead of `nextChunk` (see `receiveInPlace`).
        var inPlace: InPlaceReceiver?
    }

    /// What a receiver set with `receiveInPlace` did with a chunk.
    enum InPlaceReceipt {
        /// Not taken (the reader runs where the receiver cannot enter): it goes to `nextChunk`.
        case declined
        case taken
        /// Taken, and the connection is broken (a protocol violation): it is failed with this error.
        case failed(MQTTError)
    }

    typealias InPlaceReceiver = @Sendable ([UInt8]) -> InPlaceReceipt

    /// What `nextChunk` finds.
    private enum Inbound {
        case chunk([UInt8])
        case end(MQTTError?)
        case nothingYet
    }

    /// The reader stops reading while this many received bytes wait unprocessed, so a slow
    /// consumer (or a huge message) makes the broker wait (TCP flow control) instead of growing memory.
    static let maximumUnconsumedInbound = 1 << 20
    /// The most one read takes from the stream.
    static let readSize = 64 * 1024
    /// How long one write may wait for the socket: a broker that stops reading is a lost connection.
    static let writeTimeout = Duration.seconds(10)

    let host: String
    let port: Int
    /// The negotiated TLS protocol (`TLSv1.3`), nil on a plain TCP connection.
    let tlsVersion: String?
    private let stream: any ByteStream
    private let shared = Locked(Shared())

    private init(host: String, port: Int, stream: any ByteStream, tlsVersion: String?) {
        self.host = host
        self.port = port
        self.stream = stream
        self.tlsVersion = tlsVersion
    }

    /// Resolves `host` and connects within `timeout` (then the TLS handshake, when `tls` is given, within the same
    /// deadline), and returns once the connection is ready for MQTT, its reader and writer running (on
    /// `taskExecutor`; nil: the global pool).
    static func connect(
        host: String,
        port: Int,
        tls: TLSContext?,
        timeout: Duration,
        taskExecutor: (any TaskExecutor)? = nil
    ) async throws(MQTTError) -> MQTTTransport {
        guard let tcpPort = UInt16(exactly: port) else {
            throw .connectionFailed(host: host, port: port, reason: "port \(port) is out of range")
        }
        let deadline = IOLoop.now + timeout
        let stream: any ByteStream
        var tlsVersion: String?
        do throws(IOError) {
            let tcp = try await TCPStream.connect(host: host, port: tcpPort, timeout: timeout)
            if let tls {
                let secured = try await TLSStream.connect(over: tcp, serverName: host, context: tls, deadline: deadline)
                tlsVersion = secured.protocolVersion
                stream = secured
            } else {
                stream = tcp
            }
        } catch {
            throw connectFailure(error, host: host, port: port, timeout: timeout)
        }
        let transport = MQTTTransport(host: host, port: port, stream: stream, tlsVersion: tlsVersion)
        Task(executorPreference: taskExecutor) { await transport.readLoop() }
        Task(executorPreference: taskExecutor) { await transport.writeLoop() }
        return transport
    }

    /// Sends `bytes`: at once when the writer is idle and the socket takes them all, otherwise (the rest) through the
    /// writer; ignored once the connection is closing.
    func send(_ bytes: [UInt8]) {
        let writer = shared.withLock { shared -> CheckedContinuation<Void, Never>? in
            guard !shared.closing, !shared.closeAfterFlush else { return nil }
            // The writer parked with nothing queued has written everything sent before: these bytes go out now, on
            // this thread, and it wakes only for what the socket did not take (or to report why it took nothing).
            var written = 0
            if shared.outbound.isEmpty, shared.parkedWriter != nil {
                written = stream.writeNow(bytes)
                if written == bytes.count { return nil }
            }
            shared.outbound.append(contentsOf: bytes[written...])
            defer { shared.parkedWriter = nil }
            return shared.parkedWriter
        }
        writer?.resume()
    }

    /// Reports that `count` bytes taken with `nextChunk` were processed; the reader resumes if it had stopped at
    /// `maximumUnconsumedInbound`.
    func consumed(_ count: Int) {
        let reader = shared.withLock { shared -> CheckedContinuation<Void, Never>? in
            shared.unconsumedInbound -= count
            guard shared.unconsumedInbound < Self.maximumUnconsumedInbound else { return nil }
            defer { shared.parkedReader = nil }
            return shared.parkedReader
        }
        reader?.resume()
    }

    /// Bytes received and not yet reported consumed.
    var unconsumedInboundCount: Int { shared.withLock { $0.unconsumedInbound } }

    /// Drops the connection at once, without an MQTT DISCONNECT: a waiting read or write ends, `nextChunk` then
    /// ends normally (nil).
    func close() {
        let (reader, writer) = shared.withLock { shared in
            shared.closing = true
            // The receiver holds its client, which holds this transport while connected: let both go.
            shared.inPlace = nil
            defer {
                shared.parkedReader = nil
                shared.parkedWriter = nil
            }
            return (shared.parkedReader, shared.parkedWriter)
        }
        stream.close()
        reader?.resume()
        writer?.resume()
    }

    /// Closes the connection once everything queued so far is written (after a DISCONNECT).
    func closeAfterFlush() {
        let writer = shared.withLock { shared -> CheckedContinuation<Void, Never>? in
            shared.closeAfterFlush = true
            defer { shared.parkedWriter = nil }
            return shared.parkedWriter
        }
        writer?.resume()
    }

    private var isClosing: Bool { shared.withLock { $0.closing } }

    /// Ends what `nextChunk` hands out with `error` (normally when this side is closing) and closes the stream.
    private func fail(_ error: MQTTError) {
        finishInbound(with: error)
        close()
    }

    /// Ends the inbound side: after the chunks read so far, `nextChunk` returns nil (`error` nil, or this side was
    /// closing) or throws `error`. The first end stays.
    private func finishInbound(with error: MQTTError?) {
        let consumer = shared.withLock { shared -> CheckedContinuation<Void, Never>? in
            if shared.end == nil { shared.end = .some(shared.closing ? nil : error) }
            defer { shared.parkedConsumer = nil }
            return shared.parkedConsumer
        }
        consumer?.resume()
    }

    // MARK: reading

    /// Has the reader hand each chunk to `receiver` on its own thread, as soon as it is read and while nothing waits
    /// for `nextChunk` before it, instead of waking the consumer. For a client that lives on the loop the reader runs
    /// on: one job per chunk (the read's), where `nextChunk` costs two more on this runtime (its resume lands on the
    /// task's executor, then hops to the actor's).
    func receiveInPlace(_ receiver: @escaping InPlaceReceiver) {
        shared.withLock { $0.inPlace = receiver }
    }

    /// The next chunk the broker sent, nil once the connection was closed from this side; throws why it failed
    /// otherwise. For one consumer. It waits isolated to the caller (the client's actor): the reader's chunk then
    /// resumes it with one job on that actor's executor, where a stream's iterator hopped through the task's
    /// executor and back (three jobs per chunk). A cancelled caller gets nil.
    func nextChunk(isolation: isolated (any Actor)? = #isolation) async throws(MQTTError) -> [UInt8]? {
        while true {
            let found = shared.withLock { shared -> Inbound in
                if shared.chunksHead < shared.chunks.count {
                    let chunk = shared.chunks[shared.chunksHead]
                    shared.chunksHead += 1
                    if shared.chunksHead == shared.chunks.count {
                        shared.chunks.removeAll(keepingCapacity: true)
                        shared.chunksHead = 0
                    }
                    return .chunk(chunk)
                }
                if let end = shared.end { return .end(end) }
                return .nothingYet
            }
            switch found {
            case .chunk(let chunk): return chunk
            case .end(let error?): throw error
            case .end(nil): return nil
            case .nothingYet: break
            }
            if Task.isCancelled { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = shared.withLock { shared in
                        if shared.chunksHead < shared.chunks.count || shared.end != nil || Task.isCancelled {
                            return true
                        }
                        shared.parkedConsumer = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                let consumer = shared.withLock { shared -> CheckedContinuation<Void, Never>? in
                    defer { shared.parkedConsumer = nil }
                    return shared.parkedConsumer
                }
                consumer?.resume()
            }
        }
    }

    /// Reads until the stream ends or fails, parking while `maximumUnconsumedInbound` bytes wait unprocessed.
    private func readLoop() async {
        while true {
            await waitForRoom()
            if isClosing {
                finishInbound(with: nil)
                return
            }
            let bytes: [UInt8]
            do throws(IOError) {
                bytes = try await stream.read(upTo: Self.readSize, deadline: nil)
            } catch {
                fail(readFailure(error, receivedAny: shared.withLock { $0.receivedAny }))
                return
            }
            guard !bytes.isEmpty else {
                fail(.connectionLost(host: host, port: port, reason: "the broker closed the connection"))
                return
            }
            let receiver = shared.withLock { shared -> InPlaceReceiver? in
                shared.receivedAny = true
                return shared.chunksHead == shared.chunks.count ? shared.inPlace : nil
            }
            switch receiver?(bytes) ?? .declined {
            case .taken: continue
            case .failed(let error):
                fail(error)
                return
            case .declined: break
            }
            let consumer = shared.withLock { shared -> CheckedContinuation<Void, Never>? in
                shared.unconsumedInbound += bytes.count
                shared.chunks.append(bytes)
                defer { shared.parkedConsumer = nil }
                return shared.parkedConsumer
            }
            consumer?.resume()
        }
    }

    /// The reader need not park: the connection is closing (the reader then stops) or there is room for more.
    private static func mayRead(_ shared: borrowing Shared) -> Bool {
        shared.closing || shared.unconsumedInbound < maximumUnconsumedInbound
    }

    private func waitForRoom() async {
        // Mostly there is room: looking first spares a checked continuation (an allocation) per packet read.
        guard !shared.withLock({ Self.mayRead($0) }) else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = shared.withLock { shared in
                if Self.mayRead(shared) { return true }
                shared.parkedReader = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }

    // MARK: writing

    private enum WriterStep {
        case write([UInt8])
        case idle
        case flushed
        case closing
    }

    /// Writes queued bytes, everything queued at once in one write, until closed or flushed and done.
    private func writeLoop() async {
        while true {
            let step = shared.withLock { shared -> WriterStep in
                if shared.closing { return .closing }
                if !shared.outbound.isEmpty {
                    let bytes = shared.outbound
                    shared.outbound = []
                    return .write(bytes)
                }
                return shared.closeAfterFlush ? .flushed : .idle
            }
            switch step {
            case .closing:
                return
            case .flushed:
                close()
                return
            case .idle:
                await waitForWork()
            case .write(let bytes):
                do throws(IOError) {
                    try await stream.write(bytes, deadline: IOLoop.now + Self.writeTimeout)
                } catch {
                    // Before the broker said anything, why it reset the connection is on the read side: a TLS 1.3
                    // broker refuses a client certificate with an alert after our handshake is done, and its reset
                    // can fail our CONNECT first. The reader reports that alert (or the reset, or the close); the
                    // client's connect timeout bounds a broker that simply stopped reading.
                    if shared.withLock({ !$0.receivedAny }) { return }
                    fail(writeFailure(error))
                    return
                }
            }
        }
    }

    private func waitForWork() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = shared.withLock { shared in
                if shared.closing || shared.closeAfterFlush || !shared.outbound.isEmpty { return true }
                shared.parkedWriter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

import HAL
import Locking

/// The far end of a simulated serial port: a test (or the demo simulator) plays the reader here. It feeds
/// bytes in, sees what the code under test wrote, and can unplug and plug the device back.
public final class SimulatedSerialDevice: Sendable {
    public let info: SerialPortInfo
    private let clock: any Clock

    struct Reader {
        var maxBytes: Int
        var continuation: CheckedContinuation<[UInt8], any Error>
        var timer: Task<Void, Never>?
    }

    struct State {
        var plugged = true
        var open: UInt64?
        var nextOpenID: UInt64 = 0
        /// Bytes sent by the device and not yet read by the port. Like a tty's input queue they outlive a close:
        /// a new open sees them until it discards them (`SerialPort.discardInput()`).
        var pending: [UInt8] = []
        var reader: (id: UInt64, reader: Reader)?
        var nextReaderID: UInt64 = 0
        var written: [UInt8] = []
        var configuration: SerialConfiguration?
        /// Set by `failDiscardingInput(with:)`: what `discardInput()` throws instead of discarding.
        var discardFailure: HALError?
        /// Set by `respond(with:)`: the device's side of a request/response protocol.
        var responder: (@Sendable ([UInt8]) -> Void)?
    }

    let state = Locked(State())

    public init(info: SerialPortInfo, clock: any Clock) {
        self.info = info
        self.clock = clock
    }

    /// Sends bytes from the device to the port; dropped, as on a real line, when no port has it open.
    public func feed(_ bytes: [UInt8]) {
        let delivery = state.withLock {
            state -> (CheckedContinuation<[UInt8], any Error>, [UInt8], Task<Void, Never>?)? in
            guard state.plugged, state.open != nil else { return nil }
            state.pending.append(contentsOf: bytes)
            guard let (_, reader) = state.reader, !state.pending.isEmpty else { return nil }
            state.reader = nil
            let count = min(reader.maxBytes, state.pending.count)
            let chunk = Array(state.pending.prefix(count))
            state.pending.removeFirst(count)
            return (reader.continuation, chunk, reader.timer)
        }
        if let (continuation, chunk, timer) = delivery {
            timer?.cancel()
            continuation.resume(returning: chunk)
        }
    }

    /// Sends the UTF-8 bytes of `text`.
    public func feed(_ text: String) {
        feed(Array(text.utf8))
    }

    /// Everything the port has written to the device so far; `takeWritten()` also clears it.
    public var written: [UInt8] {
        state.withLock { $0.written }
    }

    /// Returns and clears what the port has written.
    public func takeWritten() -> [UInt8] {
        state.withLock { state in
            defer { state.written.removeAll() }
            return state.written
        }
    }

    /// Bytes fed but not yet read: a test's "nothing left over" check.
    public var unreadBytes: [UInt8] {
        state.withLock { $0.pending }
    }

    /// Hands every write of the port to `responder` as it happens (after it is recorded in `written`), outside
    /// the device's lock, so that a simulated board can answer with `feed(_:)`: the far end of a request/response
    /// protocol. Nil stops it.
    public func respond(with responder: (@Sendable ([UInt8]) -> Void)?) {
        state.withLock { $0.responder = responder }
    }

    /// Makes every `discardInput()` throw `error` (as a `tcflush` that fails would) until called with nil.
    public func failDiscardingInput(with error: HALError?) {
        state.withLock { $0.discardFailure = error }
    }

    /// Whether a port has the device open now.
    public var isOpen: Bool {
        state.withLock { $0.open != nil }
    }

    /// The line settings the port was opened with.
    public var configuration: SerialConfiguration? {
        state.withLock { $0.configuration }
    }

    /// Pulls the cable: the open port fails with `disconnected` and opening fails with `notFound` until `plug()`.
    public func unplug() {
        let reader = state.withLock { state -> Reader? in
            state.plugged = false
            state.pending.removeAll()
            defer { state.reader = nil }
            return state.reader?.reader
        }
        if let reader {
            reader.timer?.cancel()
            reader.continuation.resume(throwing: HALError.disconnected(path: info.path))
        }
    }

    /// Plugs the device back in; the port that was open stays dead, a new open works.
    public func plug() {
        state.withLock { state in
            state.plugged = true
            state.open = nil
        }
    }

    // MARK: The port's side

    func attach(configuration: SerialConfiguration) throws(HALError) -> UInt64 {
        let result = state.withLock { state -> Result<UInt64, HALError> in
            guard state.plugged else {
                return .failure(.notFound(path: info.path, detail: "device unplugged"))
            }
            guard state.open == nil else { return .failure(.busy(path: info.path, holder: nil)) }
            state.nextOpenID += 1
            state.open = state.nextOpenID
            state.configuration = configuration
            return .success(state.nextOpenID)
        }
        return try result.get()
    }

    func detach(openID: UInt64) {
        let reader = state.withLock { state -> Reader? in
            guard state.open == openID else { return nil }
            state.open = nil
            defer { state.reader = nil }
            return state.reader?.reader
        }
        if let reader {
            reader.timer?.cancel()
            reader.continuation.resume(throwing: HALError.closed(path: info.path))
        }
    }

    private func check(openID: UInt64, in state: State) -> HALError? {
        if state.open != openID { return state.plugged ? .closed(path: info.path) : .disconnected(path: info.path) }
        if !state.plugged { return .disconnected(path: info.path) }
        return nil
    }

    func read(openID: UInt64, maxBytes: Int, timeout: Duration) async throws(HALError) -> [UInt8] {
        do {
            return try await readUntyped(openID: openID, maxBytes: max(1, maxBytes), timeout: timeout)
        } catch let error as HALError {
            throw error
        } catch {
            throw .cancelled(path: info.path, operation: "read")
        }
    }

    private func readUntyped(openID: UInt64, maxBytes: Int, timeout: Duration) async throws -> [UInt8] {
        let readerID = state.withLock { state -> UInt64 in
            state.nextReaderID += 1
            return state.nextReaderID
        }
        let deadline = clock.now + timeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8], any Error>) in
                let immediate = state.withLock { state -> Result<[UInt8], any Error>? in
                    if let error = check(openID: openID, in: state) { return .failure(error) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if !state.pending.isEmpty {
                        let count = min(maxBytes, state.pending.count)
                        defer { state.pending.removeFirst(count) }
                        return .success(Array(state.pending.prefix(count)))
                    }
                    if state.reader != nil {
                        return .failure(HALError.busy(path: info.path, holder: "another read on the same port"))
                    }
                    let timer = Task { [clock, info] in
                        do {
                            try await clock.sleep(until: deadline)
                        } catch {
                            return
                        }
                        self.expire(
                            readerID: readerID,
                            error: .timedOut(path: info.path, operation: "read", after: timeout)
                        )
                    }
                    state.reader = (readerID, Reader(maxBytes: maxBytes, continuation: continuation, timer: timer))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            self.expire(readerID: readerID, error: nil)
        }
    }

    private func expire(readerID: UInt64, error: HALError?) {
        let reader = state.withLock { state -> Reader? in
            guard let current = state.reader, current.id == readerID else { return nil }
            state.reader = nil
            return current.reader
        }
        guard let reader else { return }
        reader.timer?.cancel()
        if let error {
            reader.continuation.resume(throwing: error)
        } else {
            reader.continuation.resume(throwing: CancellationError())
        }
    }

    func write(openID: UInt64, bytes: [UInt8]) throws(HALError) {
        let outcome = state.withLock { state -> Result<(@Sendable ([UInt8]) -> Void)?, HALError> in
            if let error = check(openID: openID, in: state) { return .failure(error) }
            state.written.append(contentsOf: bytes)
            return .success(state.responder)
        }
        try outcome.get()?(bytes)
    }

    func discardInput(openID: UInt64) throws(HALError) {
        let error = state.withLock { state -> HALError? in
            if let error = check(openID: openID, in: state) { return error }
            if let failure = state.discardFailure { return failure }
            state.pending.removeAll()
            return nil
        }
        if let error { throw error }
    }

    func ensureOpen(openID: UInt64) throws(HALError) {
        if let error = state.withLock({ check(openID: openID, in: $0) }) { throw error }
    }
}

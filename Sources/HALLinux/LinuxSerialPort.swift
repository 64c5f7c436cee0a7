import CLinuxIO
import CSerialPort
import Glibc
import HAL
import IOEngine
import Locking

/// An open tty: non-blocking reads and writes on its descriptor, waits on the shared `IOLoop`.
/// Opened either through libserialport (real UARTs, USB adapters) or plain termios (pseudo-terminals).
final class LinuxSerialPort: SerialPort {
    struct Handles {
        /// The descriptor reads and writes go through.
        var ioFD: Int32
        /// The descriptor holding the `flock`; the same as `ioFD` on the termios path.
        var lockFD: Int32
        /// The libserialport handle when libserialport opened `ioFD`.
        var libraryPort: OpaquePointer?
        var closed = false
        /// What the last `read` returned: the device was there a moment ago when it brought bytes, and when they
        /// filled less than its buffer, the tty held no more then.
        var lastRead = LastRead.nothing
    }

    let path: String
    let usbIdentity: SerialPortIdentity?
    private let configuration: SerialConfiguration
    private let loop: IOLoop
    private let clock: LoopClock
    private let handles: Locked<Handles>

    init(
        path: String,
        configuration: SerialConfiguration,
        handles: sending Handles,
        usbIdentity: SerialPortIdentity?,
        loop: IOLoop
    ) {
        self.path = path
        self.usbIdentity = usbIdentity
        self.configuration = configuration
        self.handles = Locked(handles)
        self.loop = loop
        clock = LoopClock(loop: loop)
    }

    deinit { close() }

    enum LastRead {
        case nothing
        case filledBuffer
        case fewerThanBuffer
    }

    private enum Attempt {
        case done(Int)
        case wouldBlock
        case failed(HALError)
    }

    /// Runs one non-blocking call on the descriptor under the lock, so `close()` cannot race it.
    private func attempt(_ operation: String, _ call: (Int32) -> Int) -> (fd: Int32, Attempt) {
        handles.withLock { handles in
            if handles.closed { return (-1, .failed(.closed(path: path))) }
            while true {
                let result = call(handles.ioFD)
                if result >= 0 { return (handles.ioFD, .done(result)) }
                switch errno {
                case EINTR: continue
                case EAGAIN: return (handles.ioFD, .wouldBlock)
                case EIO, ENXIO, ENODEV, EPIPE: return (handles.ioFD, .failed(.disconnected(path: path)))
                case let code:
                    return (handles.ioFD, .failed(.operationFailed(path: path, operation: operation, errno: code)))
                }
            }
        }
    }

    func read(maxBytes: Int, timeout: Duration) async throws(HALError) -> [UInt8] {
        let deadline = clock.now + timeout
        // Not zero-filled, as in `TCPStream.read`: a read mostly brings fewer bytes than it may take.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, min(maxBytes, 65_536)), alignment: 1)
        defer { buffer.deallocate() }
        var hungUp = false
        let (lastRead, open) = handles.withLock { handles in
            defer { handles.lastRead = .nothing }
            return (handles.lastRead, handles.closed ? nil : handles.ioFD)
        }
        guard var fd = open else { throw .closed(path: path) }
        // Right after a read that brought bytes the device is taken as present; a hangup since then is reported by
        // the wait below. After a wait (or a read that timed out) an empty read also checks the node is there.
        var checkNode = lastRead == .nothing
        // A read that brought fewer bytes than it could take emptied the tty (a scanner's frame comes whole): wait
        // before reading again, as a read now would mostly return nothing (a system call per frame saved).
        var waitFirst = lastRead == .fewerThanBuffer
        while true {
            if !waitFirst {
                let (readFD, result) = attempt("read") { fd in
                    Glibc.read(fd, buffer.baseAddress, buffer.count)
                }
                fd = readFD
                switch result {
                case .done(let count) where count > 0:
                    handles.withLock { $0.lastRead = count < buffer.count ? .fewerThanBuffer : .filledBuffer }
                    return Array(buffer.prefix(count))
                case .done, .wouldBlock:
                    // read() == 0 is what a hung-up USB tty returns; libserialport calls it "no data".
                    // Trust it only together with the hangup the kernel reports, or the node being gone.
                    if hungUp || (checkNode && access(path, F_OK) != 0) { throw .disconnected(path: path) }
                case .failed(let error):
                    throw error
                }
            }
            waitFirst = false
            checkNode = true
            switch await loop.wait(for: .readable, on: fd, until: deadline) {
            case .ready(let hangup): hungUp = hangup
            case .timedOut: throw .timedOut(path: path, operation: "read", after: timeout)
            case .cancelled: throw .cancelled(path: path, operation: "read")
            case .closed: throw .closed(path: path)
            case .failed(let error): throw error
            }
        }
    }

    func write(_ bytes: [UInt8]) async throws(HALError) {
        // Allow twice the line time of the payload, and at least two seconds, before calling it stuck.
        let lineTime = Duration.milliseconds(bytes.count * 10 * 1000 / max(1, configuration.baud))
        let timeout = max(.seconds(2), lineTime * 2)
        let deadline = clock.now + timeout
        var offset = 0
        while offset < bytes.count {
            let (fd, result) = attempt("write") { fd in
                bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress.map { $0 + offset }, $0.count - offset) }
            }
            switch result {
            case .done(let count):
                offset += count
                continue
            case .wouldBlock:
                break
            case .failed(let error):
                throw error
            }
            switch await loop.wait(for: .writable, on: fd, until: deadline) {
            case .ready(let hangup): if hangup { throw .disconnected(path: path) }
            case .timedOut: throw .timedOut(path: path, operation: "write", after: timeout)
            case .cancelled: throw .cancelled(path: path, operation: "write")
            case .closed: throw .closed(path: path)
            case .failed(let error): throw error
            }
        }
    }

    /// Polls the output queue (`TIOCOUTQ`) instead of `tcdrain`, which would block a pool thread.
    func drain(timeout: Duration) async throws(HALError) {
        let deadline = clock.now + timeout
        while true {
            var queued: Int32 = 0
            let (_, result) = attempt("ioctl(TIOCOUTQ)") { fd in Int(floorlink_tty_output_queue(fd, &queued)) }
            if case .failed(let error) = result { throw error }
            if queued <= 0 { return }
            if clock.now >= deadline { throw .timedOut(path: path, operation: "drain", after: timeout) }
            let lineTime = Duration.milliseconds(Int(queued) * 10 * 1000 / max(1, configuration.baud))
            do {
                try await clock.sleep(
                    until: min(deadline, clock.now + min(.milliseconds(50), max(.milliseconds(1), lineTime)))
                )
            } catch {
                throw .cancelled(path: path, operation: "drain")
            }
        }
    }

    func discardInput() throws(HALError) {
        let (_, result) = attempt("tcflush(TCIFLUSH)") { fd in Int(tcflush(fd, TCIFLUSH)) }
        if case .failed(let error) = result { throw error }
    }

    func close() {
        handles.withLock { handles in
            guard !handles.closed else { return }
            handles.closed = true
            loop.forget(handles.ioFD)
            if let libraryPort = handles.libraryPort {
                sp_close(libraryPort)
                sp_free_port(libraryPort)
            } else {
                SystemCall.closeQuietly(handles.ioFD)
            }
            if handles.lockFD != handles.ioFD {
                SystemCall.closeQuietly(handles.lockFD)
            }
        }
    }
}

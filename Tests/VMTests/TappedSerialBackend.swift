import HAL
import Locking

/// A `SerialBackend` that opens ports through another backend (the real one in the VM) and counts the bytes
/// their reads hand to the driver. A driver keeps its framing state to itself; the count tells a check when the
/// driver has taken in what the host sent, so the host can act next (unplug the adapter) without a guessed delay.
final class TappedSerialBackend: SerialBackend {
    private let backend: any SerialBackend
    private let received = Locked(0)

    init(_ backend: any SerialBackend) {
        self.backend = backend
    }

    /// Bytes read through every port this backend opened so far.
    var bytesRead: Int { received.withLock { $0 } }

    func ports() throws(HALError) -> [SerialPortInfo] {
        try backend.ports()
    }

    func open(path: String, configuration: SerialConfiguration) async throws(HALError) -> any SerialPort {
        TappedSerialPort(try await backend.open(path: path, configuration: configuration), tap: self)
    }

    fileprivate func count(_ bytes: Int) {
        received.withLock { $0 += bytes }
    }

    /// Waits (in real time, polling) until at least `count` bytes have been read; fails after `limit`.
    func waitForBytes(_ count: Int, within limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        while bytesRead < count {
            try expect(ContinuousClock.now < deadline, "the driver read \(bytesRead) of \(count) bytes in \(limit)")
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// One port of a `TappedSerialBackend`: everything goes to the real port; reads are counted on the way back.
private final class TappedSerialPort: SerialPort {
    private let port: any SerialPort
    private let tap: TappedSerialBackend

    init(_ port: any SerialPort, tap: TappedSerialBackend) {
        self.port = port
        self.tap = tap
    }

    var path: String { port.path }

    var usbIdentity: SerialPortIdentity? { port.usbIdentity }

    func read(maxBytes: Int, timeout: Duration) async throws(HALError) -> [UInt8] {
        let bytes = try await port.read(maxBytes: maxBytes, timeout: timeout)
        tap.count(bytes.count)
        return bytes
    }

    func write(_ bytes: [UInt8]) async throws(HALError) {
        try await port.write(bytes)
    }

    func drain(timeout: Duration) async throws(HALError) {
        try await port.drain(timeout: timeout)
    }

    func discardInput() throws(HALError) {
        try port.discardInput()
    }

    func close() {
        port.close()
    }
}

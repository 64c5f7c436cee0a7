import HAL
import Locking

/// Simulated serial devices behind the `SerialBackend` protocol: a port opens when its device is plugged in.
public final class SimulatedSerialBackend: SerialBackend {
    private let clock: any Clock
    private let devices = Locked<[String: SimulatedSerialDevice]>([:])

    public init(clock: any Clock) {
        self.clock = clock
    }

    /// Adds (plugs in) a device at `path` and returns its far end for the test to play.
    @discardableResult
    public func addDevice(
        path: String,
        transport: SerialPortInfo.Transport = .usb,
        usbVendorID: UInt16? = nil,
        usbProductID: UInt16? = nil,
        serialNumber: String? = nil
    ) -> SimulatedSerialDevice {
        let device = SimulatedSerialDevice(
            info: SerialPortInfo(
                path: path,
                description: "simulated \(transport.rawValue) serial device",
                transport: transport,
                usbVendorID: usbVendorID,
                usbProductID: usbProductID,
                serialNumber: serialNumber
            ),
            clock: clock
        )
        devices.withLock { $0[path] = device }
        return device
    }

    /// The device at `path`, if one was added.
    public func device(at path: String) -> SimulatedSerialDevice? {
        devices.withLock { $0[path] }
    }

    public func ports() throws(HALError) -> [SerialPortInfo] {
        devices.withLock { devices in
            devices.values.filter { $0.state.withLock { $0.plugged } }.map(\.info).sorted { $0.path < $1.path }
        }
    }

    public func open(path: String, configuration: SerialConfiguration) async throws(HALError) -> any SerialPort {
        try configuration.validate(path: path)
        guard let device = device(at: path) else {
            throw .notFound(path: path, detail: "no such simulated serial device")
        }
        let openID = try device.attach(configuration: configuration)
        return SimulatedSerialPort(device: device, openID: openID)
    }
}

/// The port end of a `SimulatedSerialDevice`.
final class SimulatedSerialPort: SerialPort {
    private let device: SimulatedSerialDevice
    private let openID: UInt64

    init(device: SimulatedSerialDevice, openID: UInt64) {
        self.device = device
        self.openID = openID
    }

    deinit { device.detach(openID: openID) }

    var path: String { device.info.path }

    var usbIdentity: SerialPortIdentity? {
        guard device.info.transport == .usb, let vendor = device.info.usbVendorID,
            let product = device.info.usbProductID
        else { return nil }
        return SerialPortIdentity(usbVendorID: vendor, usbProductID: product, serialNumber: device.info.serialNumber)
    }

    func read(maxBytes: Int, timeout: Duration) async throws(HALError) -> [UInt8] {
        try await device.read(openID: openID, maxBytes: maxBytes, timeout: timeout)
    }

    func write(_ bytes: [UInt8]) async throws(HALError) {
        try device.write(openID: openID, bytes: bytes)
    }

    func drain(timeout: Duration) async throws(HALError) {
        try device.ensureOpen(openID: openID)
    }

    func discardInput() throws(HALError) {
        try device.discardInput(openID: openID)
    }

    func close() { device.detach(openID: openID) }
}

/// A serial port as enumeration finds it, with the USB identity that udev rules match on.
public struct SerialPortInfo: Hashable, Sendable, Codable {
    public enum Transport: String, Hashable, Sendable, Codable {
        case native
        case usb
        case bluetooth
        case pseudoTerminal = "pty"
    }

    /// Device node, e.g. `/dev/ttyUSB0`.
    public var path: String
    public var description: String?
    public var transport: Transport
    public var usbVendorID: UInt16?
    public var usbProductID: UInt16?
    public var serialNumber: String?
    public var manufacturer: String?
    public var product: String?
    /// The stable `/dev/serial/by-id/...` link that points at `path`, if udev made one.
    public var byIDPath: String?

    public init(
        path: String,
        description: String? = nil,
        transport: Transport,
        usbVendorID: UInt16? = nil,
        usbProductID: UInt16? = nil,
        serialNumber: String? = nil,
        manufacturer: String? = nil,
        product: String? = nil,
        byIDPath: String? = nil
    ) {
        self.path = path
        self.description = description
        self.transport = transport
        self.usbVendorID = usbVendorID
        self.usbProductID = usbProductID
        self.serialNumber = serialNumber
        self.manufacturer = manufacturer
        self.product = product
        self.byIDPath = byIDPath
    }
}

/// Line settings of a serial port: 9600 8N1 by default, as most barcode scanners ship.
public struct SerialConfiguration: Hashable, Sendable, CustomStringConvertible {
    public enum Parity: String, Hashable, Sendable, Codable {
        case none
        case odd
        case even
    }

    public enum FlowControl: String, Hashable, Sendable, Codable {
        case none
        case xonXoff = "xon-xoff"
        case rtsCts = "rts-cts"
    }

    /// Baud rates every backend accepts; the ones readers use.
    public static let supportedBaudRates: [Int] = [
        1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600,
    ]

    public var baud: Int
    public var dataBits: Int
    public var parity: Parity
    public var stopBits: Int
    public var flowControl: FlowControl

    public init(
        baud: Int = 9600,
        dataBits: Int = 8,
        parity: Parity = .none,
        stopBits: Int = 1,
        flowControl: FlowControl = .none
    ) {
        self.baud = baud
        self.dataBits = dataBits
        self.parity = parity
        self.stopBits = stopBits
        self.flowControl = flowControl
    }

    /// Throws `invalidConfiguration` naming the first setting that no backend can apply.
    public func validate(path: String) throws(HALError) {
        guard Self.supportedBaudRates.contains(baud) else {
            throw .invalidConfiguration(
                path: path,
                detail: "baud \(baud) is not one of \(Self.supportedBaudRates.map(String.init).joined(separator: ", "))"
            )
        }
        guard (5...8).contains(dataBits) else {
            throw .invalidConfiguration(path: path, detail: "data bits \(dataBits), expected 5 to 8")
        }
        guard stopBits == 1 || stopBits == 2 else {
            throw .invalidConfiguration(path: path, detail: "stop bits \(stopBits), expected 1 or 2")
        }
    }

    /// The usual short form, e.g. `9600 8N1`.
    public var description: String {
        let parityLetter = parity == .none ? "N" : parity == .odd ? "O" : "E"
        let flow = flowControl == .none ? "" : " \(flowControl.rawValue)"
        return "\(baud) \(dataBits)\(parityLetter)\(stopBits)\(flow)"
    }
}

/// Lists and opens serial ports: the entry point of a serial backend.
public protocol SerialBackend: Sendable {
    /// Every serial port present.
    func ports() throws(HALError) -> [SerialPortInfo]
    /// Opens `path` exclusively with `configuration`; a second open of the same port gets `busy`.
    func open(path: String, configuration: SerialConfiguration) async throws(HALError) -> any SerialPort
}

/// An open serial port. All waits suspend; none blocks a thread of the cooperative pool.
public protocol SerialPort: AnyObject, Sendable {
    /// The path the port was opened by.
    var path: String { get }
    /// The USB device behind the port as it was opened (not as the path points now); nil for a built-in UART
    /// or a pseudo-terminal, which have no identity the kernel can vouch for.
    var usbIdentity: SerialPortIdentity? { get }
    /// Returns between 1 and `maxBytes` bytes as soon as any are available; throws `timedOut` when none
    /// arrive within `timeout`, `disconnected` when the device goes away.
    func read(maxBytes: Int, timeout: Duration) async throws(HALError) -> [UInt8]
    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8]) async throws(HALError)
    /// Waits until everything written has left the port, up to `timeout`.
    func drain(timeout: Duration) async throws(HALError)
    /// Drops every byte received and not yet read (`tcflush(TCIFLUSH)`): what the line held before this open
    /// (the tail of a read cut off by a restart or an unplug) is never taken as new input.
    func discardInput() throws(HALError)
    /// Releases the port; later calls throw `closed`. Closing twice is harmless.
    func close()
}

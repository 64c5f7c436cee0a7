/// The USB device behind an open serial port: vendor, product and serial number, as udev rules match them.
/// A reader that comes back at its path with another identity is not the reader that was there.
public struct SerialPortIdentity: Hashable, Sendable, CustomStringConvertible {
    public var usbVendorID: UInt16
    public var usbProductID: UInt16
    /// The USB serial number; nil when the device reports none.
    public var serialNumber: String?

    public init(usbVendorID: UInt16, usbProductID: UInt16, serialNumber: String? = nil) {
        self.usbVendorID = usbVendorID
        self.usbProductID = usbProductID
        self.serialNumber = serialNumber
    }

    /// `USB 0c2e:0b6a serial 19283746` (`serial none` without one).
    public var description: String {
        "USB \(Self.hex(usbVendorID)):\(Self.hex(usbProductID)) serial \(serialNumber ?? "none")"
    }

    private static func hex(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

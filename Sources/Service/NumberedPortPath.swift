import HAL
import HALLinux

/// A serial port configured by a number the kernel hands out in order (`/dev/ttyUSBn`, `/dev/ttyACMn`,
/// `/dev/pts/n`): after a replug, or a restart of the program behind a pseudo-terminal, that number can be
/// another device, and its bytes would be read as scans. `--check-config` and `floorctl doctor` warn for each.
public struct NumberedPortPath: Hashable, Sendable, CustomStringConvertible {
    /// The device whose `port` is numbered.
    public var device: String
    /// The configured path.
    public var port: String
    /// What is wrong with the path, for a technician.
    public var problem: String
    /// The stable path to configure instead, or how to get one.
    public var remedy: String

    /// `device: problem; remedy`, one line.
    public var description: String { "\(device): \(problem); \(remedy)" }

    /// The numbered ports of `configuration`'s serial devices and buses, each with the stable path to use: the
    /// `/dev/serial/by-id` link among `ports` (as `SerialBackend.ports()` lists them) that points at the same
    /// node, else a udev rule; for a pseudo-terminal, a fixed link made by the program that opens it.
    public static func findings(in configuration: SiteConfiguration, ports: [SerialPortInfo]) -> [NumberedPortPath] {
        configuration.devices.compactMap { device -> NumberedPortPath? in
            let port: String
            switch device {
            case .barcodeScanner(let settings): port = settings.port
            case .rfidReader(let settings): port = settings.port
            case .lockerBank, .pickToLight: return nil
            }
            return finding(device: device.id, port: port, ports: ports)
        } + configuration.buses.compactMap { bus in finding(device: bus.id, port: bus.port, ports: ports) }
    }

    /// The serial ports this machine lists (with their by-id links) for `findings`: none on a simulated site, or
    /// when enumeration fails (the warning then names the udev rule).
    public static func presentPorts(_ configuration: SiteConfiguration) -> [SerialPortInfo] {
        guard configuration.hardware == .linux else { return [] }
        return (try? LinuxSerialBackend().ports()) ?? []
    }

    /// The finding for one device's `port`, or nil when the path is not a numbered one.
    public static func finding(device: String, port: String, ports: [SerialPortInfo]) -> NumberedPortPath? {
        if isNumbered(port, after: "/dev/pts/") {
            return NumberedPortPath(
                device: device,
                port: port,
                problem: "port \(port) is a pseudo-terminal number, taken by whichever program opens a "
                    + "pseudo-terminal next",
                remedy: "have the program that makes it link it to a fixed path "
                    + "(socat: pty,link=/run/floorlink/\(device)) and configure that"
            )
        }
        guard isNumbered(port, after: "/dev/ttyUSB") || isNumbered(port, after: "/dev/ttyACM") else { return nil }
        let remedy: String
        if let stable = ports.first(where: { $0.path == port })?.byIDPath {
            remedy = "use its stable path \(stable)"
        } else {
            remedy =
                "no /dev/serial/by-id link points at it now: give the reader a stable /dev/floorlink/ name with a "
                + "rule in udev/99-floorlink.rules (see udev/README.md) and configure that"
        }
        return NumberedPortPath(
            device: device,
            port: port,
            problem: "port \(port) is numbered by the kernel in plug order, so after a replug it can be another device",
            remedy: remedy
        )
    }

    /// Whether `port` is `prefix` and then one or more ASCII digits. (Checked by byte: a regex here pulled Swift's
    /// regex parser into the daemon's start, 370 functions of it in every process.)
    private static func isNumbered(_ port: String, after prefix: String) -> Bool {
        guard port.hasPrefix(prefix) else { return false }
        let number = port.utf8.dropFirst(prefix.utf8.count)
        return !number.isEmpty && number.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

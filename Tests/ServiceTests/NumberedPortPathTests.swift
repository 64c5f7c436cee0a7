import HAL
import Service
import Testing

/// Which configured port paths are flagged as kernel-numbered, and the stable path each warning names.
@Suite("Numbered port paths")
struct NumberedPortPathTests {
    static let ports = [
        SerialPortInfo(
            path: "/dev/ttyUSB0",
            transport: .usb,
            usbVendorID: 0x0C2E,
            usbProductID: 0x0B6A,
            serialNumber: "19283746",
            byIDPath: "/dev/serial/by-id/usb-Honeywell_Imaging_Xenon_19283746-if00-port0"
        ),
        SerialPortInfo(path: "/dev/ttyACM2", transport: .usb, usbVendorID: 0x1A86, usbProductID: 0x7523),
    ]

    /// (port, warning). Built apart from the `@Test`: Swift 6.0.3 cannot type-check the concatenations inside it in
    /// time.
    static let flaggedCases: [(String, String)] = [
        (
            "/dev/ttyUSB0",
            "scanner-1: port /dev/ttyUSB0 is numbered by the kernel in plug order, so after a replug it can be "
                + "another device; use its stable path "
                + "/dev/serial/by-id/usb-Honeywell_Imaging_Xenon_19283746-if00-port0"
        ),
        (
            "/dev/ttyACM2",
            "scanner-1: port /dev/ttyACM2 is numbered by the kernel in plug order, so after a replug it can be "
                + "another device; no /dev/serial/by-id link points at it now: give the reader a stable "
                + "/dev/floorlink/ name with a rule in udev/99-floorlink.rules (see udev/README.md) and "
                + "configure that"
        ),
        (
            "/dev/pts/1",
            "scanner-1: port /dev/pts/1 is a pseudo-terminal number, taken by whichever program opens a "
                + "pseudo-terminal next; have the program that makes it link it to a fixed path "
                + "(socat: pty,link=/run/floorlink/scanner-1) and configure that"
        ),
    ]

    @Test(
        "a numbered path is flagged with the by-id link that points at its node, or else the udev rule",
        arguments: flaggedCases
    )
    func flagged(port: String, warning: String) {
        #expect(NumberedPortPath.finding(device: "scanner-1", port: port, ports: Self.ports)?.description == warning)
    }

    @Test(
        "stable and fixed paths are not flagged",
        arguments: [
            "/dev/serial/by-id/usb-Honeywell_Imaging_Xenon_19283746-if00-port0", "/dev/floorlink/scanner-1",
            "/dev/ttyS0", "/dev/ttyAMA0", "/dev/ttyUSB", "/dev/ttyUSB0.lock", "/dev/pts/ptmx", "/run/floorlink/pts/1",
            "/dev/pts/", "/dev/pts/1/", "/dev/ttyACM-1", "/dev/ttyUSB\u{0661}", "/dev/pts/\u{FF11}", "/dev/ttyusb0",
        ]
    )
    func notFlagged(port: String) {
        #expect(NumberedPortPath.finding(device: "scanner-1", port: port, ports: Self.ports) == nil)
    }
}

import Foundation
import HAL
import TestSupport
import Testing

@testable import HALLinux

/// The USB identity of an open tty, found in sysfs the way udev's `ATTRS{}` matching walks it.
@Suite("USB identity from sysfs")
struct SysfsUSBIdentityTests {
    /// A scratch sysfs: one USB adapter (188:0) and one pseudo-terminal (136:3).
    static func makeSysfs() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fl-sysfs-\(UUID().uuidString)")
        let files = FileManager.default
        let usb = root.appendingPathComponent("devices/pci0000:00/0000:00:14.0/usb1/1-2")
        let tty = usb.appendingPathComponent("1-2:1.0/ttyUSB0/tty/ttyUSB0")
        let pty = root.appendingPathComponent("devices/virtual/tty/pts3")
        for directory in [tty, pty, root.appendingPathComponent("dev/char")] {
            try files.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        for (name, value) in [("idVendor", "0c2e\n"), ("idProduct", "0b6a\n"), ("serial", "19283746\n")] {
            try TestFile.write(value, to: usb.appendingPathComponent(name).path)
        }
        let char = root.appendingPathComponent("dev/char").path
        try files.createSymbolicLink(
            atPath: char + "/188:0",
            withDestinationPath: "../../devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/ttyUSB0/tty/ttyUSB0"
        )
        try files.createSymbolicLink(atPath: char + "/136:3", withDestinationPath: "../../devices/virtual/tty/pts3")
        return try #require(
            realpath(root.path, nil).map { pointer in
                defer { free(pointer) }
                return String(cString: pointer)
            }
        )
    }

    @Test("a USB adapter's tty has the vendor, product and serial number of the nearest USB device above it")
    func usbAdapter() throws {
        let sysfs = try Self.makeSysfs()
        defer { try? FileManager.default.removeItem(atPath: sysfs) }
        let identity = SysfsUSBIdentity.identity(major: 188, minor: 0, sysfs: sysfs)
        #expect(identity == SerialPortIdentity(usbVendorID: 0x0C2E, usbProductID: 0x0B6A, serialNumber: "19283746"))
        #expect(identity?.description == "USB 0c2e:0b6a serial 19283746")
    }

    @Test("a pseudo-terminal, or a device number sysfs does not know, has no USB identity")
    func noUSB() throws {
        let sysfs = try Self.makeSysfs()
        defer { try? FileManager.default.removeItem(atPath: sysfs) }
        #expect(SysfsUSBIdentity.identity(major: 136, minor: 3, sysfs: sysfs) == nil)
        #expect(SysfsUSBIdentity.identity(major: 4, minor: 64, sysfs: sysfs) == nil)
    }

    @Test("device numbers split into major and minor as glibc does, minors above 255 included")
    func deviceNumbers() {
        // makedev(188, 0) and makedev(136, 300) in glibc's encoding.
        let small: dev_t = 188 << 8
        let large: dev_t = (136 << 8) | (300 & 0xFF) | ((300 & ~0xFF) << 12)
        #expect(SysfsUSBIdentity.major(of: small) == 188 && SysfsUSBIdentity.minor(of: small) == 0)
        #expect(SysfsUSBIdentity.major(of: large) == 136 && SysfsUSBIdentity.minor(of: large) == 300)
    }
}

import Glibc
import HAL

/// Finds the USB device behind an open tty in sysfs: the descriptor's device number leads to
/// `/sys/dev/char/MAJOR:MINOR`, whose nearest ancestor with `idVendor` is the USB device (as udev's `ATTRS{}`
/// matching walks it). Read from the open descriptor, so it names what was opened, not what the path names now.
enum SysfsUSBIdentity {
    /// The identity of the device `fd` is open on; nil for a tty that is not on USB (UART, pseudo-terminal).
    static func identity(ofDescriptor fd: Int32, sysfs: String = "/sys") -> SerialPortIdentity? {
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFCHR else { return nil }
        return identity(major: major(of: status.st_rdev), minor: minor(of: status.st_rdev), sysfs: sysfs)
    }

    /// The identity under `sysfs` of the character device `major:minor`.
    static func identity(major: UInt32, minor: UInt32, sysfs: String = "/sys") -> SerialPortIdentity? {
        guard let resolved = realpath("\(sysfs)/dev/char/\(major):\(minor)", nil) else { return nil }
        var directory = String(cString: resolved)
        free(resolved)
        while directory.count > sysfs.count, directory.hasPrefix(sysfs + "/") {
            if let vendor = hexFile("\(directory)/idVendor"), let product = hexFile("\(directory)/idProduct") {
                return SerialPortIdentity(
                    usbVendorID: vendor,
                    usbProductID: product,
                    serialNumber: text("\(directory)/serial")
                )
            }
            guard let slash = directory.lastIndex(of: "/") else { break }
            directory = String(directory[..<slash])
        }
        return nil
    }

    /// glibc's `gnu_dev_major`, which Swift does not import.
    static func major(of device: dev_t) -> UInt32 {
        UInt32(truncatingIfNeeded: ((device >> 8) & 0xFFF) | ((device >> 32) & ~0xFFF))
    }

    /// glibc's `gnu_dev_minor`.
    static func minor(of device: dev_t) -> UInt32 {
        UInt32(truncatingIfNeeded: (device & 0xFF) | ((device >> 12) & ~0xFF))
    }

    private static func hexFile(_ path: String) -> UInt16? {
        text(path).flatMap { UInt16($0, radix: 16) }
    }

    /// A sysfs attribute's text without the trailing newline; nil when absent, unreadable or empty.
    private static func text(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let value = String(decoding: buffer.prefix(count), as: UTF8.self).trimmingTrailingNewlines
        return value.isEmpty ? nil : value
    }
}

extension String {
    /// Without the newlines sysfs ends its attributes with.
    fileprivate var trimmingTrailingNewlines: String {
        var text = Substring(self)
        while let last = text.last, last == "\n" || last == "\r" { text = text.dropLast() }
        return String(text)
    }
}

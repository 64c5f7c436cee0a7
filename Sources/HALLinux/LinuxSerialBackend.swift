import CLinuxIO
import CSerialPort
import Glibc
import HAL
import IOEngine

/// Serial ports of this machine: libserialport for enumeration, USB metadata and real UARTs; plain termios
/// for ttys libserialport cannot describe (pseudo-terminals). Every open is exclusive: `flock` against other
/// Floorlink processes (root included) and `TIOCEXCL` against everyone else.
public struct LinuxSerialBackend: SerialBackend {
    /// Where udev puts stable names for USB serial devices.
    public static let byIDDirectory = "/dev/serial/by-id"

    public init() {}

    public func ports() throws(HALError) -> [SerialPortInfo] {
        try LibSerialPort.listPorts(byID: Self.byIDLinks()).sorted { $0.path < $1.path }
    }

    public func open(path: String, configuration: SerialConfiguration) async throws(HALError) -> any SerialPort {
        try configuration.validate(path: path)
        let loop = try IOLoop.sharedForHardware()
        // libserialport cannot follow udev symlinks (/dev/serial/by-id/..., /dev/floorlink/...).
        let resolved = try SystemCall.resolvedPath(path)
        let status = try SystemCall.status(resolved)
        guard status.st_mode & S_IFMT == S_IFCHR else { throw .notATerminal(path: path) }

        let lockFD = try SystemCall.retrying("open", path: path) {
            Glibc.open(resolved, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        }
        do throws(HALError) {
            guard isatty(lockFD) == 1 else { throw .notATerminal(path: path) }
            if flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
                throw errno == EWOULDBLOCK
                    ? .busy(path: path, holder: "another process (flock)")
                    : SystemCall.error("flock", path: path, errno: errno)
            }
            var handles = LinuxSerialPort.Handles(ioFD: lockFD, lockFD: lockFD, libraryPort: nil)
            if let libraryPort = LibSerialPort.port(named: resolved) {
                handles.libraryPort = libraryPort
                handles.ioFD = try Self.openWithLibrary(libraryPort, configuration, path: path)
            } else {
                try Termios.configure(fd: lockFD, configuration, path: path)
            }
            if floorlink_tty_set_exclusive(handles.ioFD) != 0 {
                let code = errno
                Self.release(handles)
                throw SystemCall.error("ioctl(TIOCEXCL)", path: path, errno: code)
            }
            let identity = SysfsUSBIdentity.identity(ofDescriptor: handles.ioFD)
            return LinuxSerialPort(
                path: path,
                configuration: configuration,
                handles: handles,
                usbIdentity: identity,
                loop: loop
            )
        } catch {
            SystemCall.closeQuietly(lockFD)
            throw error
        }
    }

    /// `sp_open` + configuration; returns the port's descriptor, switched to non-blocking.
    private static func openWithLibrary(
        _ port: OpaquePointer,
        _ configuration: SerialConfiguration,
        path: String
    ) throws(HALError) -> Int32 {
        do throws(HALError) {
            try LibSerialPort.check(sp_open(port, SP_MODE_READ_WRITE), "sp_open", path: path)
        } catch {
            sp_free_port(port)
            throw error
        }
        var fd: Int32 = -1
        do throws(HALError) {
            try LibSerialPort.configure(port, configuration, path: path)
            try LibSerialPort.check(sp_get_port_handle(port, &fd), "sp_get_port_handle", path: path)
            let flags = try SystemCall.retrying("fcntl(F_GETFL)", path: path) { fcntl(fd, F_GETFL) }
            try SystemCall.retrying("fcntl(F_SETFL)", path: path) { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        } catch {
            sp_close(port)
            sp_free_port(port)
            throw error
        }
        return fd
    }

    private static func release(_ handles: LinuxSerialPort.Handles) {
        if let port = handles.libraryPort {
            sp_close(port)
            sp_free_port(port)
        }
    }

    /// Maps each device node to the `/dev/serial/by-id` link that points at it.
    static func byIDLinks() -> [String: String] {
        guard let directory = opendir(byIDDirectory) else { return [:] }
        defer { closedir(directory) }
        var links: [String: String] = [:]
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard !name.hasPrefix(".") else { continue }
            let link = "\(byIDDirectory)/\(name)"
            if let target = try? SystemCall.resolvedPath(link) {
                links[target] = link
            }
        }
        return links
    }
}

import CLinuxIO
import Glibc

/// A kernel pseudo-terminal (no socat in between) whose port end the test holds open as well: the program under
/// test opens `portPath`, the test writes to the device end, and bytes the program never took stay in the tty's
/// buffer when it dies, so `drainUnread()` can tell what was taken from what was not.
public final class HeldPseudoTerminal: Sendable {
    /// The `/dev/pts/N` path the program under test opens as its serial port.
    public let portPath: String
    private let device: Int32
    private let held: Int32

    public init() throws {
        let master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw HarnessError("posix_openpt failed: errno \(errno)") }
        // The number from the master itself, not ptsname: ptsname's one static buffer, shared by tests making
        // terminals at the same time, once handed two of them the same path (each monitor then read the other
        // test's bytes, or found its port locked by the other's).
        var number: UInt32 = 0
        guard grantpt(master) == 0, unlockpt(master) == 0, floorlink_pty_number(master, &number) == 0 else {
            Glibc.close(master)
            throw HarnessError("cannot unlock the pseudo-terminal: errno \(errno)")
        }
        let path = "/dev/pts/\(number)"
        let slave = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard slave >= 0 else {
            Glibc.close(master)
            throw HarnessError("cannot open \(path): errno \(errno)")
        }
        // Raw from the start, so nothing is echoed or line-edited before the program configures the port itself.
        var settings = termios()
        tcgetattr(slave, &settings)
        cfmakeraw(&settings)
        tcsetattr(slave, TCSANOW, &settings)
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        portPath = path
        device = master
        held = slave
    }

    /// Writes all of `bytes` as the device; throws if the tty's buffer cannot take them.
    public func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { write(device, $0.baseAddress, $0.count) }
            if count > 0 {
                sent += count
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                throw HarnessError("the pseudo-terminal took \(sent) of \(bytes.count) bytes: errno \(errno)")
            }
        }
    }

    /// Everything written as the device that no reader has taken: read through the held port end until the tty
    /// has had nothing more to hand over for `quiet` (the kernel moves buffered input to the reader in steps).
    public func drainUnread(quiet: Duration = .milliseconds(200)) async -> [UInt8] {
        var unread: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var lastData = ContinuousClock.now
        while ContinuousClock.now - lastData < quiet {
            let count = buffer.withUnsafeMutableBytes { read(held, $0.baseAddress, $0.count) }
            if count > 0 {
                unread += buffer[..<count]
                lastData = ContinuousClock.now
            } else {
                guard await Poll.pause(.milliseconds(5)) else { break }
            }
        }
        return unread
    }

    /// Closes both ends.
    public func close() {
        Glibc.close(held)
        Glibc.close(device)
    }
}

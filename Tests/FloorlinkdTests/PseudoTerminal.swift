import Glibc
import TestSupport

/// Two linked pseudo-terminals made by `socat`: the daemon opens `portPath` as its scanner's serial port, the
/// test plays the scanner by writing to `peerPath`.
final class PseudoTerminalPair: Sendable {
    static let socatPath = ["/usr/bin/socat", "/bin/socat"].first(where: Package.isExecutable)
    static var isAvailable: Bool { socatPath != nil }

    let portPath: String
    let peerPath: String
    let child: ChildProcess
    /// The peer end, opened raw and non-blocking.
    let peer: Int32

    init(in scratch: Scratch) async throws {
        portPath = scratch.path("scanner")
        peerPath = scratch.path("scanner-peer")
        child = try ChildProcess(
            Self.socatPath ?? "/usr/bin/socat",
            ["pty,raw,echo=0,link=\(portPath)", "pty,raw,echo=0,link=\(peerPath)"]
        )
        let (port, peer) = (portPath, peerPath)
        let linked = await eventually(within: .seconds(30)) {
            access(port, F_OK) == 0 && access(peer, F_OK) == 0 ? true : nil
        }
        guard linked != nil else {
            child.stop(signal: SIGKILL)
            throw HarnessError("socat did not create \(portPath) within 5 s")
        }
        let fd = open(peerPath, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            child.stop(signal: SIGKILL)
            throw HarnessError("cannot open \(peerPath): errno \(errno)")
        }
        var settings = termios()
        tcgetattr(fd, &settings)
        cfmakeraw(&settings)
        tcsetattr(fd, TCSANOW, &settings)
        self.peer = fd
    }

    /// Writes `bytes` as the scanner would send them.
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(peer, $0.baseAddress, $0.count) }
            if written > 0 {
                offset += written
            } else if written < 0, errno == EAGAIN || errno == EINTR {
                usleep(1000)
            } else {
                throw HarnessError("write to \(peerPath) failed: errno \(errno)")
            }
        }
    }

    func stop() {
        close(peer)
        child.stop()
    }
}

/// A systemd-style notify socket: a Unix datagram socket the daemon's `sd_notify` messages arrive on.
final class NotifySocket: Sendable {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(
            AF_UNIX,
            Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
            0
        )
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            Glibc.close(fd)
            throw HarnessError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw HarnessError("bind \(path): errno \(code)")
        }
    }

    /// The next datagram, waiting up to `timeout`; nil if none came.
    func next(within timeout: Duration) async -> String? {
        await eventually(within: timeout) { [fd] () -> String? in
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            return count >= 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : nil
        }
    }

    /// The next datagram whose first line is not `WATCHDOG=1`, collecting how many watchdog pings passed.
    func nextSkippingWatchdog(within timeout: Duration) async -> (message: String?, watchdogs: Int) {
        let deadline = ContinuousClock.now + timeout
        var watchdogs = 0
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero, let message = await next(within: left) else { return (nil, watchdogs) }
            if message == "WATCHDOG=1" {
                watchdogs += 1
                continue
            }
            return (message, watchdogs)
        }
    }

    func close() {
        Glibc.close(fd)
        unlink(path)
    }
}

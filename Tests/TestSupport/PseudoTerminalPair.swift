import Glibc

/// Two linked pseudo-terminals made by `socat`: the daemon (or port) under test opens `portPath` as its serial
/// port, the test plays the device by writing to the peer end, opened raw and non-blocking.
public final class PseudoTerminalPair: Sendable {
    public static let socatPath = ["/usr/bin/socat", "/bin/socat"].first { (file: String) in access(file, X_OK) == 0 }
    public static var isAvailable: Bool { socatPath != nil }

    public let portPath: String
    public let peerPath: String
    public let child: ChildProcess
    /// The peer end, opened raw and non-blocking.
    public let peer: Int32

    /// Links `directory/name` (the port) and `directory/name-peer`, waiting up to 30 s for socat to make them.
    public init(directory: String, name: String = "scanner") async throws {
        portPath = "\(directory)/\(name)"
        peerPath = "\(directory)/\(name)-peer"
        child = try ChildProcess(
            Self.socatPath ?? "/usr/bin/socat",
            ["pty,raw,echo=0,link=\(portPath)", "pty,raw,echo=0,link=\(peerPath)"]
        )
        let deadline = ContinuousClock.now + .seconds(30)
        while access(portPath, F_OK) != 0 || access(peerPath, F_OK) != 0 {
            guard ContinuousClock.now < deadline else {
                child.stop(signal: SIGKILL)
                throw HarnessError("socat did not create \(portPath) within 30 s")
            }
            try await Task.sleep(for: .milliseconds(10))
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
        peer = fd
    }

    /// Writes `bytes` as the device would send them, waiting while the terminal's buffer is full.
    public func send(_ bytes: [UInt8]) throws(HarnessError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(peer, $0.baseAddress, $0.count) }
            if written > 0 {
                offset += written
            } else if written < 0, errno == EAGAIN || errno == EINTR {
                usleep(200)
            } else {
                throw HarnessError("write to \(peerPath) failed: errno \(errno)")
            }
        }
    }

    /// Closes the peer end and stops socat (which removes both links).
    public func stop() {
        close(peer)
        child.stop()
    }
}

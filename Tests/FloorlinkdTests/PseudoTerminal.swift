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

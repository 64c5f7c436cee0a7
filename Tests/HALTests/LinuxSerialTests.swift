import Foundation
import Glibc
import HAL
import HALLinux
import TestSupport
import Testing

/// Linux-only paths of the serial backend: things a simulated port cannot get wrong.
@Suite("Linux serial backend")
struct LinuxSerialTests {
    @Test(
        "a path that is not a serial terminal is refused as not a terminal",
        arguments: [
            "/dev/null", "/etc/hostname", "/tmp",
        ]
    )
    func notATerminal(path: String) async throws {
        await #expect(throws: HALError.notATerminal(path: path)) {
            _ = try await LinuxSerialBackend().open(path: path, configuration: SerialConfiguration())
        }
    }

    @Test(
        "a udev-style symlink to the port opens the port it points at",
        .enabled(if: PseudoTerminalPair.isAvailable, "needs socat for a pseudo-terminal pair")
    )
    func symlinkIsResolved() async throws {
        let terminal = try await PluggablePseudoTerminal()
        defer { terminal.remove() }
        let link = terminal.directory + "/by-id-link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: terminal.portPath)
        let port = try await LinuxSerialBackend().open(path: link, configuration: SerialConfiguration(baud: 115200))
        defer { port.close() }
        let peer = PseudoTerminalPeer(terminal: terminal)
        try await peer.send(Array("ok".utf8))
        var received: [UInt8] = []
        while received.count < 2 { received += try await port.read(maxBytes: 2, timeout: .seconds(30)) }
        #expect(received == Array("ok".utf8))
        #expect(port.path == link)
    }

    @Test(
        "a second process cannot open a port this process holds",
        .enabled(if: PseudoTerminalPair.isAvailable, "needs socat for a pseudo-terminal pair")
    )
    func busyAcrossProcesses() async throws {
        let terminal = try await PluggablePseudoTerminal()
        defer { terminal.remove() }
        let port = try await LinuxSerialBackend().open(path: terminal.portPath, configuration: SerialConfiguration())
        defer { port.close() }
        // flock(1) is what a second Floorlink process meets: the lock is held.
        let status = try await ChildProcess.run(
            "/usr/bin/flock",
            ["--nonblock", "--exclusive", terminal.portPath, "true"],
            timeout: .seconds(30)
        )
        #expect(status == 1)
    }

    @Test(
        "enumeration lists only serial devices that exist, and never a pseudo-terminal",
        .enabled(if: PseudoTerminalPair.isAvailable, "needs socat for a pseudo-terminal pair")
    )
    func enumeration() async throws {
        let terminal = try await PluggablePseudoTerminal()
        defer { terminal.remove() }
        let ports = try LinuxSerialBackend().ports()
        // The pty is open and usable (the other tests read from one) but is no reader: it must not be offered.
        let resolved = try #require(realpath(terminal.portPath, nil))
        defer { free(resolved) }
        #expect(!ports.contains { $0.path == terminal.portPath || $0.path == String(cString: resolved) })
        for port in ports {
            #expect(port.path.hasPrefix("/dev/"), "\(port.path)")
            #expect(access(port.path, F_OK) == 0, "listed \(port.path), which does not exist")
            if port.transport != .usb {
                #expect(port.usbVendorID == nil, "\(port.path)")
            }
        }
    }
}

import Foundation
import HAL
import HALLinux
import HALSimulated
import TestSupport

/// The far end of a port under test: plays the reader, can pull the cable and plug it back.
protocol SerialPeer: Sendable {
    func send(_ bytes: [UInt8]) async throws
    /// Waits for `count` bytes written by the port.
    func receive(count: Int) async throws -> [UInt8]
    func unplug() async throws
    func replug() async throws
    /// Lets `duration` pass for a read that is waiting with that timeout.
    func letTimePass(_ duration: Duration) async
}

/// One serial backend wired to a peer, for the contract suite.
protocol SerialHarness: Sendable {
    var backend: any SerialBackend { get }
    var path: String { get }
    var peer: any SerialPeer { get }
    func tearDown()
}

/// The backends every `SerialPort` implementation is held to.
enum SerialBackendKind: String, CaseIterable, CustomStringConvertible, Sendable {
    case simulated
    case linuxPseudoTerminal = "linux-pty"

    var description: String { rawValue }

    /// Backends that can run on this machine (the pty pair needs `socat`).
    static var available: [SerialBackendKind] {
        allCases.filter { $0 != .linuxPseudoTerminal || PseudoTerminalPair.isAvailable }
    }

    func makeHarness() async throws -> any SerialHarness {
        switch self {
        case .simulated: return SimulatedSerialHarness()
        case .linuxPseudoTerminal: return try await PseudoTerminalHarness.make()
        }
    }
}

// MARK: Simulated

struct SimulatedSerialHarness: SerialHarness {
    let clock = ManualClock()
    let simulated: SimulatedSerialBackend
    let device: SimulatedSerialDevice
    let path = "/dev/ttyUSB0"

    init() {
        simulated = SimulatedSerialBackend(clock: clock)
        device = simulated.addDevice(path: path, usbVendorID: 0x05e0, usbProductID: 0x1200, serialNumber: "S123")
    }

    var backend: any SerialBackend { simulated }
    var peer: any SerialPeer { SimulatedPeer(device: device, clock: clock) }
    func tearDown() {}
}

struct SimulatedPeer: SerialPeer {
    let device: SimulatedSerialDevice
    let clock: ManualClock

    func send(_ bytes: [UInt8]) async throws { device.feed(bytes) }

    func receive(count: Int) async throws -> [UInt8] {
        var received: [UInt8] = []
        while received.count < count {
            received += device.takeWritten()
            if received.count < count { await Task.yield() }
        }
        return received
    }

    func unplug() async throws { device.unplug() }
    func replug() async throws { device.plug() }

    func letTimePass(_ duration: Duration) async {
        await clock.waitForSleepers(1)
        clock.advance(by: duration)
    }
}

// MARK: Linux, over a socat pseudo-terminal pair

/// TestSupport's socat pseudo-terminal pair in a directory of its own, which can be unplugged (socat stopped,
/// its links gone) and plugged back at the same paths.
final class PluggablePseudoTerminal: @unchecked Sendable {
    // @unchecked: `pair` changes only in unplug/replug/remove, which a test calls in sequence.
    let directory: String
    private(set) var pair: PseudoTerminalPair?

    var portPath: String { directory + "/port" }

    init() async throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("floorlink-pty-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        pair = try await PseudoTerminalPair(directory: directory, name: "port")
    }

    /// Stops socat and waits until its links are gone, so a replug can make them again.
    func unplug() async {
        pair?.stop()
        pair = nil
        for _ in 0..<500 where FileManager.default.fileExists(atPath: portPath) {
            guard await Poll.pause(.milliseconds(10)) else { return }
        }
    }

    func replug() async throws {
        pair = try await PseudoTerminalPair(directory: directory, name: "port")
    }

    func remove() {
        pair?.stop()
        pair = nil
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// The peer end: the pair's other pseudo-terminal, raw and non-blocking.
final class PseudoTerminalPeer: SerialPeer, Sendable {
    let terminal: PluggablePseudoTerminal

    init(terminal: PluggablePseudoTerminal) {
        self.terminal = terminal
    }

    func send(_ bytes: [UInt8]) async throws {
        guard let pair = terminal.pair else { throw HarnessError("the peer is unplugged") }
        try pair.send(bytes)
    }

    func receive(count: Int) async throws -> [UInt8] {
        guard let pair = terminal.pair else { throw HarnessError("the peer is unplugged") }
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while received.count < count {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { read(pair.peer, $0.baseAddress, $0.count) }
            if n > 0 {
                received += buffer.prefix(n)
            } else {
                guard ContinuousClock.now < deadline else {
                    throw HarnessError("peer got \(received.count)/\(count) bytes")
                }
                try await Task.sleep(for: .milliseconds(2))
            }
        }
        return received
    }

    func unplug() async throws { await terminal.unplug() }

    func replug() async throws { try await terminal.replug() }

    func letTimePass(_ duration: Duration) async {}
}

struct PseudoTerminalHarness: SerialHarness {
    let terminal: PluggablePseudoTerminal
    let pseudoPeer: PseudoTerminalPeer

    static func make() async throws -> PseudoTerminalHarness {
        let terminal = try await PluggablePseudoTerminal()
        return PseudoTerminalHarness(terminal: terminal, pseudoPeer: PseudoTerminalPeer(terminal: terminal))
    }

    var backend: any SerialBackend { LinuxSerialBackend() }
    var path: String { terminal.portPath }
    var peer: any SerialPeer { pseudoPeer }
    func tearDown() { terminal.remove() }
}

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

/// Two linked pseudo-terminals made by `socat`: the port under test opens one, the peer the other.
final class PseudoTerminalPair: @unchecked Sendable {
    // @unchecked: `child` is only touched from start/stop/remove, which a test calls in sequence.
    static let socatPath = ["/usr/bin/socat", "/bin/socat"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var isAvailable: Bool { socatPath != nil }

    let directory: URL
    let portPath: String
    let peerPath: String
    private var child: ChildProcess?

    init() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("floorlink-pty-\(UUID().uuidString)")
        portPath = directory.appendingPathComponent("port").path
        peerPath = directory.appendingPathComponent("peer").path
    }

    func start() async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        child = try ChildProcess(
            Self.socatPath ?? "/usr/bin/socat",
            ["pty,raw,echo=0,link=\(portPath)", "pty,raw,echo=0,link=\(peerPath)"]
        )
        for _ in 0..<500 {
            if FileManager.default.fileExists(atPath: portPath), FileManager.default.fileExists(atPath: peerPath) {
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("socat did not create \(portPath) within 5 s")
    }

    func stop() async {
        guard let child else { return }
        child.stop()
        self.child = nil
        for _ in 0..<500 where FileManager.default.fileExists(atPath: portPath) {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    func remove() {
        child?.stop()
        child = nil
        try? FileManager.default.removeItem(at: directory)
    }
}

/// The peer end: a plain file descriptor on the other pseudo-terminal.
final class PseudoTerminalPeer: SerialPeer, @unchecked Sendable {
    // @unchecked: `fd` changes only in replug, which a test calls while nothing else touches the peer.
    let pair: PseudoTerminalPair
    private var fd: Int32 = -1

    init(pair: PseudoTerminalPair) throws {
        self.pair = pair
        try openPeer()
    }

    private func openPeer() throws {
        fd = open(pair.peerPath, O_RDWR | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { throw HarnessError("cannot open \(pair.peerPath): errno \(errno)") }
        var settings = termios()
        tcgetattr(fd, &settings)
        cfmakeraw(&settings)
        tcsetattr(fd, TCSANOW, &settings)
    }

    func send(_ bytes: [UInt8]) async throws {
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw HarnessError("peer write returned \(written)") }
    }

    func receive(count: Int) async throws -> [UInt8] {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while received.count < count {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
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

    func unplug() async throws {
        close(fd)
        fd = -1
        await pair.stop()
    }

    func replug() async throws {
        try await pair.start()
        try openPeer()
    }

    func letTimePass(_ duration: Duration) async {}

    deinit { if fd >= 0 { close(fd) } }
}

struct PseudoTerminalHarness: SerialHarness {
    let pair: PseudoTerminalPair
    let pseudoPeer: PseudoTerminalPeer

    static func make() async throws -> PseudoTerminalHarness {
        let pair = PseudoTerminalPair()
        try await pair.start()
        return PseudoTerminalHarness(pair: pair, pseudoPeer: try PseudoTerminalPeer(pair: pair))
    }

    var backend: any SerialBackend { LinuxSerialBackend() }
    var path: String { pair.portPath }
    var peer: any SerialPeer { pseudoPeer }
    func tearDown() { pair.remove() }
}

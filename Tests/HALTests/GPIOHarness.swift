import GPIOSimSupport
import HAL
import HALLinux
import HALSimulated

/// One GPIO backend with a chip whose lines the test can drive from the outside and read back.
protocol GPIOHarness: Sendable {
    var backend: any GPIOBackend { get }
    var chipLabel: String { get }
    /// Names given to the chip's lines (nil: unnamed).
    var lineNames: [String?] { get }
    /// Sets the physical level of a line from outside, as a switch or pull resistor would.
    func drive(_ offset: Int, high: Bool) throws
    /// The physical level of a line as seen from outside.
    func physicalLevel(_ offset: Int) throws -> Bool
    func tearDown()
}

enum GPIOBackendKind: String, CaseIterable, CustomStringConvertible, Sendable {
    case simulated
    /// The Linux backend against the kernel's gpio-sim module (root and configfs needed: the VM tests).
    case linuxGPIOSim = "linux-gpio-sim"

    var description: String { rawValue }

    static var available: [GPIOBackendKind] {
        allCases.filter { $0 != .linuxGPIOSim || KernelGPIOSimHarness.isAvailable }
    }

    static let lineNames: [String?] = ["lock-A1", "sensor-A1", nil, "button-S1", nil, nil, nil, "light-S1"]

    func makeHarness() throws -> any GPIOHarness {
        switch self {
        case .simulated: return SimulatedGPIOHarness(lineNames: Self.lineNames)
        case .linuxGPIOSim: return try KernelGPIOSimHarness(lineNames: Self.lineNames)
        }
    }
}

struct SimulatedGPIOHarness: GPIOHarness {
    let chip: SimulatedGPIOChip
    let lineNames: [String?]
    let chipLabel = "floorlink-sim"

    init(lineNames: [String?]) {
        self.lineNames = lineNames
        chip = SimulatedGPIOChip(name: "gpiochip0", label: chipLabel, lineNames: lineNames, clock: ManualClock())
    }

    var backend: any GPIOBackend { SimulatedGPIOBackend(chips: [chip]) }
    func drive(_ offset: Int, high: Bool) throws { chip.drive(offset, high: high) }
    func physicalLevel(_ offset: Int) throws -> Bool { chip.physicalLevel(offset) }
    func tearDown() {}
}

/// A gpio-sim chip (root and configfs needed: the VM tests); `GPIOSimChip` does the configfs and sysfs work.
struct KernelGPIOSimHarness: GPIOHarness {
    static var isAvailable: Bool { GPIOSimChip.isAvailable }

    let chip: GPIOSimChip

    init(lineNames: [String?]) throws {
        chip = try GPIOSimChip(lineNames: lineNames)
    }

    var lineNames: [String?] { chip.lineNames }
    var chipLabel: String { chip.label }
    var backend: any GPIOBackend { LinuxGPIOBackend() }
    func drive(_ offset: Int, high: Bool) throws { try chip.drive(offset, high: high) }
    func physicalLevel(_ offset: Int) throws -> Bool { try chip.physicalLevel(offset) }
    func tearDown() { chip.tearDown() }
}

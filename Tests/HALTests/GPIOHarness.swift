import Foundation
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
    /// Whether an edge driven before the previous one was handled may be folded into it, so a test must read each
    /// edge before driving the next. gpio-sim raises its interrupts through irq_sim, which keeps one pending bit per
    /// line: of 1,000 edges driven back to back, 12 to 990 arrived in the VM. A real pin has no such limit below
    /// its interrupt latency, and the simulated chip queues every edge, so it is held to back-to-back driving.
    var foldsBackToBackEdges: Bool { get }
    func tearDown()
}

enum GPIOBackendKind: String, CaseIterable, CustomStringConvertible, Sendable {
    case simulated
    /// The Linux backend against the kernel's gpio-sim module (root and configfs needed: the VM tests).
    case linuxGPIOSim = "linux-gpio-sim"

    var description: String { rawValue }

    /// The simulated backend always; gpio-sim where the kernel has it, or always when `FLOORLINK_REQUIRE_GPIO_SIM=1`
    /// (the VM sets it, so a gpio-sim it cannot use fails the cases instead of quietly leaving them out).
    static var available: [GPIOBackendKind] {
        allCases.filter { $0 != .linuxGPIOSim || KernelGPIOSimHarness.isAvailable || KernelGPIOSimHarness.isRequired }
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
    var foldsBackToBackEdges: Bool { false }
    func drive(_ offset: Int, high: Bool) throws { chip.drive(offset, high: high) }
    func physicalLevel(_ offset: Int) throws -> Bool { chip.physicalLevel(offset) }
    func tearDown() {}
}

/// A gpio-sim chip (root and configfs needed: the VM tests); `GPIOSimChip` does the configfs and sysfs work.
struct KernelGPIOSimHarness: GPIOHarness {
    static var isAvailable: Bool { GPIOSimChip.isAvailable }
    /// `FLOORLINK_REQUIRE_GPIO_SIM=1`: run the gpio-sim cases even where `isAvailable` is false, and fail them.
    static var isRequired: Bool { ProcessInfo.processInfo.environment["FLOORLINK_REQUIRE_GPIO_SIM"] == "1" }

    let chip: GPIOSimChip

    init(lineNames: [String?]) throws {
        chip = try GPIOSimChip(lineNames: lineNames)
    }

    var lineNames: [String?] { chip.lineNames }
    var chipLabel: String { chip.label }
    var backend: any GPIOBackend { LinuxGPIOBackend() }
    var foldsBackToBackEdges: Bool { true }
    func drive(_ offset: Int, high: Bool) throws { try chip.drive(offset, high: high) }
    func physicalLevel(_ offset: Int) throws -> Bool { try chip.physicalLevel(offset) }
    func tearDown() { chip.tearDown() }
}

import Foundation
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

/// A gpio-sim chip made through configfs (kernel docs: admin-guide/gpio/gpio-sim); inputs are driven by
/// writing `pull-up`/`pull-down` to `sim_gpioN/pull`, outputs read from `sim_gpioN/value`.
struct KernelGPIOSimHarness: GPIOHarness {
    static let configfs = "/sys/kernel/config/gpio-sim"
    static var isAvailable: Bool { getuid() == 0 && FileManager.default.fileExists(atPath: configfs) }

    let lineNames: [String?]
    let chipLabel: String
    let directory: String
    let sysfs: String

    init(lineNames: [String?]) throws {
        self.lineNames = lineNames
        let id = UUID().uuidString.prefix(8).lowercased()
        chipLabel = "floorlink-\(id)"
        directory = "\(Self.configfs)/\(chipLabel)"
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(directory)/bank0", withIntermediateDirectories: true)
        try Self.write("\(lineNames.count)", to: "\(directory)/bank0/num_lines")
        try Self.write(chipLabel, to: "\(directory)/bank0/label")
        for (offset, name) in lineNames.enumerated() {
            guard let name else { continue }
            try fm.createDirectory(atPath: "\(directory)/bank0/line\(offset)", withIntermediateDirectories: false)
            try Self.write(name, to: "\(directory)/bank0/line\(offset)/name")
        }
        try Self.write("1", to: "\(directory)/live")
        let device = try String(contentsOfFile: "\(directory)/dev_name", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let chipName = try String(contentsOfFile: "\(directory)/bank0/chip_name", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        sysfs = "/sys/devices/platform/\(device)/\(chipName)"
    }

    private static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    var backend: any GPIOBackend { LinuxGPIOBackend() }

    func drive(_ offset: Int, high: Bool) throws {
        try Self.write(high ? "pull-up" : "pull-down", to: "\(sysfs)/sim_gpio\(offset)/pull")
    }

    func physicalLevel(_ offset: Int) throws -> Bool {
        try String(contentsOfFile: "\(sysfs)/sim_gpio\(offset)/value", encoding: .utf8).hasPrefix("1")
    }

    func tearDown() {
        try? Self.write("0", to: "\(directory)/live")
        for (offset, name) in lineNames.enumerated() where name != nil {
            rmdir("\(directory)/bank0/line\(offset)")
        }
        rmdir("\(directory)/bank0")
        rmdir(directory)
    }
}

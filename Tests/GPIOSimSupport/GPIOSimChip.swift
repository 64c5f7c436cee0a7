import Foundation

/// A chip of the kernel's gpio-sim module made through configfs (kernel docs: admin-guide/gpio/gpio-sim).
///
/// The outside world of its lines lives in sysfs: writing `pull-up`/`pull-down` to `sim_gpioN/pull` sets an
/// input's physical level (edge events fire), and `sim_gpioN/value` shows the level a program drives on an
/// output. Used by the GPIO contract tests (`HALTests`, where the kernel has gpio-sim) and the VM tests.
public struct GPIOSimChip: Sendable {
    /// Where configfs exposes gpio-sim.
    public static let configfs = "/sys/kernel/config/gpio-sim"
    /// Whether this process can make gpio-sim chips: configfs mounted with gpio-sim, and root.
    public static var isAvailable: Bool { getuid() == 0 && FileManager.default.fileExists(atPath: configfs) }

    /// The chip's label, unique per instance (`floorlink-xxxxxxxx`): open the chip by it.
    public let label: String
    /// Names given to the lines (nil: unnamed); their count is the chip's line count.
    public let lineNames: [String?]
    /// The chip's device name, e.g. `gpiochip0`.
    public let chipName: String
    /// The chip's sysfs directory holding `sim_gpioN/{pull,value}`.
    public let sysfs: String
    private let directory: String

    /// Makes a live chip with one bank of `lineNames.count` lines.
    public init(lineNames: [String?]) throws {
        self.lineNames = lineNames
        label = "floorlink-" + UUID().uuidString.prefix(8).lowercased()
        directory = "\(Self.configfs)/\(label)"
        let files = FileManager.default
        try files.createDirectory(atPath: "\(directory)/bank0", withIntermediateDirectories: true)
        try Self.write("\(lineNames.count)", to: "\(directory)/bank0/num_lines")
        try Self.write(label, to: "\(directory)/bank0/label")
        for (offset, name) in lineNames.enumerated() {
            guard let name else { continue }
            try files.createDirectory(atPath: "\(directory)/bank0/line\(offset)", withIntermediateDirectories: false)
            try Self.write(name, to: "\(directory)/bank0/line\(offset)/name")
        }
        try Self.write("1", to: "\(directory)/live")
        let device = try Self.read("\(directory)/dev_name")
        chipName = try Self.read("\(directory)/bank0/chip_name")
        sysfs = "/sys/devices/platform/\(device)/\(chipName)"
    }

    /// Sets the physical level of line `offset` from outside, as a switch or pull resistor would.
    public func drive(_ offset: Int, high: Bool) throws {
        try Self.write(high ? "pull-up" : "pull-down", to: pullPath(offset))
    }

    /// The physical level of line `offset` as seen from outside (what an output drives).
    public func physicalLevel(_ offset: Int) throws -> Bool {
        try Self.read(valuePath(offset)) == "1"
    }

    /// `sim_gpioN/pull` of line `offset`.
    public func pullPath(_ offset: Int) -> String { "\(sysfs)/sim_gpio\(offset)/pull" }

    /// `sim_gpioN/value` of line `offset`.
    public func valuePath(_ offset: Int) -> String { "\(sysfs)/sim_gpio\(offset)/value" }

    /// Takes the chip down and removes its configfs directories.
    public func tearDown() {
        try? Self.write("0", to: "\(directory)/live")
        for (offset, name) in lineNames.enumerated() where name != nil {
            rmdir("\(directory)/bank0/line\(offset)")
        }
        rmdir("\(directory)/bank0")
        rmdir(directory)
    }

    private static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    private static func read(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

import Glibc
import HAL

/// GPIO chips of this machine through whichever libgpiod the system has (`LibGPIOD`): 2.x (the v2 API) on Debian 13
/// and Raspberry Pi OS trixie, 1.6 (the v1 API) on Debian 12 and bookworm.
public struct LinuxGPIOBackend: GPIOBackend {
    public init() {}

    /// The libgpiod in use, or why none could be loaded.
    public var library: Result<LibGPIOD, HALError> {
        do throws(HALError) {
            return .success(try LibGPIOD.shared())
        } catch {
            return .failure(error)
        }
    }

    /// Every `/dev/gpiochipN`, in number order; a chip that cannot be opened is reported as an error.
    public func chips() throws(HALError) -> [GPIOChipInfo] {
        var chips: [GPIOChipInfo] = []
        for name in try Self.chipNames() {
            chips.append(try openChip(.name(name)).info)
        }
        return chips
    }

    public func openChip(_ selector: GPIOChipSelector) throws(HALError) -> any GPIOChip {
        let library = try LibGPIOD.shared()
        switch library.functions {
        case .v1(let functions): return try LinuxGPIOChip(selector: selector, gpiod: functions)
        case .v2(let functions): return try LinuxGPIOV2Chip(selector: selector, gpiod: functions)
        }
    }

    /// The `gpiochipN` entries of `/dev`, in number order.
    static func chipNames() throws(HALError) -> [String] {
        guard let directory = opendir("/dev") else { throw SystemCall.error("opendir", path: "/dev", errno: errno) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix("gpiochip"), Int(name.dropFirst("gpiochip".count)) != nil { names.append(name) }
        }
        closedir(directory)
        names.sort { (Int($0.dropFirst(8)) ?? 0) < (Int($1.dropFirst(8)) ?? 0) }
        return names
    }
}

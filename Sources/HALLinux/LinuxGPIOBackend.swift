import CGPIOD
import Glibc
import HAL

/// GPIO chips of this machine through libgpiod 1.6 (the v1 character-device API).
public struct LinuxGPIOBackend: GPIOBackend {
    public init() {}

    /// Every `/dev/gpiochipN`, in number order; a chip that cannot be opened is reported as an error.
    public func chips() throws(HALError) -> [GPIOChipInfo] {
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
        var chips: [GPIOChipInfo] = []
        for name in names {
            chips.append(try LinuxGPIOChip(selector: .name(name)).info)
        }
        return chips
    }

    public func openChip(_ selector: GPIOChipSelector) throws(HALError) -> any GPIOChip {
        try LinuxGPIOChip(selector: selector)
    }
}

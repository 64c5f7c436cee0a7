import HAL

/// What the two libgpiod chips (1.6 and 2.x) share above their C calls: each reads one line's info in its own API;
/// listing every line and naming a line that is not there are the same on both.
protocol LinuxGPIOChipLines: GPIOChip {
    /// The chip's device path, for errors.
    var path: String { get }
    /// One line's name, consumer, direction, active state and use.
    func lineInfo(offset: Int) throws(HALError) -> GPIOLineInfo
}

extension LinuxGPIOChipLines {
    func lines() throws(HALError) -> [GPIOLineInfo] {
        var lines: [GPIOLineInfo] = []
        for offset in 0..<info.lineCount {
            lines.append(try lineInfo(offset: offset))
        }
        return lines
    }

    /// The error for an offset the chip does not have, with the offsets it has.
    func lineNotFound(_ offset: Int) -> HALError {
        .notFound(path: path, detail: "line \(offset), the chip has lines 0...\(info.lineCount - 1)")
    }
}

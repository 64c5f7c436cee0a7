import HAL

/// One GPIO line on an open chip: how a driver's configuration names a lamp, button, lock or sensor, already
/// resolved from a board pin name so that drivers never parse pin names.
public struct GPIOPin: Sendable, CustomStringConvertible {
    /// The open chip that owns the line.
    public var chip: any GPIOChip
    /// The line offset on `chip`.
    public var offset: Int

    /// Names line `offset` of `chip`.
    public init(chip: any GPIOChip, offset: Int) {
        self.chip = chip
        self.offset = offset
    }

    /// `gpiochipN:OFFSET`, the spelling the site config and `floorctl gpio` accept.
    public var description: String { "\(chip.info.name):\(offset)" }
}

/// Why a pick-to-light command was refused; `code` is the stable `command.result` error code.
public enum PickToLightError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No slot of the module has this id.
    case unknownSlot(String)
    /// The slot can show neither this colour on an output of its own nor as a pattern of its single lamp.
    case unknownColor(String, slot: String, available: [String])

    /// The stable code for `command.result.error`.
    public var code: String {
        switch self {
        case .unknownSlot: return "unknown-slot"
        case .unknownColor: return "unknown-color"
        }
    }

    public var description: String {
        switch self {
        case .unknownSlot(let slot):
            return "unknown slot \"\(slot)\""
        case .unknownColor(let color, let slot, let available):
            return "slot \(slot) cannot show colour \"\(color)\"; it can show: \(available.joined(separator: ", "))"
        }
    }
}

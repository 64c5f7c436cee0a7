/// The commands an upstream may send; the raw value is the wire name.
public enum CommandName: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case ptlLight = "ptl.light"
    case ptlClear = "ptl.clear"
    case lockerAssign = "locker.assign"
    case lockerRelease = "locker.release"
    case lockerOpen = "locker.open"
    case deviceReset = "device.reset"

    /// True for commands that move hardware: they must be signed and fresh.
    public var movesHardware: Bool {
        switch self {
        case .ptlLight, .ptlClear, .lockerAssign, .lockerRelease, .lockerOpen: return true
        case .deviceReset: return false
        }
    }

    /// The wire name.
    public var description: String { rawValue }
}

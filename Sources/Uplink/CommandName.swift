/// The commands an upstream may send; the raw value is the wire name.
public enum CommandName: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case ptlLight = "ptl.light"
    case ptlClear = "ptl.clear"
    case lockerAssign = "locker.assign"
    case lockerRelease = "locker.release"
    case lockerOpen = "locker.open"
    case deviceReset = "device.reset"

    /// True for commands that change hardware or orders: they must be signed and fresh. Every command is one
    /// today; `device.reset` too, as restarting a device's I/O can interrupt a door or a scan. (A technician's
    /// `floorctl device reset` takes the control socket, authorised by its peer's credentials instead.)
    public var movesHardware: Bool {
        switch self {
        case .ptlLight, .ptlClear, .lockerAssign, .lockerRelease, .lockerOpen, .deviceReset: return true
        }
    }

    /// The wire name.
    public var description: String { rawValue }
}

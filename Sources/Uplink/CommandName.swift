/// The commands an upstream may send; the raw value is the wire name.
public enum CommandName: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case ptlLight = "ptl.light"
    case ptlClear = "ptl.clear"
    case lockerAssign = "locker.assign"
    case lockerRelease = "locker.release"
    case lockerOpen = "locker.open"
    case deviceReset = "device.reset"
    /// Re-publish stored events `from`…`through` (gap repair); device `"controller"`.
    case eventsReplay = "events.replay"

    /// True for commands that change hardware or orders: they must be signed and fresh. Every command is one
    /// today; `device.reset` too, as restarting a device's I/O can interrupt a door or a scan. (A technician's
    /// `floorctl device reset` takes the control socket, authorised by its peer's credentials instead.)
    public var movesHardware: Bool {
        switch self {
        case .ptlLight, .ptlClear, .lockerAssign, .lockerRelease, .lockerOpen, .deviceReset: return true
        case .eventsReplay: return false
        }
    }

    /// True for commands that must be signed and fresh: every one that moves hardware, and `events.replay`.
    ///
    /// A replay moves nothing, but one small command makes the controller send up to
    /// `EventReplayRange.maximumCount` events through the broker to every consumer: a stranger who could publish
    /// to the commands topic could flood the broker and the order service, keep the one replay slot busy so the
    /// real repair is refused, and delay the commands queued behind it. It re-sends only what the consumers
    /// were already allowed to read, so it discloses nothing; the signature is about cost, not secrecy.
    public var needsSignature: Bool {
        movesHardware || self == .eventsReplay
    }

    /// The wire name.
    public var description: String { rawValue }
}

import HAL

/// One level change (or current level) of a door's sensor or occupancy input, as the locker bank consumes it.
public struct DoorSignal: Hashable, Sendable, CustomStringConvertible {
    /// Which input of a door the signal comes from.
    public enum Kind: String, Hashable, Sendable {
        /// The door-position sensor: `true` means the door is open.
        case sensor
        /// The optional occupancy sensor: `true` means something is in the compartment.
        case occupancy
    }

    /// The door's configured id.
    public var door: String
    /// Which of the door's inputs changed.
    public var kind: Kind
    /// The raw (not yet debounced) logical level: `true` = door open / compartment occupied.
    public var value: Bool
    /// When the level was seen (the kernel edge timestamp, on the same timeline as the bank's `Clock`).
    public var time: ClockInstant

    /// Makes a signal for `door`'s `kind` input at `value`, seen at `time`.
    public init(door: String, kind: Kind, value: Bool, time: ClockInstant) {
        self.door = door
        self.kind = kind
        self.value = value
        self.time = time
    }

    public var description: String { "\(door) \(kind.rawValue)=\(value) at \(time)" }
}

/// The door hardware seam of a locker bank: lock outputs and sensor inputs, so that a GPIO wiring and an
/// RS-485 lock-controller board can both drive the same `LockerBank`.
public protocol DoorIO: Sendable {
    /// Energises (releases) or de-energises (locks) the lock of `door`, and returns when the output was actually
    /// driven, on the bank's clock: a lock pulse is timed from that moment, so a slow write never shortens it. A
    /// board on a bus answers in its own time, so this suspends until it has.
    @discardableResult
    func setLock(door: String, energised: Bool) async throws(HALError) -> ClockInstant
    /// The current raw level of every sensor and occupancy input: the bank's initial state.
    func currentLevels() async throws(HALError) -> [DoorSignal]
    /// Starts forwarding raw level changes to `deliver`, from any task, in arrival order per input.
    func start(deliver: @escaping @Sendable (DoorSignal) -> Void) throws(HALError)
    /// Locks every door, stops forwarding and releases the hardware.
    func close()
}

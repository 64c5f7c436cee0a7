import Events

/// One code reader (keypad) of a locker bank as `floorctl locker status` shows it: its wrong codes and any
/// lock-out, with the lock-out's end as a time of day.
public struct KeypadStatus: Hashable, Sendable {
    /// The keypad id (the code reader's device id).
    public var keypad: String
    /// Wrong codes since its last good one (what the lock-out escalation counts).
    public var failures: Int
    /// Wrong codes within the wrong-code budget's 24-hour window.
    public var recentWrongCodes: Int
    /// When its current lock-out ends (UTC), nil when it is not locked out.
    public var lockedUntil: EventTime?
    /// Whether its wrong-code budget blocked it until a technician clears it (`floorctl locker unlock-keypad`).
    public var blocked: Bool

    /// Describes one keypad.
    public init(keypad: String, failures: Int, recentWrongCodes: Int, lockedUntil: EventTime?, blocked: Bool) {
        self.keypad = keypad
        self.failures = failures
        self.recentWrongCodes = recentWrongCodes
        self.lockedUntil = lockedUntil
        self.blocked = blocked
    }
}

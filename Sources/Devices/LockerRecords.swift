import HAL

/// What of a locker bank's state must outlive the process: each door's order (pickup-code digest, expiry,
/// deposit) and each keypad's wrong-code record (lockout, the day's wrong codes, blocked). Everything else (locks,
/// sensors, pulses) is read again from the hardware on start.
public struct LockerRecords: Equatable, Sendable {
    /// One assigned door.
    public struct Order: Equatable, Sendable {
        public var door: String
        public var order: String
        /// The pickup code's digest in its text form (`pbkdf2-sha256$…`); nil once the code has been used.
        public var codeDigest: String?
        public var expiresAt: ClockInstant
        public var deposited: Bool

        /// Describes one assigned door.
        public init(door: String, order: String, codeDigest: String?, expiresAt: ClockInstant, deposited: Bool) {
            self.door = door
            self.order = order
            self.codeDigest = codeDigest
            self.expiresAt = expiresAt
            self.deposited = deposited
        }
    }

    /// One keypad's wrong codes.
    public struct Keypad: Equatable, Sendable {
        public var keypad: String
        /// Wrong codes since the last success (the lockout escalation).
        public var failures: Int
        public var lockedUntil: ClockInstant?
        /// The wrong codes still inside the budget's window, oldest first.
        public var recentWrongCodes: [ClockInstant]
        public var blocked: Bool

        /// Describes one keypad's record.
        public init(
            keypad: String,
            failures: Int,
            lockedUntil: ClockInstant?,
            recentWrongCodes: [ClockInstant],
            blocked: Bool
        ) {
            self.keypad = keypad
            self.failures = failures
            self.lockedUntil = lockedUntil
            self.recentWrongCodes = recentWrongCodes
            self.blocked = blocked
        }
    }

    /// Assigned doors, in configuration order.
    public var orders: [Order]
    /// Keypads with a record, by id.
    public var keypads: [Keypad]

    /// Records of `orders` and `keypads` (none by default: a new bank).
    public init(orders: [Order] = [], keypads: [Keypad] = []) {
        self.orders = orders
        self.keypads = keypads
    }
}

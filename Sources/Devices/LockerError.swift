/// Why a locker-bank command failed; `code` is the stable string a `command.result` carries. No case ever
/// holds a pickup code.
public enum LockerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No door of the bank has this id.
    case unknownDoor(String)
    /// The door already holds an order.
    case doorAlreadyAssigned(door: String, order: String)
    /// The door holds no order.
    case doorNotAssigned(String)
    /// An assignment needs a non-empty order id.
    case emptyOrder
    /// The pickup code is shorter than the configured minimum (empty included).
    case codeTooShort(minimum: Int)
    /// The pickup code is longer than the configured maximum.
    case codeTooLong(maximum: Int)
    /// Another assigned door already has this pickup code, so a scan would be ambiguous.
    case codeInUse
    /// The assignment's expiry is not in the future.
    case expiryInPast
    /// A requested pulse is zero or negative (longer ones are clamped, not refused).
    case invalidPulse
    /// The pickup code matches no assigned door.
    case wrongCode(attempts: Int)
    /// The keypad is locked out after too many wrong codes; `remaining` until it accepts codes again.
    case keypadLockedOut(remaining: Duration)
    /// The pickup code matched, but it has expired.
    case codeExpired
    /// The pickup code matched a door whose order has not been deposited yet.
    case notDeposited
    /// libcrypto failed to make a salt or a hash, so the code could not be stored.
    case cryptoUnavailable
    /// The bank is not running (stopped, or never started and shut down).
    case notRunning
    /// A `pickupCodeDigest` is not in the `pbkdf2-sha256$ITERATIONS$SALT$DIGEST` form; says what is wrong.
    case badCodeDigest(String)
    /// The keypad used up its wrong-code budget and stays blocked until a technician clears it.
    case keypadBlocked(keypad: String)
    /// A technician asked to clear a keypad that is not blocked.
    case keypadNotBlocked(String)
    /// The change could not be written to the bank's state file, so it was not made.
    case stateNotStored(String)
    /// The stored state has an order on a door the configuration no longer has.
    case orderOnRemovedDoor(door: String, order: String)
    /// The bank's state file could not be read or is damaged; it is left in place for a technician.
    case stateUnreadable(String)

    /// The stable error code for `command.result` (`unknown-door`, `door-already-assigned`, …).
    public var code: String {
        switch self {
        case .unknownDoor: return "unknown-door"
        case .doorAlreadyAssigned: return "door-already-assigned"
        case .doorNotAssigned: return "door-not-assigned"
        case .emptyOrder: return "empty-order"
        case .codeTooShort: return "code-too-short"
        case .codeTooLong: return "code-too-long"
        case .codeInUse: return "code-in-use"
        case .expiryInPast: return "expiry-in-past"
        case .invalidPulse: return "invalid-pulse"
        case .wrongCode: return "wrong-code"
        case .keypadLockedOut: return "locked-out"
        case .codeExpired: return "expired"
        case .notDeposited: return "not-deposited"
        case .cryptoUnavailable: return "crypto-unavailable"
        case .notRunning: return "not-running"
        case .badCodeDigest: return "bad-code-digest"
        case .keypadBlocked: return "keypad-blocked"
        case .keypadNotBlocked: return "keypad-not-blocked"
        case .stateNotStored: return "state-not-stored"
        case .orderOnRemovedDoor: return "order-on-removed-door"
        case .stateUnreadable: return "state-unreadable"
        }
    }

    public var description: String {
        switch self {
        case .unknownDoor(let door): return "unknown door \"\(door)\""
        case .doorAlreadyAssigned(let door, let order): return "door \(door) is already assigned to order \(order)"
        case .doorNotAssigned(let door): return "door \(door) has no assigned order"
        case .emptyOrder: return "the order id is empty"
        case .codeTooShort(let minimum): return "the pickup code is shorter than \(minimum) characters"
        case .codeTooLong(let maximum): return "the pickup code is longer than \(maximum) characters"
        case .codeInUse: return "another assigned door already uses this pickup code"
        case .expiryInPast: return "the pickup code's expiry is not in the future"
        case .invalidPulse: return "the requested pulse must be longer than zero"
        case .wrongCode(let attempts): return "wrong pickup code (\(attempts) wrong in a row)"
        case .keypadLockedOut(let remaining): return "keypad locked out for another \(remaining)"
        case .codeExpired: return "the pickup code has expired"
        case .notDeposited: return "the order has not been deposited yet"
        case .cryptoUnavailable: return "libcrypto could not salt or hash the pickup code"
        case .notRunning: return "the locker bank is not running"
        case .badCodeDigest(let detail): return "pickupCodeDigest: \(detail)"
        case .keypadBlocked(let keypad):
            return "keypad \(keypad) is blocked after too many wrong codes; a technician must clear it "
                + "(floorctl locker unlock-keypad)"
        case .keypadNotBlocked(let keypad): return "keypad \(keypad) is not blocked"
        case .stateNotStored(let detail):
            return "the change was not made: the locker state could not be stored: \(detail)"
        case .orderOnRemovedDoor(let door, let order):
            return "door \(door) holds order \(order) but is not in the configuration"
        case .stateUnreadable(let detail): return "the locker state file cannot be used: \(detail)"
        }
    }
}

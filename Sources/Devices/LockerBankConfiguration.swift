/// The settings of one locker bank, already validated by the config loader (the bank still clamps what it
/// must never exceed: the pulse to `maxPulse`, concurrency to at least one).
public struct LockerBankConfiguration: Sendable {
    /// The device id events carry (`lockers-A`).
    public var id: String
    /// The door ids, in display order.
    public var doors: [String]
    /// How long a lock is energised per unlock (`pulseMs`).
    public var pulse: Duration
    /// The hard limit on any pulse, whatever a command asks for (`maxPulseMs`).
    public var maxPulse: Duration
    /// How many locks may be energised at once (`maxConcurrentUnlocks`); more unlocks wait in FIFO order.
    public var maxConcurrentUnlocks: Int
    /// A door open this long is reported once as left open (`leftOpenAfterS`).
    public var leftOpenAfter: Duration
    /// How long a sensor level must hold to count (`debounceMs`).
    public var debounce: Duration
    /// How long after a pulse ends an opening still counts as authorised (`graceMs`).
    public var grace: Duration
    /// How long a pickup code stays valid unless an assignment says otherwise (`codeTTL`).
    public var codeTTL: Duration
    /// The shortest pickup code accepted, in characters (`minimumCodeLength`, 6 at least).
    public var minimumCodeLength: Int
    /// The longest pickup code accepted, in characters (bounds the hashing work per attempt).
    public var maximumCodeLength: Int
    /// PBKDF2-HMAC-SHA256 iterations for stored pickup-code hashes.
    public var codeHashIterations: Int
    /// How wrong pickup codes lock a keypad out.
    public var lockout: KeypadLockoutPolicy
    /// Wrong codes one keypad may enter within `wrongCodeWindow` (`wrongCodeBudget`); the last one blocks the
    /// keypad until a technician clears it.
    public var wrongCodeBudget: Int
    /// The sliding window of the wrong-code budget: 24 hours.
    public var wrongCodeWindow: Duration

    /// Makes a configuration with the documented defaults for everything but the id and the doors.
    public init(
        id: String,
        doors: [String],
        pulse: Duration = .milliseconds(500),
        maxPulse: Duration = .seconds(2),
        maxConcurrentUnlocks: Int = 2,
        leftOpenAfter: Duration = .seconds(60),
        debounce: Duration = .milliseconds(50),
        grace: Duration = .seconds(5),
        codeTTL: Duration = .seconds(7 * 24 * 3600),
        minimumCodeLength: Int = 6,
        maximumCodeLength: Int = 64,
        codeHashIterations: Int = 10_000,
        lockout: KeypadLockoutPolicy = KeypadLockoutPolicy(),
        wrongCodeBudget: Int = 20,
        wrongCodeWindow: Duration = .seconds(24 * 3600)
    ) {
        self.id = id
        self.doors = doors
        self.pulse = pulse
        self.maxPulse = maxPulse
        self.maxConcurrentUnlocks = maxConcurrentUnlocks
        self.leftOpenAfter = leftOpenAfter
        self.debounce = debounce
        self.grace = grace
        self.codeTTL = codeTTL
        self.minimumCodeLength = minimumCodeLength
        self.maximumCodeLength = maximumCodeLength
        self.codeHashIterations = codeHashIterations
        self.lockout = lockout
        self.wrongCodeBudget = max(1, wrongCodeBudget)
        self.wrongCodeWindow = wrongCodeWindow
    }
}

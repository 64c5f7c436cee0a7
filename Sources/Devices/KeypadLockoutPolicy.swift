/// Escalating lockout for wrong pickup codes at one keypad: after `threshold` wrong codes the keypad is
/// locked for `firstLockout`, each further wrong code doubles it, up to `maximumLockout`.
public struct KeypadLockoutPolicy: Hashable, Sendable {
    /// Wrong codes (since the last success) that trigger the first lockout.
    public var threshold: Int
    /// The first lockout.
    public var firstLockout: Duration
    /// The longest lockout.
    public var maximumLockout: Duration

    /// Makes a policy; the defaults lock for 30 s after 3 wrong codes, then 60 s, 120 s, … up to 15 min.
    public init(threshold: Int = 3, firstLockout: Duration = .seconds(30), maximumLockout: Duration = .seconds(900)) {
        self.threshold = max(1, threshold)
        self.firstLockout = firstLockout
        self.maximumLockout = max(firstLockout, maximumLockout)
    }

    /// The lockout that follows the `failures`-th consecutive wrong code, or nil when it is below the threshold.
    public func lockout(afterFailures failures: Int) -> Duration? {
        guard failures >= threshold else { return nil }
        var lockout = firstLockout
        for _ in 0..<min(failures - threshold, 32) where lockout < maximumLockout {
            lockout = min(lockout * 2, maximumLockout)
        }
        return lockout
    }
}

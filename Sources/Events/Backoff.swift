/// Exponential backoff with a cap and optional jitter, reset on success: how a driver retries a reader that is
/// unplugged and an uplink retries its receiver, without hammering it and without giving up.
public struct Backoff: Hashable, Sendable {
    /// The first delay.
    public let initial: Duration
    /// The longest delay; each attempt doubles the delay up to this.
    public let maximum: Duration
    /// Fraction (0…1) of each delay that is randomised, so that many controllers do not retry in step: a delay is
    /// drawn uniformly from `[delay × (1 − jitter), delay]`.
    public let jitter: Double
    private var attempt = 0

    public init(initial: Duration = .milliseconds(250), maximum: Duration = .seconds(30), jitter: Double = 0) {
        self.initial = initial
        self.maximum = max(initial, maximum)
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay before retry number `attempt` (0 for the first), jittered with `generator`.
    public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        var delay = initial
        for _ in 0..<min(max(attempt, 0), 62) where delay < maximum {
            delay = min(delay * 2, maximum)
        }
        guard jitter > 0 else { return delay }
        return delay * (1 - jitter * Double.random(in: 0...1, using: &generator))
    }

    /// The delay before the next attempt; each call doubles it up to `maximum`.
    public mutating func nextDelay() -> Duration {
        var generator = SystemRandom()
        defer { attempt += 1 }
        return delay(attempt: attempt, using: &generator)
    }

    /// Starts over after a success.
    public mutating func reset() {
        attempt = 0
    }
}

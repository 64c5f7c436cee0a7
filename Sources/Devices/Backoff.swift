/// Exponential backoff with a cap and optional jitter, reset on success: how a driver retries a reader that
/// is unplugged, without hammering it and without giving up.
public struct Backoff: Sendable {
    public let initial: Duration
    public let maximum: Duration
    /// Fraction (0…1) of each delay that is randomised, so that many controllers do not retry in step.
    public let jitter: Double
    private var attempt = 0

    public init(initial: Duration = .milliseconds(250), maximum: Duration = .seconds(30), jitter: Double = 0) {
        self.initial = initial
        self.maximum = max(initial, maximum)
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay before the next attempt; each call doubles it up to `maximum`.
    public mutating func nextDelay() -> Duration {
        var delay = initial
        for _ in 0..<min(attempt, 32) where delay < maximum {
            delay = min(delay * 2, maximum)
        }
        attempt += 1
        guard jitter > 0 else { return delay }
        let spread = delay * jitter
        return delay - spread + spread * Double.random(in: 0...1)
    }

    /// Starts over after a success.
    public mutating func reset() {
        attempt = 0
    }
}

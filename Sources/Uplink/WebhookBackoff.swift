/// When the webhook uplink tries again after a failure.
public struct WebhookBackoff: Hashable, Sendable {
    /// The first retry delay after a network error, 5xx or 429 without `Retry-After`.
    public var initial: Duration
    /// The longest retry delay; each failure doubles the delay up to this.
    public var maximum: Duration
    /// Each delay is drawn uniformly from `[delay × (1 − jitter), delay]`, so many controllers do not retry in step.
    public var jitter: Double
    /// The longest `Retry-After` that is honoured; longer values are cut to this.
    public var maximumRetryAfter: Duration
    /// How long to wait before sending a batch again after the receiver refused it with a 4xx other than 429.
    public var rejectedRetryInterval: Duration

    /// Defaults: 0.5 s doubling to 60 s, 50 % jitter, Retry-After capped at 300 s, 10 min after a 4xx.
    public init(
        initial: Duration = .milliseconds(500),
        maximum: Duration = .seconds(60),
        jitter: Double = 0.5,
        maximumRetryAfter: Duration = .seconds(300),
        rejectedRetryInterval: Duration = .seconds(600)
    ) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = min(max(jitter, 0), 1)
        self.maximumRetryAfter = maximumRetryAfter
        self.rejectedRetryInterval = rejectedRetryInterval
    }

    /// The delay before retry number `attempt` (0 for the first retry), jittered.
    public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        var delay = initial
        for _ in 0..<min(attempt, 62) where delay < maximum { delay *= 2 }
        delay = min(delay, maximum)
        let factor = 1 - jitter * Double.random(in: 0...1, using: &generator)
        return delay * factor
    }

    /// The delay a `Retry-After` asks for, capped at `maximumRetryAfter`.
    func honouring(retryAfter: Duration) -> Duration {
        min(max(retryAfter, .zero), maximumRetryAfter)
    }
}

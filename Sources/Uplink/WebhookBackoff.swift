import Events

/// When the webhook uplink tries again after a failure.
public struct WebhookBackoff: Hashable, Sendable {
    /// The retry delays after a network error, 5xx or 429 without `Retry-After`: exponential with jitter.
    public var schedule: Backoff
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
        self.schedule = Backoff(initial: initial, maximum: maximum, jitter: jitter)
        self.maximumRetryAfter = maximumRetryAfter
        self.rejectedRetryInterval = rejectedRetryInterval
    }

    /// The delay before retry number `attempt` (0 for the first retry), jittered.
    public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        schedule.delay(attempt: attempt, using: &generator)
    }

    /// The delay a `Retry-After` asks for, capped at `maximumRetryAfter`.
    func honouring(retryAfter: Duration) -> Duration {
        min(max(retryAfter, .zero), maximumRetryAfter)
    }
}

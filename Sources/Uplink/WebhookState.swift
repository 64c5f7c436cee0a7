/// Whether the webhook is delivering.
public enum WebhookState: String, Hashable, Sendable {
    /// `run()` has not made an attempt yet.
    case starting
    /// The last request was answered with 2xx.
    case connected
    /// The last request failed (network error, or a non-2xx status); the uplink is retrying.
    case failing
}

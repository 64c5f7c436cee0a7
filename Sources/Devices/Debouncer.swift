import HAL

/// Software debounce for a GPIO input (libgpiod 1.6 has none): a new level counts only once it has held for
/// `interval`. A pure state machine: the driver feeds it edges and asks it when the clock reaches `deadline`.
public struct Debouncer: Sendable {
    /// The confirmed level.
    public private(set) var stableValue: Bool
    public let interval: Duration
    private var pending: (value: Bool, since: ClockInstant)?

    public init(initial: Bool, interval: Duration) {
        stableValue = initial
        self.interval = interval
    }

    /// When a pending change becomes stable, if one is pending.
    public var deadline: ClockInstant? {
        pending.map { $0.since + interval }
    }

    /// Records the raw level seen at `time`; returns the new stable value if that confirms a change at once
    /// (a zero interval), nil otherwise.
    public mutating func observe(_ value: Bool, at time: ClockInstant) -> Bool? {
        if value == stableValue {
            pending = nil
            return nil
        }
        if pending?.value != value {
            pending = (value, time)
        }
        return expire(at: time)
    }

    /// Confirms a pending change whose interval has passed by `now`; returns the new stable value if so.
    public mutating func expire(at now: ClockInstant) -> Bool? {
        guard let pending, now >= pending.since + interval else { return nil }
        self.pending = nil
        stableValue = pending.value
        return stableValue
    }
}

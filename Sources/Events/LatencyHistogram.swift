/// Counts of durations in fixed buckets (seconds), as a Prometheus histogram wants them: for the outbox's
/// fsync latency and an uplink's publish-to-acknowledgement latency. A value type; its owner (an actor) keeps it.
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds in seconds, ascending; a value above the last is counted only in `count` (`+Inf`).
    public let bounds: [Double]
    /// Observations per bucket (not cumulative): `counts[i]` holds values in (`bounds[i-1]`, `bounds[i]`].
    public private(set) var counts: [Int]
    /// Sum of all observations in seconds.
    public private(set) var sum: Double = 0
    /// Number of observations.
    public private(set) var count: Int = 0

    /// 0.5 ms to 10 s: an SD card's fsync and a broker round trip both fit.
    public static let defaultBounds: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    public init(bounds: [Double] = LatencyHistogram.defaultBounds) {
        self.bounds = bounds
        counts = [Int](repeating: 0, count: bounds.count)
    }

    /// Counts one duration.
    public mutating func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let value = max(0, Double(seconds) + Double(attoseconds) / 1e18)
        sum += value
        count += 1
        if let index = bounds.firstIndex(where: { value <= $0 }) { counts[index] += 1 }
    }
}

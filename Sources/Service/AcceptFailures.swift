/// The control socket's failed `accept` calls: how long to back off, and when to say so. A process out of
/// descriptors fails accept after accept; the journal gets one warning when that starts (and one a minute while
/// it lasts) and one notice once accepts have worked for `quietPeriod`, not a line per attempt.
struct AcceptFailures {
    /// Failures since the last successful accept: drives the backoff.
    private(set) var consecutive = 0
    /// Failures since the warning was last logged or the trouble ended.
    private(set) var total = 0
    private var lastFailure: ContinuousClock.Instant?
    private var lastWarning: ContinuousClock.Instant?
    private(set) var shouldWarn = false

    static let quietPeriod: Duration = .seconds(10)
    static let warningInterval: Duration = .seconds(60)

    /// Records a failure at `now` and returns the delay before the next attempt: 10 ms, doubling up to 1 s.
    mutating func failed(at now: ContinuousClock.Instant) -> Duration {
        consecutive += 1
        total += 1
        lastFailure = now
        shouldWarn = lastWarning.map { now - $0 >= Self.warningInterval } ?? true
        if shouldWarn { lastWarning = now }
        return .milliseconds(min(10 << min(consecutive - 1, 7), 1000))
    }

    /// Records a success at `now`; returns the failures of the episode when it has ended (no failure for
    /// `quietPeriod`), else nil.
    mutating func succeeded(at now: ContinuousClock.Instant) -> Int? {
        consecutive = 0
        guard let lastFailure, now - lastFailure >= Self.quietPeriod else { return nil }
        defer {
            total = 0
            self.lastFailure = nil
            lastWarning = nil
        }
        return total
    }
}

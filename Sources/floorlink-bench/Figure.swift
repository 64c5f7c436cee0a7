/// One measured figure: how many operations ran in how long.
struct Figure {
    var name: String
    var unit: String
    var count: Int
    var elapsed: Duration

    var perSecond: Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(count) / seconds : 0
    }

    /// `name  rate unit  (count in time)`, aligned for a terminal.
    var line: String {
        let rate = Int(perSecond.rounded())
        let padded = name + String(repeating: " ", count: max(1, 24 - name.count))
        return "\(padded)\(rate) \(unit)  (\(count) in \(elapsed))"
    }
}

/// Runs `body` once and returns how long it took on the monotonic clock.
func measure(_ body: () -> Void) -> Duration {
    let clock = ContinuousClock()
    let start = clock.now
    body()
    return clock.now - start
}

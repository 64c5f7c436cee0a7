import Glibc

/// Collects publish-to-receive latencies (nanoseconds) on the subscriber side.
actor LatencyRecorder {
    private(set) var samples: [Int64] = []

    init(capacity: Int) {
        samples.reserveCapacity(capacity)
    }

    /// Records the latency of a payload that starts with the sender's monotonic timestamp in nanoseconds.
    func record(_ payload: [UInt8]) {
        let now = LatencyRecorder.monotonicNanoseconds()
        let digits = payload.prefix { $0 >= 0x30 && $0 <= 0x39 }
        if let sent = Int64(String(decoding: digits, as: UTF8.self)) { samples.append(now - sent) }
    }

    var count: Int { samples.count }

    /// The `fraction` percentile in microseconds.
    func percentile(_ fraction: Double) -> Double {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return 0 }
        let index = min(sorted.count - 1, Int(Double(sorted.count) * fraction))
        return Double(sorted[index]) / 1000
    }

    /// CLOCK_MONOTONIC in nanoseconds (sender and receiver share the process, so the clocks agree).
    static func monotonicNanoseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}

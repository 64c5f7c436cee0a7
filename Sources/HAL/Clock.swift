import Glibc

/// A point on a monotonic timeline: the time elapsed since the clock's origin.
///
/// Instants from different clocks are not comparable in meaning; compare only instants of one clock.
public struct ClockInstant: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Time since the clock's origin.
    public var sinceOrigin: Duration

    public init(sinceOrigin: Duration) {
        self.sinceOrigin = sinceOrigin
    }

    /// The origin of a clock's timeline.
    public static let zero = ClockInstant(sinceOrigin: .zero)

    public static func < (lhs: ClockInstant, rhs: ClockInstant) -> Bool {
        lhs.sinceOrigin < rhs.sinceOrigin
    }

    public static func + (lhs: ClockInstant, rhs: Duration) -> ClockInstant {
        ClockInstant(sinceOrigin: lhs.sinceOrigin + rhs)
    }

    public static func - (lhs: ClockInstant, rhs: Duration) -> ClockInstant {
        ClockInstant(sinceOrigin: lhs.sinceOrigin - rhs)
    }

    /// The duration from `rhs` to `lhs`.
    public static func - (lhs: ClockInstant, rhs: ClockInstant) -> Duration {
        lhs.sinceOrigin - rhs.sinceOrigin
    }

    public var description: String { "t+\(sinceOrigin)" }
}

/// The time seam: everything that waits or measures time asks a `Clock`, so that tests can drive
/// time by hand (`ManualClock` in HALSimulated) and never sleep.
public protocol Clock: Sendable {
    /// The current instant.
    var now: ClockInstant { get }

    /// Suspends until `deadline` has passed, or throws `CancellationError` if the task is cancelled.
    func sleep(until deadline: ClockInstant) async throws
}

extension Clock {
    /// Suspends for `duration` from now.
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now + duration)
    }
}

/// The real monotonic clock: `CLOCK_MONOTONIC`, the timeline the kernel stamps GPIO edge events on, so that
/// edge timestamps and `now` compare directly.
public struct SystemClock: Clock {
    public init() {}

    public var now: ClockInstant {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return ClockInstant(sinceOrigin: .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec))
    }

    public func sleep(until deadline: ClockInstant) async throws {
        let remaining = deadline - now
        if remaining > .zero {
            try await Task.sleep(for: remaining, clock: .suspending)
        } else {
            try Task.checkCancellation()
        }
    }
}

import HAL
import IOEngine

/// The monotonic clock whose sleeps wait on the I/O loop's timer: `now` is `CLOCK_MONOTONIC`, the timeline of
/// `SystemClock`, of the kernel's GPIO edge stamps and of the loop's I/O deadlines, so instants of all of them
/// compare. A sleep is one more deadline on the loop's `timerfd`: it needs no Dispatch timer (whose thread wakes
/// every second while any sleep is pending) and, for a task that runs on the loop, no other thread at all. The
/// daemon's clock; tests use `ManualClock`.
public struct LoopClock: Clock {
    private let loop: IOLoop

    /// A clock sleeping on `loop`.
    public init(loop: IOLoop) {
        self.loop = loop
    }

    public var now: ClockInstant {
        ClockInstant(sinceOrigin: IOLoop.now)
    }

    /// Returns once `deadline` has passed; throws `CancellationError` when the task is cancelled first.
    public func sleep(until deadline: ClockInstant) async throws {
        try Task.checkCancellation()
        guard deadline > now else { return }
        if await loop.sleep(until: deadline.sinceOrigin) == .cancelled { throw CancellationError() }
    }
}

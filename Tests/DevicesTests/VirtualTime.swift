import HAL
import HALSimulated

/// Runs `clock` forward in steps of at most `step` whenever something sleeps on it, until cancelled: virtual time
/// passes as fast as the code under test lets it, so a test of several loops (a bus, a bank, simulated boards) waits
/// for the events it expects instead of advancing the clock by hand. Nothing sleeps in real time.
///
/// A step never passes the earliest deadline, so every sleeper wakes at its exact time; `step` only bounds how far
/// time moves while a task that is not asleep yet may be about to sleep for less. Each step costs a few hops through
/// the global pool, which a sanitizer run of the whole suite makes slow: at 1 ms, a test covering 2 s of bus time
/// took 56 s under ASan (its limit is 60 s), so the default is 10 ms, below every poll interval, timeout and pulse
/// the bus tests use.
func runVirtualTime(_ clock: ManualClock, step: Duration = .milliseconds(10)) -> Task<Void, Never> {
    Task {
        while !Task.isCancelled {
            await clock.waitForSleepers(1)
            await Task.yield()
            let now = clock.now
            clock.advance(to: min(now + step, clock.nextDeadline ?? now + step))
        }
    }
}

import HAL
import HALSimulated

/// Runs `clock` forward in steps of at most `step` whenever something sleeps on it, until cancelled: virtual time
/// passes as fast as the code under test lets it, so a test of several loops (a bus, a bank, simulated boards) waits
/// for the events it expects instead of advancing the clock by hand. Nothing sleeps in real time.
func runVirtualTime(_ clock: ManualClock, step: Duration = .milliseconds(1)) -> Task<Void, Never> {
    Task {
        while !Task.isCancelled {
            await clock.waitForSleepers(1)
            await Task.yield()
            let now = clock.now
            clock.advance(to: min(now + step, clock.nextDeadline ?? now + step))
        }
    }
}

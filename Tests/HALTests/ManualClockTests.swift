import HAL
import HALSimulated
import Testing

@Suite("Manual clock")
struct ManualClockTests {
    @Test("a sleeper wakes when time reaches its deadline, not before")
    func sleeperWakesAtItsDeadline() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(until: .zero + .milliseconds(100)) }
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(99))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .milliseconds(1))
        try await sleeper.value
        #expect(clock.sleeperCount == 0)
    }

    @Test("waiting for sleepers ends when its task is cancelled, though nothing ever sleeps")
    func waitForSleepersIsCancellable() async {
        let clock = ManualClock()
        let waiter = Task { await clock.waitForSleepers(1) }
        waiter.cancel()
        // Before the fix this never returned: a cancelled driver of virtual time stayed suspended (and leaked).
        await waiter.value
        #expect(clock.sleeperCount == 0)
    }

    @Test("a cancelled sleeper throws CancellationError and leaves no sleeper behind")
    func cancelledSleeperThrows() async {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(until: .zero + .seconds(1)) }
        await clock.waitForSleepers(1)
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }
}

import HAL
import HALLinux
import IOEngine
import Testing

@Suite("LoopClock: the system clock's timeline, sleeping on the I/O loop")
struct LoopClockTests {
    @Test("its now is the monotonic clock SystemClock reads, and a sleep ends at its deadline, never before")
    func sleepsUntilTheDeadline() async throws {
        let clock = LoopClock(loop: try IOLoop.shared())
        let before = SystemClock().now
        let start = clock.now
        let after = SystemClock().now
        #expect(before <= start && start <= after)
        try await clock.sleep(until: start + .milliseconds(20))
        #expect(clock.now >= start + .milliseconds(20))
        try await clock.sleep(until: start)  // already past: returns at once
    }

    @Test("a cancelled sleep throws CancellationError", .timeLimit(.minutes(1)))
    func cancelled() async throws {
        let clock = LoopClock(loop: try IOLoop.shared())
        let sleeping = Task { try await clock.sleep(for: .seconds(3600)) }
        sleeping.cancel()
        await #expect(throws: CancellationError.self) { try await sleeping.value }
    }
}

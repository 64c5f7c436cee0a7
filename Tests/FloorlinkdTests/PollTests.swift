import Glibc
import TestSupport
import Testing

/// The tests' polling waits end when their task is cancelled, instead of spinning on a cooperative thread until
/// their deadline (with one CPU, the only one: every other test stalls behind it).
@Suite("polling waits under cancellation", .timeLimit(.minutes(1)))
struct PollTests {
    @Test("a pause returns true once its time has passed, and false at once in a cancelled task")
    func pause() async {
        #expect(await Poll.pause(.milliseconds(1)))
        let cancelled = Task { await Poll.pause(.seconds(3600)) }
        cancelled.cancel()
        #expect(await cancelled.value == false)
    }

    /// A ten-minute wait for a child that does not exit: cancelled, it returns nil at once. Spinning (or sleeping)
    /// through its timeout instead runs into the suite's one-minute limit.
    @Test("waiting for a child in a cancelled task returns at once, the child still running")
    func waitForExitWhenCancelled() async throws {
        let child = try ChildProcess("/bin/sleep", ["600"])
        defer { child.stop(signal: SIGKILL) }
        let wait = Task { await child.waitForExit(timeout: .seconds(600)) }
        wait.cancel()
        #expect(await wait.value == nil)
        #expect(child.isRunning)
    }
}

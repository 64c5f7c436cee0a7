import Events
import HAL
import HALSimulated
import Logging
import Service
import Testing

/// A device loop that ends by itself once (a locker bank whose state file could not be opened, at EMFILE) used to end
/// its supervisor at the next start, and with it the daemon (exit 1): the supervisor's wait for `device.reset` was an
/// `AsyncStream`, which a cancelled wait finishes for good.
@Suite("DeviceSupervisor", .timeLimit(.minutes(1)))
struct DeviceSupervisorTests {
    /// Counts the starts of a device loop and lets the test wait for the next one, or learn that the supervisor ended.
    actor Starts {
        private(set) var count = 0
        private var ended = false
        private var waiters: [CheckedContinuation<Void, Never>] = []

        func started() -> Int {
            count += 1
            wakeAll()
            return count
        }

        func supervisorEnded() {
            ended = true
            wakeAll()
        }

        /// True at start number `count`; false when the supervisor ended first.
        func wait(for count: Int) async -> Bool {
            while self.count < count && !ended {
                await withCheckedContinuation { waiters.append($0) }
            }
            return self.count >= count
        }

        private func wakeAll() {
            for waiter in waiters { waiter.resume() }
            waiters.removeAll()
        }
    }

    /// Records the events a supervisor emits.
    actor Events: EventSink {
        private(set) var emitted: [(EventType, String, JSONValue)] = []

        func emit(_ type: EventType, device: String, data: JSONValue) async -> Bool {
            emitted.append((type, device, data))
            return true
        }
    }

    struct LoopFailed: Error, CustomStringConvertible {
        var description: String { "the locker state file cannot be used: Too many open files" }
    }

    @Test("a loop that failed is started again after its backoff, and later resets still restart it")
    func restartsAfterAFailure() async throws {
        let clock = ManualClock()
        let starts = Starts()
        let events = Events()
        let supervisor = DeviceSupervisor(
            device: "lockers-A",
            events: events,
            clock: clock,
            logger: Logger(label: "lockers-A", handler: MemoryLogHandler())
        ) {
            // The first run fails at once; the later ones run until they are stopped.
            if await starts.started() == 1 { throw LoopFailed() }
            // Until cancelled: a stream nothing finishes (it ends when its continuation goes, so that is kept).
            let (forever, continuation) = AsyncStream<Void>.makeStream()
            for await _ in forever {}
            continuation.finish()
        }
        let running = Task {
            try? await supervisor.run()
            await starts.supervisorEnded()
        }

        // The failure: a fault, then the backoff on the supervisor's clock.
        await clock.waitForSleepers(1)
        let fault = try #require(await events.emitted.first)
        #expect(fault.0 == .deviceFault)
        #expect(fault.1 == "lockers-A")
        #expect(fault.2["reason"] == "device-failed")
        #expect(fault.2["detail"] == "the locker state file cannot be used: Too many open files")
        clock.advance(to: try #require(clock.nextDeadline))
        #expect(await starts.wait(for: 2), "the supervisor ended instead of restarting")

        // Still supervised: a reset stops the loop and starts it again, at once.
        supervisor.restart()
        #expect(await starts.wait(for: 3), "the supervisor ended instead of restarting")
        supervisor.restart()
        #expect(await starts.wait(for: 4), "the supervisor ended instead of restarting")
        #expect(await events.emitted.count == 1, "a reset is no fault")

        running.cancel()
        await running.value
        #expect(await starts.wait(for: 5) == false, "cancelled, the supervisor ends")
    }
}

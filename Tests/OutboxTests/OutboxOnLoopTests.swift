import Events
import IOEngine
import Testing

@testable import Outbox

/// The outbox as the daemon runs it: on the I/O loop, where a driver's task enqueues in place (no hop to the actor)
/// and each sync reports back through a closure on the loop instead of a task.
struct OutboxOnLoopTests {
    @Test(
        "on the loop, events enqueued in place and from other threads get contiguous seqs and are all stored",
        arguments: [FsyncPolicy.always, .groupCommit(maxDelay: .milliseconds(5))]
    )
    func enqueueOnTheLoop(policy: FsyncPolicy) async throws {
        typealias Enqueued = (event: Event, ticket: DurabilityTicket, onLoop: Bool)
        let loop = try IOLoop.shared()
        let directory = try TemporaryDirectory()
        let outbox = try await Outbox.open(
            directory: directory.path,
            site: OutboxFixture.site,
            controller: OutboxFixture.controller,
            uplinks: ["mqtt"],
            policy: policy,
            taskExecutor: loop
        )
        /// Enqueues `numbers` from the calling task; with each event, whether it ran on the loop's thread.
        @Sendable func enqueue(_ numbers: Range<Int>, device: String) async throws -> [Enqueued] {
            var enqueued: [Enqueued] = []
            for number in numbers {
                let (event, ticket) = try await outbox.enqueueFromLoop(
                    .scan,
                    device: device,
                    data: OutboxFixture.scanData(number)
                )
                enqueued.append((event, ticket, loop.isCurrentThread))
            }
            return enqueued
        }
        // Half from a task that prefers the loop (in place), half from a task off the loop (a hop as usual).
        let onLoop = Task(executorPreference: loop) { try await enqueue(0..<50, device: "scanner-1") }
        let offLoop = Task.detached { try await enqueue(50..<100, device: "scanner-2") }
        let all = try await onLoop.value + offLoop.value
        #expect(all.filter(\.onLoop).count == 50)
        for entry in all { try await entry.ticket.wait() }
        #expect(Set(all.map(\.event.seq)) == Set(1...100))
        let stored = try await OutboxFixture.readAll(outbox)
        #expect(stored.map(\.seq) == Array(1...100))
        #expect(Set(stored.map(\.id)) == Set(all.map(\.event.id)))
        await outbox.close()
    }
}

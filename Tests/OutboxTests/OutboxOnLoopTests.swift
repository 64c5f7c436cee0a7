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
        // Half from a task that prefers the loop (in place), half from tasks off the loop (a hop as usual).
        let onLoop = Task(executorPreference: loop) { () async throws -> [(Event, DurabilityTicket, Bool)] in
            var enqueued: [(Event, DurabilityTicket, Bool)] = []
            for number in 0..<50 {
                let (event, ticket) = try await outbox.enqueueFromLoop(
                    .scan,
                    device: "scanner-1",
                    data: OutboxFixture.scanData(number)
                )
                enqueued.append((event, ticket, loop.isCurrentThread))
            }
            return enqueued
        }
        let offLoop = Task.detached { () async throws -> [(Event, DurabilityTicket, Bool)] in
            var enqueued: [(Event, DurabilityTicket, Bool)] = []
            for number in 50..<100 {
                let (event, ticket) = try await outbox.enqueueFromLoop(
                    .scan,
                    device: "scanner-2",
                    data: OutboxFixture.scanData(number)
                )
                enqueued.append((event, ticket, loop.isCurrentThread))
            }
            return enqueued
        }
        let all = try await onLoop.value + offLoop.value
        #expect(all.filter(\.2).count == 50)
        for (_, ticket, _) in all { try await ticket.wait() }
        #expect(Set(all.map(\.0.seq)) == Set(1...100))
        let stored = try await OutboxFixture.readAll(outbox)
        #expect(stored.map(\.seq) == Array(1...100))
        #expect(Set(stored.map(\.id)) == Set(all.map(\.0.id)))
        await outbox.close()
    }
}

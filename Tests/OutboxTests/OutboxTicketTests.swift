import Events
import Glibc
import Testing

@testable import Outbox

/// `enqueue` takes its seq and writes at once and hands back a durability ticket: what was enqueued while a sync
/// ran shares the next one, readers see an event only once its ticket resolves, and a failed sync fails exactly
/// the tickets of the records it lost.
struct OutboxTicketTests {
    /// A group-commit window no test waits out: syncs happen only when the test asks (`waitUntilIdle`).
    static let heldPolicy = FsyncPolicy.groupCommit(maxDelay: .seconds(3600))

    @Test(
        "enqueued events get contiguous seqs at once and are read only once their ticket resolves",
        arguments: [1, 7]
    )
    func enqueuedEventsAreHiddenUntilDurable(count: Int) async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(directory.path, policy: Self.heldPolicy)
        var enqueued: [(event: Event, ticket: DurabilityTicket)] = []
        for number in 0..<count {
            enqueued.append(try await outbox.enqueue(.scan, device: "scanner-1", data: OutboxFixture.scanData(number)))
        }
        #expect(enqueued.map(\.event.seq) == Array(1...UInt64(count)))
        #expect(try await outbox.readEvents(after: 0, limit: 100, reportDamage: true).isEmpty)
        #expect(await outbox.status.lastSeq == 0)  // the last durable seq
        let syncsBefore = await outbox.syncCount

        await outbox.waitUntilIdle()
        for entry in enqueued { try await entry.ticket.wait() }
        #expect(await outbox.syncCount == syncsBefore + 1)
        #expect(await outbox.status.lastSeq == UInt64(count))
        #expect(try await OutboxFixture.readAll(outbox) == enqueued.map(\.event))
        await outbox.close()
    }

    @Test("a ticket waited on after it resolved, or twice, answers the same")
    func lateAndRepeatedWaits() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(directory.path)
        let (event, ticket) = try await outbox.enqueue(.scan, device: "scanner-1", data: OutboxFixture.scanData(1))
        try await ticket.wait()
        try await ticket.wait()
        #expect(try await OutboxFixture.readAll(outbox) == [event])
        await outbox.close()
    }

    @Test("a failed sync fails the tickets of the records it lost, whose seqs are reused; earlier ones stay good")
    func failedSyncFailsOnlyTheLostTickets() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(directory.path, policy: Self.heldPolicy)
        let kept = try await outbox.enqueue(.scan, device: "scanner-1", data: OutboxFixture.scanData(0))
        await outbox.waitUntilIdle()
        try await kept.ticket.wait()

        await outbox.injectFailures(sync: [EIO])
        let lost = [
            try await outbox.enqueue(.scan, device: "scanner-1", data: OutboxFixture.scanData(1)),
            try await outbox.enqueue(.scan, device: "scanner-1", data: OutboxFixture.scanData(2)),
        ]
        await outbox.waitUntilIdle()
        for entry in lost {
            await #expect(throws: OutboxError.self) { try await entry.ticket.wait() }
        }
        let next = try await outbox.enqueue(.scan, device: "scanner-1", data: OutboxFixture.scanData(3))
        await outbox.waitUntilIdle()
        try await next.ticket.wait()
        let stored = try await OutboxFixture.readAll(outbox)
        #expect(stored.map(\.type) == [.scan, .outboxFault, .scan])
        #expect(stored.first == kept.event)
        #expect(stored.last == next.event)
        #expect(stored[1].data["lostRecords"] == 2)
        #expect(!stored.contains(lost[0].event) && !stored.contains(lost[1].event))
        // Tail readers get the same from the in-memory window of recent durable events.
        #expect(try await outbox.events(after: 0, limit: 10) == stored)
        #expect(try await outbox.events(after: kept.event.seq, limit: 1) == [stored[1]])
        await outbox.close()
    }

    @Test("closing syncs what is enqueued and resolves every ticket")
    func closeResolvesTickets() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(directory.path, policy: Self.heldPolicy)
        let entry = try await outbox.enqueue(.scan, device: "scanner-1", data: OutboxFixture.scanData(1))
        await outbox.close()
        try await entry.ticket.wait()
        let reopened = try await OutboxFixture.open(directory.path)
        #expect(try await OutboxFixture.readAll(reopened) == [entry.event])
        await reopened.close()
    }
}

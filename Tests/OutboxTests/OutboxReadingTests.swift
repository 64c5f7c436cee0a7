import Events
import Testing

@testable import Outbox

/// Readers wait while caught up and are woken by the next durable append; cancellation ends the wait;
/// local subscribers get live events and can never stall appends.
struct OutboxReadingTests {
    @Test(arguments: [FsyncPolicy.always, .groupCommit(maxDelay: .milliseconds(5))])
    func caughtUpReaderIsWokenByTheNextAppend(policy: FsyncPolicy) async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(directory.path, policy: policy)
        let first = try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(0))
        let reader = Task { try await outbox.events(after: first.seq, limit: 10) }
        try await Task.sleep(for: .milliseconds(30))
        let second = try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(1))
        #expect(try await reader.value == [second])
        await outbox.close()
    }

    @Test(
        "stored events carry their record's JSON, the bytes the uplinks send: from the tail in memory and from disk",
        arguments: [false, true]
    )
    func storedEventsCarryTheirRecordsJSON(reopened: Bool) async throws {
        let directory = try TemporaryDirectory()
        var outbox = try await OutboxFixture.open(directory.path)
        var appended: [Event] = []
        for number in 0..<5 {
            let data: JSONValue = ["code": .string("\"quoted\" \\ café ✓ \(number)\u{1}"), "n": .int(Int64(number))]
            appended.append(try await outbox.append(.scan, device: "scanner-1", data: data))
        }
        if reopened {
            // Nothing in memory: read back from the segment file.
            await outbox.close()
            outbox = try await OutboxFixture.open(directory.path)
        }
        let stored = try await outbox.storedEvents(after: 1, limit: 10)
        #expect(stored.map(\.event) == Array(appended.dropFirst()))
        #expect(stored.map(\.json) == appended.dropFirst().map(\.jsonBytes))
        await outbox.close()
    }

    @Test func cancellationEndsTheWait() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(directory.path)
        let reader = Task { try await outbox.events(after: 0, limit: 10) }
        try await Task.sleep(for: .milliseconds(20))
        reader.cancel()
        await #expect(throws: CancellationError.self) { _ = try await reader.value }
        // An already-cancelled task does not wait at all.
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await outbox.events(after: 0, limit: 10)
        }
        await #expect(throws: CancellationError.self) { _ = try await cancelled.value }
        await outbox.close()
    }

    @Test func readsFromAnyPointUseTheIndexAcrossSegments() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(
            directory.path,
            policy: .groupCommit(maxDelay: .milliseconds(1)),
            segmentBytes: 200 << 10
        )
        let appended = try await withThrowingTaskGroup(of: Event.self) { group in
            for number in 0..<3000 {
                group.addTask {
                    try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number))
                }
            }
            var events: [Event] = []
            for try await event in group { events.append(event) }
            return events.sorted { $0.seq < $1.seq }
        }
        #expect(try OutboxFixture.segmentFiles(directory.path).count > 2)
        for after in [0, 1, 700, 1499, 2998] {
            let read = try await outbox.events(after: UInt64(after), limit: 50)
            #expect(read == Array(appended[after..<min(after + 50, 3000)]))
        }
        let checkpoints = await outbox.segments.map(\.checkpoints.count).reduce(0, +)
        #expect(checkpoints > 3)
        await outbox.close()
    }

    @Test func subscribersGetLiveEventsAndASlowOneNeverStallsAppends() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(directory.path, policy: .groupCommit(maxDelay: .milliseconds(1)))
        let live = await outbox.subscribe()
        let slow = await outbox.subscribe()
        let collector = Task {
            var received: [Event] = []
            for await event in live {
                received.append(event)
                if received.count == 3 { break }
            }
            return received
        }
        var appended: [Event] = []
        for number in 0..<3 {
            appended.append(try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number)))
        }
        #expect(await collector.value == appended)
        // Nobody reads `slow`: far more appends than its buffer still complete.
        let total = Outbox.subscriberBufferSize + 500
        try await withThrowingTaskGroup(of: Void.self) { group in
            for number in 0..<total {
                group.addTask {
                    _ = try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number))
                }
            }
            try await group.waitForAll()
        }
        await outbox.close()
        var buffered: [Event] = []
        for await event in slow { buffered.append(event) }
        #expect(buffered.count == Outbox.subscriberBufferSize)
        #expect(buffered.last?.seq == UInt64(total + 3))
    }
}

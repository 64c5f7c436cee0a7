import Events
import Glibc
import Testing

@testable import Outbox

/// Appending, reading back, seq continuity across restarts, the fsync policies and concurrent appenders.
struct OutboxAppendTests {
    static let policies: [FsyncPolicy] = [.always, .groupCommit(maxDelay: .milliseconds(2))]

    @Test(arguments: policies)
    func appendedEventsReadBackIdentically(policy: FsyncPolicy) async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(directory.path, policy: policy)
        var appended: [Event] = []
        for number in 0..<20 {
            appended.append(try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number)))
        }
        #expect(appended.map(\.seq) == Array(1...20))
        #expect(appended.allSatisfy { $0.site == "ams-1" && $0.controller == "dock-03" })
        #expect(Set(appended.map(\.id)).count == 20)
        #expect(try await outbox.events(after: 0, limit: 100) == appended)
        #expect(try await outbox.events(after: 15, limit: 3) == Array(appended[15..<18]))
        await outbox.close()
        let reopened = try await OutboxFixture.open(directory.path, policy: policy)
        #expect(try await OutboxFixture.readAll(reopened) == appended)
        await reopened.close()
    }

    /// (segment bytes, events before closing): one segment, many segments, and a roll that left the new
    /// active segment empty.
    @Test(arguments: [(8 << 20, 5), (1024, 25), (1024, 0)])
    func seqContinuesAcrossReopen(segmentBytes: Int, count: Int) async throws {
        let directory = try TemporaryDirectory()
        var outbox = try await OutboxFixture.open(directory.path, segmentBytes: segmentBytes)
        for number in 0..<count {
            _ = try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number))
        }
        await outbox.close()
        for round in 1...3 {
            outbox = try await OutboxFixture.open(directory.path, segmentBytes: segmentBytes)
            let event = try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(round))
            #expect(event.seq == UInt64(count + round))
            await outbox.close()
        }
        outbox = try await OutboxFixture.open(directory.path, segmentBytes: segmentBytes)
        #expect(try await OutboxFixture.readAll(outbox).map(\.seq) == Array(1...UInt64(count + 3)))
        await outbox.close()
    }

    @Test func seqContinuesFromAnEmptyActiveSegmentName() async throws {
        let directory = try TemporaryDirectory()
        let outboxPath = directory.path + "/outbox"
        _ = try FileSystem.makeDirectory(directory.path + "/outbox")
        try OutboxFixture.writeFile(outboxPath + "/" + Segment.fileName(firstSeq: 500), [])
        let outbox = try await OutboxFixture.open(directory.path)
        #expect(try await outbox.append(.scan, device: "scanner-1", data: [:]).seq == 500)
        await outbox.close()
    }

    @Test(arguments: policies)
    func concurrentAppendersGetUniqueContiguousSeqs(policy: FsyncPolicy) async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(directory.path, policy: policy, segmentBytes: 4096)
        let seqs = try await withThrowingTaskGroup(of: UInt64.self) { group in
            for number in 0..<100 {
                group.addTask {
                    try await outbox.append(
                        .scan,
                        device: "scanner-\(number % 4)",
                        data: OutboxFixture.scanData(number)
                    )
                    .seq
                }
            }
            var seqs: [UInt64] = []
            for try await seq in group { seqs.append(seq) }
            return seqs
        }
        #expect(seqs.sorted() == Array(1...100))
        let stored = try await OutboxFixture.readAll(outbox)
        #expect(stored.map(\.seq) == Array(1...100))
        await outbox.close()
    }

    @Test func alwaysSyncsEachAppendAndGroupCommitSharesSyncs() async throws {
        let directory = try TemporaryDirectory()
        let always = try await OutboxFixture.open(directory.path + "/always", policy: .always)
        for number in 0..<20 {
            let event = try await always.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number))
            #expect(await always.durableSeq >= event.seq)
        }
        #expect(await always.syncCount >= 20)
        // Each sync is timed once for the fsync latency histogram.
        #expect(await always.fsyncLatency.count >= 20)
        await always.close()

        let group = try await OutboxFixture.open(
            directory.path + "/group",
            policy: .groupCommit(maxDelay: .milliseconds(20))
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for number in 0..<32 {
                tasks.addTask {
                    let event = try await group.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number))
                    #expect(await group.durableSeq >= event.seq)
                }
            }
            try await tasks.waitForAll()
        }
        #expect(await group.syncCount < 8)
        await group.close()
        // Both are on disk: a reopen finds every event.
        for name in ["always", "group"] {
            let reopened = try await OutboxFixture.open(directory.path + "/" + name)
            #expect(try await OutboxFixture.readAll(reopened).count == (name == "always" ? 20 : 32))
            await reopened.close()
        }
    }

    @Test func secondOpenOfTheSameDirectoryIsRefused() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(directory.path)
        await #expect(throws: OutboxError.locked(path: directory.path + "/outbox/lock")) {
            _ = try await OutboxFixture.open(directory.path)
        }
        await outbox.close()
        let again = try await OutboxFixture.open(directory.path)
        await again.close()
    }

    @Test(arguments: [
        (["mqtt", "mqtt"], "uplinks"),
        (["../etc"], "uplink name"),
        ([""], "uplink name"),
    ])
    func badConfigurationIsRefused(uplinks: [String], mentions: String) async throws {
        let directory = try TemporaryDirectory()
        do {
            _ = try await OutboxFixture.open(directory.path, uplinks: uplinks)
            Issue.record("opened with uplinks \(uplinks)")
        } catch {
            #expect(String(describing: error).contains(mentions))
        }
    }

    @Test func appendAfterCloseThrows() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(directory.path)
        await outbox.close()
        await #expect(throws: OutboxError.closed(path: directory.path + "/outbox")) {
            _ = try await outbox.append(.scan, device: "scanner-1", data: [:])
        }
    }

    @Test(arguments: [
        (
            OutboxError.system(operation: "fdatasync", path: "/d/outbox/seg-1.log", errno: EIO),
            ["/d/outbox/seg-1.log", "fdatasync", "errno 5"]
        ),
        (OutboxError.full(usedBytes: 900, quotaBytes: 1000), ["900", "1000"]),
        (
            OutboxError.corruptCursor(path: "/d/outbox/cursor-mqtt", contents: "x"),
            ["/d/outbox/cursor-mqtt", "CRC32C"]
        ),
        (OutboxError.cursorBeyondEnd(uplink: "mqtt", seq: 9, lastSeq: 5), ["mqtt", "9", "5"]),
    ])
    func errorDescriptionsNameWhatAndWhere(error: OutboxError, mentions: [String]) {
        for text in mentions {
            #expect(error.description.contains(text))
        }
    }
}

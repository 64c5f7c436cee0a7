import Events
import Glibc
import Testing

@testable import Outbox

/// A failed sync or write is fatal for its segment: the append throws, appending continues in a new segment
/// that starts with an `outbox.fault` event, and the seqs stay contiguous.
struct OutboxFaultTests {
    /// (policy, failure injected: sync or write)
    @Test(arguments: [
        (FsyncPolicy.always, "sync"), (.groupCommit(maxDelay: .milliseconds(2)), "sync"), (.always, "write"),
    ])
    func failedSyncOrWriteAbandonsTheSegmentAndIsReported(policy: FsyncPolicy, failing: String) async throws {
        let directory = try TemporaryDirectory()
        var outbox = try await OutboxFixture.open(directory.path, policy: policy)
        var appended: [Event] = []
        for number in 0..<3 {
            appended.append(try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number)))
        }
        let firstSegment = directory.path + "/outbox/" + Segment.fileName(firstSeq: 1)
        if failing == "sync" {
            await outbox.injectFailures(sync: [EIO])
        } else {
            await outbox.injectFailures(write: [ENOSPC])
        }
        let expectedError = OutboxError.system(
            operation: failing == "sync" ? "fdatasync" : "write",
            path: firstSegment,
            errno: failing == "sync" ? EIO : ENOSPC
        )
        await #expect(throws: expectedError) {
            _ = try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(3))
        }
        appended.append(try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(4)))
        #expect(appended.map(\.seq) == [1, 2, 3, 5])
        #expect(
            try OutboxFixture.segmentFiles(directory.path) == [
                Segment.fileName(firstSeq: 1), Segment.fileName(firstSeq: 4),
            ]
        )
        let stored = try await OutboxFixture.readAll(outbox)
        #expect(stored.map(\.seq) == [1, 2, 3, 4, 5])
        let fault = stored[3]
        #expect(fault.type == .outboxFault)
        #expect(fault.data["reason"] == (failing == "sync" ? "fsync-failed" : "write-failed"))
        #expect(fault.data["errno"] == .int(Int64(failing == "sync" ? EIO : ENOSPC)))
        #expect(fault.data["segment"] == .string(Segment.fileName(firstSeq: 1)))
        try await expectMatchingSchemas([fault])
        await outbox.close()

        outbox = try await OutboxFixture.open(directory.path, policy: policy)
        #expect(try await OutboxFixture.readAll(outbox) == stored)
        #expect(try await outbox.append(.scan, device: "scanner-1", data: [:]).seq == 6)
        await outbox.close()
    }
}

extension Outbox {
    /// Makes the next data syncs or record writes fail with these errno values.
    func injectFailures(sync: [Int32] = [], write: [Int32] = []) {
        injectedSyncFailures += sync
        injectedWriteFailures += write
    }
}

import Events
import Testing

@testable import Outbox

/// The writer fills each segment with zeros ahead of its records (so a record's sync writes its data, not the
/// inode too). A power cut leaves those zeros in the file: recovery must read them as "nothing written", in the
/// last segment and in older ones, and appending must go on right after the last record.
struct OutboxPreallocationTests {
    /// The segment files of an open outbox, as a power cut at this instant would leave them (all synced).
    static func crashImage(of directory: String) throws -> [(name: String, bytes: [UInt8])] {
        try OutboxFixture.segmentFiles(directory).map { name in
            (name, try OutboxFixture.readFile(directory + "/outbox/" + name))
        }
    }

    /// Puts `files` into a fresh outbox directory (no cursor files: nothing acknowledged).
    static func restore(_ files: [(name: String, bytes: [UInt8])], in directory: String) throws {
        try OutboxSeqLimitTests.prepare(directory, files.map { ($0.name, $0.bytes) })
    }

    /// 1 and 5 events stay in the first zero-filled stretch, 400 (about 90 KiB) need a second one.
    @Test(arguments: [1, 5, 400])
    func powerCutWithZerosAheadLosesNothingAndAppendsAfterTheLastRecord(count: Int) async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(directory.path + "/live")
        var written: [Event] = []
        for number in 0..<count {
            written.append(try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number)))
        }
        let image = try Self.crashImage(of: directory.path + "/live")
        await outbox.close()
        let closed = try OutboxFixture.readFile(directory.path + "/live/outbox/" + Segment.fileName(firstSeq: 1))
        #expect(OutboxFixture.recordOffsets(closed).count == count, "a clean close leaves only the records")
        let onDisk = try #require(image.first?.bytes)
        #expect(onDisk.count > (onDisk.lastIndex { $0 != 0 } ?? 0) + 1, "the open segment holds zeros ahead")

        try Self.restore(image, in: directory.path + "/cut")
        let reopened = try await OutboxFixture.open(directory.path + "/cut")
        let status = await reopened.status
        #expect(status.droppedRecords == 0)
        #expect(status.lastSeq == UInt64(count))
        let next = try await reopened.append(.scan, device: "scanner-2", data: [:])
        #expect(next.seq == UInt64(count + 1))
        #expect(try await OutboxFixture.readAll(reopened) == written + [next], "no recovery report, nothing lost")
        await reopened.close()
        let bytes = try OutboxFixture.readFile(directory.path + "/cut/outbox/" + Segment.fileName(firstSeq: 1))
        #expect(OutboxFixture.recordOffsets(bytes).count == count + 1, "the next record follows the last one")

        let again = try await OutboxFixture.open(directory.path + "/cut")
        #expect(try await OutboxFixture.readAll(again) == written + [next])
        #expect(await again.status.droppedRecords == 0)
        await again.close()
    }

    @Test func olderSegmentsWithZerosAheadReadWithoutDamage() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(directory.path + "/live", segmentBytes: 4096)
        var written: [Event] = []
        for number in 0..<40 {
            written.append(try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number)))
        }
        await outbox.close()
        var files = try Self.crashImage(of: directory.path + "/live")
        #expect(files.count > 2)
        // A power cut before a retired segment's zeros were cut off leaves them there.
        for index in files.indices.dropLast() { files[index].bytes += [UInt8](repeating: 0, count: 1000) }
        try Self.restore(files, in: directory.path + "/cut")
        let reopened = try await OutboxFixture.open(directory.path + "/cut", segmentBytes: 4096)
        #expect(try await OutboxFixture.readAll(reopened) == written)
        let status = await reopened.status
        #expect(status.droppedRecords == 0)
        #expect(status.usedBytes == files.reduce(0) { $0 + $1.bytes.count } - 1000 * (files.count - 1))
        await reopened.close()
    }

    /// A record cut off by the power cut, with the zeros after it: dropped as a torn tail, and the next record
    /// takes its place.
    @Test(arguments: [1, 9, 40])
    func tornRecordInTheZerosIsDroppedAndOverwritten(keptBytesOfLastRecord: Int) async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(directory.path + "/live")
        var written: [Event] = []
        for number in 0..<3 {
            written.append(try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number)))
        }
        var image = try Self.crashImage(of: directory.path + "/live")
        await outbox.close()
        let end = try #require(image[0].bytes.lastIndex { $0 != 0 }) + 1
        let lastStart = try #require(OutboxFixture.recordOffsets(Array(image[0].bytes[..<end])).last)
        for index in (lastStart + keptBytesOfLastRecord)..<end { image[0].bytes[index] = 0 }
        try Self.restore(image, in: directory.path + "/cut")

        let reopened = try await OutboxFixture.open(directory.path + "/cut")
        let status = await reopened.status
        #expect(status.droppedRecords == 1)
        let next = try await reopened.append(.scan, device: "scanner-2", data: [:])
        let events = try await OutboxFixture.readAll(reopened)
        #expect(Array(events.prefix(2)) == Array(written.prefix(2)))
        #expect(events.dropFirst(2).first?.type == .outboxRecovered)
        #expect(events.dropFirst(2).first?.seq == 3)
        #expect(events.last == next)
        #expect(next.seq == 4)
        await reopened.close()

        let again = try await OutboxFixture.open(directory.path + "/cut")
        #expect(try await OutboxFixture.readAll(again) == events)
        #expect(await again.status.droppedRecords == 0, "nothing of the torn record is left behind the new ones")
        await again.close()
    }
}

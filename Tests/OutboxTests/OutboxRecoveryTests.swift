import Events
import Testing

@testable import Outbox

/// Recovery on open: a torn or corrupt last record is dropped, counted and reported; everything before it kept.
/// A corrupt record in the middle of an older segment is skipped, counted and reported when read.
struct OutboxRecoveryTests {
    /// Writes `count` events in one segment and returns them with the segment's path and bytes.
    static func writeEvents(
        _ count: Int,
        in directory: String
    ) async throws -> (
        events: [Event], path: String, bytes: [UInt8]
    ) {
        let outbox = try await OutboxFixture.open(directory)
        var events: [Event] = []
        for number in 0..<count {
            events.append(try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number)))
        }
        await outbox.close()
        let path = directory + "/outbox/" + Segment.fileName(firstSeq: 1)
        return (events, path, try OutboxFixture.readFile(path))
    }

    /// Puts `bytes` as the only segment of a fresh outbox directory, opens it and returns everything read back.
    static func reopen(
        with bytes: [UInt8],
        in directory: String
    ) async throws -> (
        events: [Event], status: OutboxStatus, next: Event
    ) {
        TemporaryDirectory.removeTree(directory)
        _ = try FileSystem.makeDirectory(directory)
        _ = try FileSystem.makeDirectory(directory + "/outbox")
        try OutboxFixture.writeFile(directory + "/outbox/" + Segment.fileName(firstSeq: 1), bytes)
        let outbox = try await OutboxFixture.open(directory)
        let status = await outbox.status
        let next = try await outbox.append(.scan, device: "scanner-2", data: [:])
        let events = try await OutboxFixture.readAll(outbox)
        await outbox.close()
        return (events, status, next)
    }

    @Test(arguments: [1, 4])
    func tornLastRecordAtEveryByteOffsetIsDropped(count: Int) async throws {
        let directory = try TemporaryDirectory()
        let (events, _, bytes) = try await Self.writeEvents(count, in: directory.path + "/original")
        let lastStart = try #require(OutboxFixture.recordOffsets(bytes).last)
        let kept = Array(events.dropLast())
        for cut in lastStart..<bytes.count {
            let reopened = try await Self.reopen(with: Array(bytes[..<cut]), in: directory.path + "/torn")
            // Zeros at a segment's end are what the writer fills ahead of its records (no record ends in one), so
            // a header cut after a zero byte has that many bytes fewer to drop, and a cut after only zeros none.
            let written = (bytes[lastStart..<cut].lastIndex { $0 != 0 } ?? lastStart - 1) + 1
            let torn = written > lastStart
            #expect(Array(reopened.events.prefix(kept.count)) == kept, "cut at \(cut)")
            #expect(reopened.status.droppedRecords == (torn ? 1 : 0), "cut at \(cut)")
            #expect(reopened.status.droppedBytes == written - lastStart, "cut at \(cut)")
            let report = reopened.events.dropFirst(kept.count).first
            if torn {
                #expect(report?.type == .outboxRecovered, "cut at \(cut)")
                #expect(report?.seq == UInt64(count), "cut at \(cut)")
                #expect(report?.data["droppedRecords"] == 1)
                #expect(report?.data["droppedBytes"] == .int(Int64(written - lastStart)))
                #expect(report?.data["reason"] == "torn-tail")
                #expect(reopened.next.seq == UInt64(count + 1))
            } else {
                #expect(report == reopened.next)
                #expect(reopened.next.seq == UInt64(count))
            }
        }
    }

    /// Byte positions inside the last record (header length, checksum, payload start/middle/end) and the bit flipped.
    @Test(arguments: [(0, 0x01), (3, 0x80), (4, 0x01), (7, 0x40), (8, 0x01), (60, 0x10), (-1, 0x01)])
    func flippedBitInLastRecordIsDropped(position: Int, bit: UInt8) async throws {
        let directory = try TemporaryDirectory()
        let (events, _, bytes) = try await Self.writeEvents(3, in: directory.path + "/original")
        let lastStart = try #require(OutboxFixture.recordOffsets(bytes).last)
        var damaged = bytes
        let index = position >= 0 ? lastStart + position : bytes.count + position
        damaged[index] ^= bit
        let reopened = try await Self.reopen(with: damaged, in: directory.path + "/flipped")
        #expect(Array(reopened.events.prefix(2)) == Array(events.prefix(2)))
        #expect(reopened.status.droppedRecords == 1)
        #expect(reopened.status.droppedBytes == bytes.count - lastStart)
        #expect(reopened.events[2].type == .outboxRecovered)
        #expect(reopened.events[2].seq == 3)
        #expect(reopened.events.count == 4)
    }

    @Test func corruptRecordInTheLastSegmentsMiddleIsSkippedAndLaterOnesKept() async throws {
        let directory = try TemporaryDirectory()
        let (events, _, bytes) = try await Self.writeEvents(5, in: directory.path + "/original")
        let offsets = OutboxFixture.recordOffsets(bytes)
        var damaged = bytes
        damaged[offsets[2] + 30] ^= 0x04
        let reopened = try await Self.reopen(with: damaged, in: directory.path + "/middle")
        #expect(Array(reopened.events.prefix(4)) == [events[0], events[1], events[3], events[4]])
        #expect(reopened.status.droppedRecords == 1)
        #expect(reopened.status.droppedBytes == offsets[3] - offsets[2])
        #expect(reopened.events[4].type == .outboxRecovered)
        #expect(reopened.events[4].data["reason"] == "corrupt-record")
        try await expectMatchingSchemas([reopened.events[4]])
        #expect(reopened.events[4].seq == 6)
    }

    /// Which record of the first (older) segment to damage, and how: a payload bit or a garbage length.
    @Test(arguments: [(1, 40), (0, 0), (2, 2)])
    func corruptRecordInAnOlderSegmentIsSkippedCountedAndReported(record: Int, position: Int) async throws {
        let directory = try TemporaryDirectory()
        var outbox = try await OutboxFixture.open(directory.path, segmentBytes: 1024)
        var events: [Event] = []
        for number in 0..<20 {
            events.append(try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number)))
        }
        await outbox.close()
        let first = directory.path + "/outbox/" + (try OutboxFixture.segmentFiles(directory.path)[0])
        var bytes = try OutboxFixture.readFile(first)
        let offsets = OutboxFixture.recordOffsets(bytes)
        bytes[offsets[record] + position] ^= position == 2 ? 0x7F : 0x01
        try OutboxFixture.writeFile(first, bytes)

        outbox = try await OutboxFixture.open(directory.path, segmentBytes: 1024)
        let stored = try await OutboxFixture.readAll(outbox)
        var expected = events
        expected.remove(at: record)
        #expect(Array(stored.prefix(19)) == expected)
        let status = await outbox.status
        #expect(status.droppedRecords == 1)
        let recordBytes = (record + 1 < offsets.count ? offsets[record + 1] : bytes.count) - offsets[record]
        #expect(status.droppedBytes == recordBytes)
        // Reported once, however often it is read past.
        _ = try await OutboxFixture.readAll(outbox)
        await outbox.waitUntilIdle()
        let reports = try await OutboxFixture.readAll(outbox).filter { $0.type == .outboxCorrupt }
        #expect(reports.count == 1)
        #expect(reports.first?.data["droppedRecords"] == 1)
        #expect(reports.first?.data["offset"] == .int(Int64(offsets[record])))
        try await expectMatchingSchemas(reports)
        await outbox.close()
    }
}

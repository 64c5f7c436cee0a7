import Events
import Testing

@testable import Outbox

/// The seq space ends at 2^63 - 1, the largest `seq` the JSON wire form reads back. Damaged segments, names and
/// cursors beyond it are refused as damage instead of trapping, hanging or writing an event whose `seq` is clamped.
/// Found by `Tests/Fuzz/FuzzOutbox` (the seed `Tests/Fuzz/corpus/FuzzOutbox/high-seqs`).
struct OutboxSeqLimitTests {
    static let maximum = UInt64(Int64.max)

    /// A valid record for an event with `seq`.
    static func record(seq: UInt64) -> [UInt8] {
        let event = Event(
            id: EventID(high: 0x0193_a1c2_0000_7000, low: 0x8000_0000_0000_0000 | seq & 0xFFFF),
            seq: seq,
            site: OutboxFixture.site,
            controller: OutboxFixture.controller,
            device: "scanner-1",
            type: .scan,
            time: EventTime(millisecondsSinceEpoch: 1_795_000_000_000),
            data: OutboxFixture.scanData(1)
        )
        return RecordFormat.encode(payload: Array(event.jsonText.utf8))
    }

    /// A fresh outbox directory holding `files` (name → bytes) in `<directory>/outbox`.
    static func prepare(_ directory: String, _ files: [(String, [UInt8])]) throws {
        _ = try FileSystem.makeDirectory(directory)
        _ = try FileSystem.makeDirectory(directory + "/outbox")
        for (name, bytes) in files { try OutboxFixture.writeFile(directory + "/outbox/" + name, bytes) }
    }

    @Test("records up to the last seq are read back; the next append is refused, not clamped or hung")
    func lastSeqIsReadAndAppendRefused() async throws {
        let directory = try TemporaryDirectory()
        let segment = Self.record(seq: Self.maximum - 1) + Self.record(seq: Self.maximum)
        try Self.prepare(directory.path, [(Segment.fileName(firstSeq: Self.maximum - 1), segment)])
        let outbox = try await OutboxFixture.open(directory.path)
        #expect(await outbox.status.lastSeq == Self.maximum)
        let events = try await OutboxFixture.readAll(outbox)
        #expect(events.map(\.seq) == [Self.maximum - 1, Self.maximum])
        await #expect(throws: OutboxError.seqExhausted(lastSeq: Self.maximum)) {
            try await outbox.append(.scan, device: "scanner-1", data: [:])
        }
        await outbox.close()
    }

    @Test(
        "a checksummed record whose seq is past the limit is damage",
        arguments: ["9223372036854775808", "18446744073709551615", "18446744073709551619", "99999999999999999999"]
    )
    func seqPastTheLimitIsDamage(digits: String) async throws {
        let directory = try TemporaryDirectory()
        let good = Self.record(seq: 1)
        let huge = RecordFormat.encode(payload: Array(#"{"v":1,"seq":\#(digits),"site":"ams-1"}"#.utf8))
        try Self.prepare(directory.path, [(Segment.fileName(firstSeq: 1), good + huge)])
        let outbox = try await OutboxFixture.open(directory.path)
        let status = await outbox.status
        #expect(status.droppedRecords == 1)
        #expect(status.droppedBytes == huge.count)
        let next = try await outbox.append(.scan, device: "scanner-1", data: [:])
        #expect(next.seq == 3)  // 2 is the outbox.recovered report of the damaged record.
        await outbox.close()
    }

    @Test("a cursor file past the limit is a corrupt cursor, recovered from the oldest record")
    func cursorPastTheLimitIsCorrupt() async throws {
        let directory = try TemporaryDirectory()
        try Self.prepare(
            directory.path,
            [
                ("cursor-mqtt", Array("18446744073709551615\n".utf8)),
                (Segment.fileName(firstSeq: 1), Self.record(seq: 1)),
            ]
        )
        let outbox = try await OutboxFixture.open(directory.path)
        #expect(try await outbox.cursor(for: "mqtt") == 0)
        let next = try await outbox.append(.scan, device: "scanner-1", data: [:])
        #expect(next.seq == 3)  // 2 is the outbox.recovered report of the corrupt cursor.
        await outbox.close()
    }

    @Test("a segment named past the limit is not a segment")
    func segmentNamedPastTheLimitIsIgnored() async throws {
        let directory = try TemporaryDirectory()
        try Self.prepare(directory.path, [("seg-18446744073709551615.log", Self.record(seq: 5))])
        #expect(Segment.firstSeq(fromFileName: "seg-18446744073709551615.log") == nil)
        #expect(Segment.firstSeq(fromFileName: "seg-09223372036854775807.log") == Self.maximum)
        let outbox = try await OutboxFixture.open(directory.path)
        let event = try await outbox.append(.scan, device: "scanner-1", data: [:])
        #expect(event.seq == 1)
        await outbox.close()
    }
}

/// A record whose seq is below its segment's first seq, or not after the previous record's, is damage: recovery
/// used to count on from it, so later appends went where `readEvents` never looks (stored, never delivered).
/// Found by `Tests/Fuzz/FuzzOutbox`.
struct OutboxSeqOrderTests {
    @Test(
        "an out-of-order last record is dropped and the next append reads back",
        arguments: [[100, 5], [100, 101, 101], [100, 102, 101]]
    )
    func outOfOrderRecordIsDamage(seqs: [UInt64]) async throws {
        let directory = try TemporaryDirectory()
        let segment = seqs.flatMap { OutboxSeqLimitTests.record(seq: $0) }
        try OutboxSeqLimitTests.prepare(directory.path, [(Segment.fileName(firstSeq: 100), segment)])
        let outbox = try await OutboxFixture.open(directory.path)
        let status = await outbox.status
        #expect(status.droppedRecords == 1)
        let appended = try await outbox.append(.scan, device: "scanner-1", data: [:])
        #expect(appended.seq > status.lastSeq)  // after the outbox.recovered report of the dropped record
        let events = try await OutboxFixture.readAll(outbox)
        // Reading past the out-of-order record reports it (`outbox.corrupt`, written as it is found): whether that
        // report is durable by the end of `readAll` is a race, so look at the last event of a device.
        #expect(events.last { $0.device != Outbox.reportDevice } == appended)
        #expect(events.map(\.seq) == events.map(\.seq).sorted())
        await outbox.close()
    }

    /// Reading applies recovery's rule: an older segment is read as it is found (recovery scans only the last),
    /// and a reader that handed out seq 101 after 102 moved a cursor backwards. Found by `Tests/Fuzz/FuzzOutbox`
    /// (`seq 8446744073709551614 read after 9223372036854775806`).
    @Test(
        "events are read in ascending seq order whatever order checksummed records have in a segment",
        arguments: [[100, 5], [100, 102, 101], [100, 101, 101, 103], [105, 100, 106]]
    )
    func outOfOrderRecordsAreNeverRead(seqs: [UInt64]) async throws {
        let directory = try TemporaryDirectory()
        let older = seqs.flatMap { OutboxSeqLimitTests.record(seq: $0) }
        try OutboxSeqLimitTests.prepare(
            directory.path,
            [
                (Segment.fileName(firstSeq: 100), older),
                (Segment.fileName(firstSeq: 200), OutboxSeqLimitTests.record(seq: 200)),
            ]
        )
        let outbox = try await OutboxFixture.open(directory.path)
        let events = try await OutboxFixture.readAll(outbox).filter { $0.type == .scan }
        await outbox.close()
        var expected: [UInt64] = []
        for seq in seqs where seq >= 100 && seq > (expected.last ?? 0) { expected.append(seq) }
        #expect(events.map(\.seq) == expected + [200])
    }

    /// A record filed under one seq (the first `"seq":` member, which recovery reads without parsing) whose event
    /// says another (here a nested `"seq":101` ahead of the event's own 5) is damage: it is counted, and never
    /// read as an event out of order.
    @Test("a record whose decoded seq differs from the seq it was filed under is damage")
    func recordFiledUnderAnotherSeqIsDamage() async throws {
        let directory = try TemporaryDirectory()
        let payload = String(decoding: OutboxSeqLimitTests.record(seq: 5).dropFirst(8), as: UTF8.self)
        try #require(payload.hasPrefix(#"{"v":1,"#))
        let forged = Array((#"{"v":1,"x":{"seq":101},"# + payload.dropFirst(7)).utf8)
        let segment =
            OutboxSeqLimitTests.record(seq: 100) + RecordFormat.encode(payload: forged)
            + OutboxSeqLimitTests.record(seq: 102)
        try OutboxSeqLimitTests.prepare(
            directory.path,
            [
                (Segment.fileName(firstSeq: 100), segment),
                (Segment.fileName(firstSeq: 200), OutboxSeqLimitTests.record(seq: 200)),
            ]
        )
        let outbox = try await OutboxFixture.open(directory.path)
        let events = try await OutboxFixture.readAll(outbox)
        let status = await outbox.status
        await outbox.close()
        #expect(events.filter { $0.type == .scan }.map(\.seq) == [100, 102, 200])
        #expect(status.droppedRecords == 1)
    }
}

/// The records lost in a damaged range are estimated from the seq gap around it, which damage can make close to
/// 2^63; adding one more damaged range (at recovery, or the same range again when read) overflowed
/// `droppedRecords` (a trap). Found by `Tests/Fuzz/FuzzOutbox`.
struct OutboxDroppedCountTests {
    @Test(
        "a seq gap of nearly 2^63 around damage saturates the dropped count instead of trapping",
        arguments: [false, true]
    )
    func hugeGapSaturates(damagedTail: Bool) async throws {
        let directory = try TemporaryDirectory()
        let damaged = RecordFormat.encode(payload: Array(#"{"v":1,"seq":"two"}"#.utf8))
        let segment =
            OutboxSeqLimitTests.record(seq: 1) + damaged + OutboxSeqLimitTests.record(seq: UInt64(Int64.max) - 1)
            + (damagedTail ? damaged : [])
        try OutboxSeqLimitTests.prepare(directory.path, [(Segment.fileName(firstSeq: 1), segment)])
        let outbox = try await OutboxFixture.open(directory.path)
        // The gap 1 → 2^63 - 2 around the middle damage counts 2^63 - 4 lost records; a damaged tail one more.
        #expect(await outbox.status.droppedRecords == Int.max - (damagedTail ? 2 : 3))
        let events = try await OutboxFixture.readAll(outbox)
        #expect(events.map(\.seq).prefix(2) == [1, UInt64(Int64.max) - 1])
        #expect(await outbox.status.droppedRecords == Int.max)
        await outbox.close()
    }
}

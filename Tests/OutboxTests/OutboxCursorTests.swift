import Events
import Testing

@testable import Outbox

/// Per-uplink cursors: persisted atomically, and segments removed only when every uplink is past them.
struct OutboxCursorTests {
    @Test func cursorsPersistAcrossReopen() async throws {
        let directory = try TemporaryDirectory()
        var outbox = try await OutboxFixture.open(directory.path, uplinks: ["mqtt", "webhook"])
        for number in 0..<10 {
            _ = try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number))
        }
        #expect(try await outbox.cursor(for: "mqtt") == 0)
        try await outbox.acknowledge("mqtt", through: 7)
        try await outbox.acknowledge("webhook", through: 3)
        try await outbox.acknowledge("mqtt", through: 5)
        #expect(try await outbox.cursor(for: "mqtt") == 7)
        await #expect(throws: OutboxError.unknownUplink("sms")) { try await outbox.acknowledge("sms", through: 1) }
        await #expect(throws: OutboxError.cursorBeyondEnd(uplink: "mqtt", seq: 11, lastSeq: 10)) {
            try await outbox.acknowledge("mqtt", through: 11)
        }
        await outbox.close()
        let cursorBytes = try OutboxFixture.readFile(directory.path + "/outbox/cursor-mqtt")
        #expect(cursorBytes.count == CursorFile.fileBytes)
        #expect(CursorFile.decode(cursorBytes)?.seq == 7)

        outbox = try await OutboxFixture.open(directory.path, uplinks: ["mqtt", "webhook"])
        #expect(try await outbox.cursor(for: "mqtt") == 7)
        #expect(try await outbox.cursor(for: "webhook") == 3)
        let status = await outbox.status
        #expect(status.depth == 7)
        #expect(status.cursors == ["mqtt": 7, "webhook": 3])
        #expect(status.oldestUndeliveredTime != nil)
        #expect(status.lastSeq == 10)
        await outbox.close()
    }

    /// A steady flow of acknowledgements writes each cursor file once per `cursorStoreInterval`, not once per
    /// event: the first is written at once, the next ones within the interval, and `close` writes the last.
    @Test("acknowledgements within the store interval share one cursor write, made within the interval")
    func cursorWritesAreCoalesced() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(directory.path, uplinks: ["mqtt"])
        for number in 0..<10 {
            _ = try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number))
        }
        let path = directory.path + "/outbox/cursor-mqtt"
        func stored() -> UInt64? { (try? OutboxFixture.readFile(path)).flatMap(CursorFile.decode)?.seq }
        try await outbox.acknowledge("mqtt", through: 1)
        #expect(stored() == 1)
        for seq in 2...6 { try await outbox.acknowledge("mqtt", through: UInt64(seq)) }
        #expect(try await outbox.cursor(for: "mqtt") == 6)
        #expect(await outbox.status.depth == 4)
        // Written by the timer, with no further acknowledgement to prompt it.
        let deadline = ContinuousClock.now + .seconds(30)
        while stored() != 6 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(stored() == 6)

        try await outbox.acknowledge("mqtt", through: 9)
        await outbox.close()
        #expect(stored() == 9)
    }

    /// A damaged cursor file (a power cut on a filesystem without ordered metadata, a stray edit) used to stop the
    /// daemon from starting; now that uplink restarts from the oldest record still held, the others keep theirs,
    /// and an `outbox.recovered` event says so.
    @Test(
        "a corrupt or empty cursor file restarts its uplink from the oldest retained record",
        arguments: ["12x\n", "", "\n", " 7\n", "18446744073709551615\n", "\u{0}\u{0}\u{0}\u{0}"]
    )
    func corruptCursorFileIsRecovered(contents: String) async throws {
        let directory = try TemporaryDirectory()
        var outbox = try await OutboxFixture.open(directory.path, uplinks: ["mqtt", "webhook"], segmentBytes: 1024)
        for number in 0..<40 {
            _ = try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number))
        }
        try await outbox.acknowledge("mqtt", through: 30)
        try await outbox.acknowledge("webhook", through: 25)
        await outbox.close()
        let oldest = try #require(OutboxFixture.segmentFiles(directory.path).first.flatMap(Segment.firstSeq))
        #expect(oldest > 1, "the test needs delivered segments removed")
        let path = directory.path + "/outbox/cursor-mqtt"
        try OutboxFixture.writeFile(path, Array(contents.utf8))

        outbox = try await OutboxFixture.open(directory.path, uplinks: ["mqtt", "webhook"], segmentBytes: 1024)
        #expect(try await outbox.cursor(for: "mqtt") == oldest - 1)
        #expect(try await outbox.cursor(for: "webhook") == 25)
        await outbox.waitUntilIdle()
        let events = try await OutboxFixture.readAll(outbox)
        #expect(events.first?.seq == oldest)
        #expect(events.filter { $0.type == .scan }.count == 40 - Int(oldest) + 1)
        let report = try #require(events.last { $0.type == .outboxRecovered })
        #expect(report.data["reason"]?.stringValue == "corrupt-cursor")
        #expect(report.data["uplink"]?.stringValue == "mqtt")
        #expect(report.data["restartAfter"] == .int(Int64(oldest - 1)))
        #expect(report.data["detail"]?.stringValue?.contains(path) == true)
        try await expectMatchingSchemas([report])
        // Repaired on disk at once: the next start neither fails nor reports it again.
        let repaired = try OutboxFixture.readFile(path)
        #expect(CursorFile.decode(repaired) == CursorFile.Contents(seq: oldest - 1, line: 0))
        await outbox.close()
        outbox = try await OutboxFixture.open(directory.path, uplinks: ["mqtt", "webhook"], segmentBytes: 1024)
        await outbox.waitUntilIdle()
        let again = try await OutboxFixture.readAll(outbox)
        #expect(again.filter { $0.type == .outboxRecovered }.count == 1)
        await outbox.close()
    }

    /// After the first store creates the file, each store writes the other line in place: the file keeps its
    /// 60 bytes, and a store cut short by a power cut leaves the line before it to restart from.
    @Test("stores alternate lines in place; a torn one restarts from the store before it")
    func storesAlternateLinesInPlace() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/outbox/cursor-mqtt"
        var outbox = try await OutboxFixture.open(directory.path, uplinks: ["mqtt"])
        for number in 0..<10 {
            _ = try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number))
        }
        var lines: [[UInt8]] = []
        for seq in [3, 5, 8] as [UInt64] {
            try await outbox.storeCursorForTest("mqtt", through: seq)
            let bytes = try OutboxFixture.readFile(path)
            #expect(bytes.count == CursorFile.fileBytes)
            #expect(CursorFile.decode(bytes)?.seq == seq)
            lines = [Array(bytes.prefix(CursorFile.lineBytes)), Array(bytes.suffix(CursorFile.lineBytes))]
        }
        // Created with 3 on both lines, then 5 on line 0 and 8 on line 1.
        #expect(lines == [CursorFile.line(5), CursorFile.line(8)])
        await outbox.close()

        // A power cut while 9 was being written over line 0: half a line of it.
        try OutboxFixture.writeFile(
            path,
            Array(CursorFile.line(9).prefix(12) + CursorFile.line(5).dropFirst(12)) + lines[1]
        )
        outbox = try await OutboxFixture.open(directory.path, uplinks: ["mqtt"])
        #expect(try await outbox.cursor(for: "mqtt") == 8)
        // Line 1 holds the cursor read, so the next store goes to the torn line 0.
        try await outbox.storeCursorForTest("mqtt", through: 10)
        #expect(Array(try OutboxFixture.readFile(path)) == CursorFile.line(10) + CursorFile.line(8))
        await outbox.close()
    }

    @Test("a cursor file of an earlier version is read, then replaced by the two-line format")
    func earlierFormatIsReplaced() async throws {
        let directory = try TemporaryDirectory()
        var outbox = try await OutboxFixture.open(directory.path, uplinks: ["mqtt"])
        for number in 0..<10 {
            _ = try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number))
        }
        await outbox.close()
        let path = directory.path + "/outbox/cursor-mqtt"
        try OutboxFixture.writeFile(path, Array("4\n".utf8))
        outbox = try await OutboxFixture.open(directory.path, uplinks: ["mqtt"])
        #expect(try await outbox.cursor(for: "mqtt") == 4)
        try await outbox.storeCursorForTest("mqtt", through: 6)
        #expect(try OutboxFixture.readFile(path) == CursorFile.file(6))
        await outbox.close()
    }

    /// (mqtt cursor, webhook cursor) after 40 events in ~1 KiB segments.
    @Test(arguments: [(0, 0), (40, 0), (40, 10), (10, 40), (25, 30), (40, 40)])
    func segmentsAreRemovedOnlyWhenEveryUplinkIsPast(mqtt: UInt64, webhook: UInt64) async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(directory.path, uplinks: ["mqtt", "webhook"], segmentBytes: 1024)
        for number in 0..<40 {
            _ = try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number))
        }
        let before = try OutboxFixture.segmentFiles(directory.path)
        #expect(before.count > 5)
        try await outbox.acknowledge("mqtt", through: mqtt)
        try await outbox.acknowledge("webhook", through: webhook)
        let slowest = min(mqtt, webhook)
        let after = try OutboxFixture.segmentFiles(directory.path)
        let firstSeqs = after.compactMap(Segment.firstSeq(fromFileName:))
        // Every segment still there holds something the slowest uplink has not acknowledged, or is the active one.
        for (index, firstSeq) in firstSeqs.enumerated().dropLast() {
            #expect(firstSeqs[index + 1] - 1 > slowest, "segment from \(firstSeq) should have been removed")
        }
        // Nothing the slowest uplink still needs was removed.
        #expect(firstSeqs.first ?? .max <= slowest + 1)
        #expect(after == Array(before.suffix(after.count)))
        let remaining = try await outbox.readEvents(after: slowest, limit: 100, reportDamage: false)
        #expect(remaining.map(\.seq) == Array((slowest + 1)..<41))
        await outbox.close()
    }
}

extension Outbox {
    /// Acknowledges through `seq` and stores the cursor files now, whatever the store interval says.
    func storeCursorForTest(_ uplink: String, through seq: UInt64) async throws {
        try await acknowledge(uplink, through: seq)
        try await storeCursors()
    }
}

import Events
import Testing

@testable import Outbox

/// The disk quota: alarms at 80 % and 95 % once per upward crossing, `full` thrown loudly, nothing lost.
struct OutboxQuotaTests {
    static let quotaBytes = 40 << 10
    static let segmentBytes = 4 << 10

    /// Appends until `full`; returns the events that were appended.
    static func fill(_ outbox: Outbox, from number: Int) async throws -> [Event] {
        var appended: [Event] = []
        for offset in 0..<10_000 {
            // A switch inside a plain catch: a `catch OutboxError.full(…)` pattern crashes Swift 6.0.3's SIL verifier.
            do throws(OutboxError) {
                appended.append(
                    try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number + offset))
                )
            } catch {
                guard case .full(let used, let quota) = error else { throw error }
                #expect(quota == quotaBytes)
                #expect(used > quotaBytes * 95 / 100)
                #expect(used <= quotaBytes)
                await outbox.waitUntilIdle()
                return appended
            }
        }
        Issue.record("never full")
        return appended
    }

    @Test func alarmsOnceEachThenFullThenRoomAfterDelivery() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(
            directory.path,
            segmentBytes: Self.segmentBytes,
            quotaBytes: Self.quotaBytes
        )
        let appended = try await Self.fill(outbox, from: 0)
        // Still full: throws again, without a second full alarm.
        await #expect(throws: OutboxError.self) { _ = try await outbox.append(.scan, device: "scanner-1", data: [:]) }
        var stored = try await OutboxFixture.readAll(outbox)
        let scans = stored.filter { $0.type == .scan }
        #expect(scans == appended)
        #expect(stored.map(\.seq) == Array(1...UInt64(stored.count)))
        var alarms = stored.filter { $0.type == .outboxQuota }
        #expect(alarms.map { $0.data["level"] } == ["warning", "critical", "full"])
        #expect((alarms[0].data["percent"]?.intValue ?? 0) >= 80)
        #expect((alarms[1].data["percent"]?.intValue ?? 0) >= 95)
        #expect(alarms[0].data["quotaBytes"] == .int(Int64(Self.quotaBytes)))
        try await expectMatchingSchemas(alarms)
        let status = await outbox.status
        #expect(status.usedBytes <= Self.quotaBytes)
        #expect(status.depth == UInt64(stored.count))

        // Delivery frees whole segments; the alarms re-arm and fire once more on the way up.
        try await outbox.acknowledge("mqtt", through: status.lastSeq)
        #expect(await outbox.status.usedBytes < Self.quotaBytes / 2)
        let more = try await Self.fill(outbox, from: 1000)
        #expect(!more.isEmpty)
        stored = try await OutboxFixture.readAll(outbox)
        alarms = stored.filter { $0.type == .outboxQuota && $0.seq > status.lastSeq }
        #expect(alarms.map { $0.data["level"] } == ["warning", "critical", "full"])
        await outbox.close()
    }

    @Test func withoutUplinksTheOldestSegmentsMakeRoom() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try await OutboxFixture.open(
            directory.path,
            uplinks: [],
            segmentBytes: Self.segmentBytes,
            quotaBytes: Self.quotaBytes
        )
        var last: UInt64 = 0
        for number in 0..<600 {
            last = try await outbox.append(.scan, device: "scanner-1", data: OutboxFixture.scanData(number)).seq
        }
        let status = await outbox.status
        #expect(status.usedBytes <= Self.quotaBytes)
        #expect(status.evictedSegments > 0)
        #expect(status.depth == 0)
        let stored = try await OutboxFixture.readAll(outbox)
        #expect(stored.last?.seq == last)
        #expect(stored.map(\.seq) == Array((stored.first?.seq ?? 1)...last))
        await outbox.close()
    }
}

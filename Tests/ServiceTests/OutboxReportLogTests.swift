import Events
import Foundation
import Outbox
import TestSupport
import Testing

@testable import Service

/// The outbox's own events reach the journal at their severity: they were stored but never logged, so a disk
/// filling up or a recovered crash went unseen by anyone reading `journalctl`.
@Suite("Outbox reports in the log")
struct OutboxReportLogTests {
    @Test("quota alarms, recovery and damage are logged at warning or error")
    func reportsAreLogged() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orl-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/outbox", withIntermediateDirectories: true)
        // A damaged cursor file: recovered (outbox.recovered) instead of stopping start-up.
        try TestFile.write("garbage", to: directory + "/outbox/cursor-mqtt")
        let logs = MemoryLogHandler()
        let logger = Logger(label: "outbox", level: .debug, handler: logs)
        let quota = 256 << 10
        let outbox = try await Outbox.open(
            directory: directory,
            site: "ams-1",
            controller: "dock-03",
            uplinks: ["mqtt"],
            policy: .always,
            segmentBytes: 64 << 10,
            quotaBytes: quota,
            reportObserver: OutboxReportLog(logger: logger).record
        )
        let big = JSONValue.string(String(repeating: "x", count: 6_000))
        var refused = false
        for _ in 0..<1_000 where !refused {
            do { _ = try await outbox.append(.scan, device: "scanner-1", data: ["text": big]) } catch { refused = true }
        }
        await outbox.close()
        #expect(refused)
        let lines = logs.entries.map { "\($0.level) \($0.message) level=\($0.metadata["level"] ?? "-")" }
        #expect(lines.contains("warning outbox recovered from damage level=-"), "\(lines)")
        #expect(lines.contains("warning outbox quota warning level=warning"), "\(lines)")
        #expect(lines.contains("error outbox quota critical level=critical"), "\(lines)")
        #expect(lines.contains("error outbox full: events are refused level=full"), "\(lines)")
        let recovered = try #require(logs.entries.first { $0.message == "outbox recovered from damage" })
        #expect(recovered.metadata["reason"] == "corrupt-cursor")
        #expect(recovered.metadata["uplink"] == "mqtt")
    }
}

import Devices
import Events
import Foundation
import HAL
import HALSimulated
import Outbox
import Service
import Testing

/// The event hub in front of a real outbox: what a driver is told when the outbox cannot store an event.
@Suite("Event hub")
struct EventHubTests {
    static let quotaBytes = 40 << 10

    /// An outbox in a fresh directory with a small quota, filled with scans until it refuses them.
    static func fullOutbox() async throws -> (outbox: Outbox, directory: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fl-hub-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let outbox = try await Outbox.open(
            directory: directory,
            site: "ams-1",
            controller: "dock-03",
            uplinks: ["mqtt"],
            policy: .always,
            segmentBytes: 4 << 10,
            quotaBytes: quotaBytes
        )
        for number in 0..<10_000 {
            // `try?` rather than `catch OutboxError.full`: Swift 6.0.3's SIL verifier crashes on that pattern. The
            // callers check that what follows is refused as full.
            if (try? await outbox.append(.scan, device: "filler", data: ["text": .string("LOT-\(number)")])) == nil {
                return (outbox, directory)
            }
        }
        Issue.record("the outbox never reported full")
        return (outbox, directory)
    }

    @Test("emit reports whether the outbox stored the event, and counts and logs each refusal")
    func emitReportsRefusal() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fl-hub-\(UUID().uuidString.prefix(8))"
        ).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let roomy = try await Outbox.open(directory: directory, site: "ams-1", controller: "dock-03", uplinks: [])
        let roomyLog = MemoryLogHandler()
        let roomyHub = EventHub(outbox: roomy, logger: Logger(label: "hub", handler: roomyLog))
        #expect(await roomyHub.emit(.scan, device: "scanner-1", data: ["text": "]C0OK"]))
        #expect(roomyHub.refusedCount == 0)
        await roomy.close()

        let (outbox, fullDirectory) = try await Self.fullOutbox()
        defer { try? FileManager.default.removeItem(atPath: fullDirectory) }
        let log = MemoryLogHandler()
        let hub = EventHub(outbox: outbox, logger: Logger(label: "hub", handler: log))
        #expect(await hub.emit(.scan, device: "scanner-1", data: ["text": "]C0LOST"]) == false)
        #expect(hub.refusedCount == 1)
        #expect(log.entries.contains { $0.level == .error && $0.metadata["type"] == "scan" })
        await outbox.close()
    }

    @Test("submit returns once the event is written, before its sync; its receipt answers once it is durable")
    func submitReturnsBeforeTheSync() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fl-hub-\(UUID().uuidString.prefix(8))"
        ).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A group-commit window no test waits out: the only sync is the one `close` runs.
        let outbox = try await Outbox.open(
            directory: directory,
            site: "ams-1",
            controller: "dock-03",
            uplinks: ["mqtt"],
            policy: .groupCommit(maxDelay: .seconds(3600))
        )
        let hub = EventHub(outbox: outbox, logger: Logger(label: "hub", handler: MemoryLogHandler()))
        let receipts = [
            await hub.submit(.scan, device: "scanner-1", data: ["text": "]C0A"]),
            await hub.submit(.scan, device: "scanner-1", data: ["text": "]C0B"]),
        ]
        #expect(await outbox.status.lastSeq == 0)
        #expect(hub.state(of: "scanner-1").events == 2)
        await outbox.close()
        for receipt in receipts { #expect(await receipt.stored()) }
        #expect(hub.refusedCount == 0)
    }

    @Test("with the outbox at its quota a scanner answers a read with the bad-read beep, never the good one")
    func fullOutboxBeepsBad() async throws {
        let (outbox, directory) = try await Self.fullOutbox()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = MemoryLogHandler()
        let hub = EventHub(outbox: outbox, logger: Logger(label: "hub", handler: log))
        let clock = ManualClock()
        let backend = SimulatedSerialBackend(clock: clock)
        let device = backend.addDevice(path: "/dev/floorlink/scanner-1")
        let scanner = BarcodeScanner(
            configuration: .init(
                id: "scanner-1",
                port: "/dev/floorlink/scanner-1",
                goodReadCommand: [0x16, 0x47],
                badReadCommand: [0x16, 0x42]
            ),
            backend: backend,
            clock: clock,
            events: hub
        )
        let task = Task { await scanner.run() }
        defer { task.cancel() }
        await clock.waitForSleepers(1)
        device.feed("]C0PARCEL-1\r\n")
        while device.written.isEmpty { await Task.yield() }
        #expect(device.takeWritten() == [0x16, 0x42])
        #expect(log.entries.contains { $0.metadata["type"] == "scan" && $0.metadata["device"] == "scanner-1" })
        await outbox.close()
    }
}

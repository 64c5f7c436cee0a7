import Events
import Glibc
import TestSupport
import Testing

/// `floorlinkd` as a process posting to a real HTTP receiver.
@Suite("floorlinkd end to end through a webhook", .timeLimit(.minutes(1)))
struct WebhookEndToEndTests {
    /// A receiver that only hears from the controller through its webhook must learn that it stopped when it stops,
    /// not after the next start: the stop delivers what the outbox holds instead of waiting out `batchDelayMs`.
    @Test("SIGTERM POSTs every stored event, controller.stopping among them, before the daemon exits 0")
    func sigtermDeliversTheLastEvents() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let receiver = try WebhookTestServer()
        // A batch waits 10 s for more, longer than the test waits: only the stop sends it.
        let site = Sites.scanner(scratch, port: scratch.path("absent-tty"))
            .setting("uplinks", ["webhook": ["url": .string(receiver.url), "batchDelayMs": 10_000]])
        let config = try scratch.write("site.json", json: site)
        let daemon = try Floorlinkd(config: config, socket: scratch.path("control.sock"), scratch: scratch)
        defer { daemon.stop() }
        let serving = try await daemon.waitUntilServing()
        #expect(serving["outbox"]?["lastSeq"]?.intValue ?? 0 >= 1, "controller.started is stored")
        #expect(receiver.requests.isEmpty, "the first batch is still waiting for more")

        daemon.child.send(SIGTERM)
        let status = await daemon.child.waitForExit(timeout: .seconds(30))
        await receiver.stop()
        #expect(status == 0, "stderr:\n\(daemon.standardError)")
        var delivered: [JSONValue] = []
        for request in receiver.requests {
            guard case .array(let events) = try JSONValue(parsing: request.body)["events"] else { continue }
            delivered += events
        }
        let types = delivered.compactMap { $0["type"]?.stringValue }
        #expect(types.first == "controller.started", "delivered \(types); stderr:\n\(daemon.standardError)")
        #expect(types.contains("controller.stopping"), "delivered \(types); stderr:\n\(daemon.standardError)")
        let seqs = delivered.compactMap { $0["seq"]?.intValue }
        #expect(seqs == Array(1...Int64(seqs.count)), "every stored event once, in order")
    }
}

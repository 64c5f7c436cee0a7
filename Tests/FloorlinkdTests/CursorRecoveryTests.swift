import Events
import Glibc
import Service
import TestSupport
import Testing

/// A corrupt or empty `outbox/cursor-mqtt` used to stop the daemon from starting (exit 1), taking the lockers and
/// scanners down with it.
@Suite("floorlinkd with a damaged cursor file", .timeLimit(.minutes(1)))
struct CursorRecoveryTests {
    @Test("the daemon starts, warns, and restarts the uplink from the oldest retained record", arguments: ["", "1x\n"])
    func damagedCursorDoesNotStopStartUp(contents: String) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let socket = scratch.path("control.sock")
        // Nobody listens on the port: the uplink retries in the background, which does not matter here.
        let site = try Sites.demo(scratch, mqtt: "mqtt://127.0.0.1:\(try Loopback.freePort())")
        let config = try scratch.write("site.json", json: site)
        mkdir(scratch.path("data"), 0o755)
        mkdir(scratch.path("data/outbox"), 0o755)
        try scratch.write("data/outbox/cursor-mqtt", contents)

        let daemon = try Floorlinkd(config: config, socket: socket, scratch: scratch)
        defer { daemon.stop() }
        let status = try await daemon.waitUntilServing()
        #expect(status["outbox"]?["cursors"]?["mqtt"] == .int(0))
        #expect(daemon.standardError.contains("outbox recovered from damage"), "stderr:\n\(daemon.standardError)")
        #expect(daemon.standardError.contains("reason=corrupt-cursor"), "stderr:\n\(daemon.standardError)")
        // Rewritten at once, in the two-line format: seq 0 on both lines.
        let lines = scratch.read("data/outbox/cursor-mqtt").split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.hasPrefix("00000000000000000000 ") })
    }
}

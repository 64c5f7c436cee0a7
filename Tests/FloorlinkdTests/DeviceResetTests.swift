import Events
import Glibc
import TestSupport
import Testing

/// `device.reset` from the two sides (issue 10, item 2): upstream it must be signed like every command that
/// changes hardware; a technician's `floorctl device reset` on the control socket, which only root, the daemon's
/// user and the `floorlink` group can reach (SO_PEERCRED), needs no signature.
@Suite("floorlinkd: device reset", .timeLimit(.minutes(1)))
struct DeviceResetTests {
    @Test("floorctl device reset restarts a device without a signature; the same unsigned command upstream is refused")
    func resetOverControlSocket() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let site = Sites.scanner(scratch, port: "/dev/ttySIM0", hardware: "simulated")
        let config = try scratch.write("site.json", json: site)
        let daemon = try Floorlinkd(config: config, socket: scratch.path("control.sock"), scratch: scratch)
        defer { daemon.stop() }
        try await daemon.waitUntilServing()
        let first = await eventually(within: .seconds(30)) { try? await connectedCount(daemon) == 1 ? true : nil }
        try #require(first == true, "scanner-1 never connected; stderr:\n\(daemon.standardError)")

        let reset = try await runFloorctl(["device", "reset", "scanner-1"], daemon: daemon, scratch: scratch)
        #expect(reset.status == 0, "stderr: \(reset.error)")
        #expect(reset.output == "Restarted scanner-1.\n")
        // Restarted for real: its I/O is opened again and it connects a second time.
        let again = await eventually(within: .seconds(30)) { try? await connectedCount(daemon) == 2 ? true : nil }
        #expect(again == true, "no second device.connected; stderr:\n\(daemon.standardError)")

        let unknown = try await runFloorctl(["device", "reset", "no-such-device"], daemon: daemon, scratch: scratch)
        #expect(unknown.status == 1)
        #expect(unknown.error.contains("(unknown-device)"), "stderr: \(unknown.error)")

        let noDevice = try await Control.send(daemon.socket, line: #"{"id":3,"op":"device.reset","args":{}}"#)
        #expect(noDevice["error"]?["code"]?.stringValue == "bad-request", "\(noDevice.jsonText)")

        // The upstream form of the same request, unsigned, on the `command` operation: refused.
        let command: JSONValue = ["id": "r1", "command": "device.reset", "device": "scanner-1"]
        let request: JSONValue = ["id": 2, "op": "command", "args": ["command": command]]
        let reply = try await Control.send(daemon.socket, line: request.jsonText)
        #expect(reply["result"]?["error"]?.stringValue == "unsigned", "\(reply.jsonText)")
        #expect(try await connectedCount(daemon) == 2)
    }

    /// How many `device.connected` events scanner-1 has had.
    private func connectedCount(_ daemon: Floorlinkd) async throws -> Int {
        let request: JSONValue = [
            "id": 1, "op": "events", "args": ["type": "device.connected", "device": "scanner-1", "last": 100],
        ]
        let reply = try await Control.send(daemon.socket, line: request.jsonText)
        guard case .array(let events) = reply["result"]?["events"] ?? .null else { return 0 }
        return events.count
    }
}

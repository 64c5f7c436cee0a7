import Events
import Glibc
import TestSupport
import Testing

/// `floorctl events --follow` across a reload and a restart of the real daemon, like `journalctl -f`.
@Suite("floorctl events --follow across reloads and restarts", .timeLimit(.minutes(2)))
struct EventsFollowEndToEndTests {
    /// The seqs of the event lines `floorctl` printed so far.
    static func seqs(_ scratch: Scratch) -> [Int64] {
        scratch.read("follow.stdout").split(separator: "\n").compactMap {
            (try? JSONValue(parsing: Array($0.utf8)))?["seq"]?.intValue
        }
    }

    @Test("events --follow waits through a SIGHUP reload and a restart and shows every seq once, in order")
    func followsAcrossReloadAndRestart() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let socket = scratch.path("control.sock")
        let config = try scratch.write(
            "site.json",
            json: Sites.scanner(scratch, port: "/dev/ttySIM0", hardware: "simulated")
        )
        var daemon = try Floorlinkd(config: config, socket: socket, scratch: scratch)
        defer { daemon.stop() }
        try await daemon.waitUntilServing()
        let follower = try ChildProcess(
            try BuiltProduct.path("floorctl"),
            ["events", "--follow", "--socket", socket],
            outputPath: scratch.path("follow.stdout"),
            errorPath: scratch.path("follow.stderr"),
            truncating: true
        )
        defer { follower.stop(signal: SIGKILL) }
        let stderr = { scratch.read("follow.stderr") }
        let simulateScan = { (text: String) async throws -> Bool in
            let args: JSONValue = ["device": "scanner-1", "text": .string(text)]
            let reply = try await Control.send(
                socket,
                line: JSONValue.object([("id", 1), ("op", "simulate.scan"), ("args", args)]).jsonText
            )
            return reply["ok"] == true
        }
        // The follower is connected once a scan made now reaches it.
        let first = await eventually(within: .seconds(30)) { () -> Int64? in
            _ = try? await simulateScan("]E0BEFORE")
            return scratch.read("follow.stdout").contains("BEFORE") ? Self.seqs(scratch).last : nil
        }
        #expect(first != nil, "floorctl stderr:\n\(stderr())")

        daemon.child.send(SIGHUP)
        let resumed = await eventually(within: .seconds(30)) {
            stderr().contains("floorctl: daemon back") ? true : nil
        }
        #expect(resumed == true, "floorctl stderr:\n\(stderr())")
        #expect(stderr().hasPrefix("floorctl: daemon stopped; waiting…\n"))

        await daemon.stopAndWait()
        let waiting = await eventually(within: .seconds(30)) {
            stderr().components(separatedBy: "floorctl: daemon stopped; waiting…").count == 3 ? true : nil
        }
        #expect(waiting == true, "floorctl stderr:\n\(stderr())")
        #expect(follower.isRunning, "floorctl exited while the daemon was down; stderr:\n\(stderr())")
        daemon = try Floorlinkd(config: config, socket: socket, scratch: scratch)
        try await daemon.waitUntilServing()
        let after = await eventually(within: .seconds(30)) { () -> Bool? in
            _ = try? await simulateScan("]E0AFTER")
            return scratch.read("follow.stdout").contains("AFTER") ? true : nil
        }
        #expect(after == true, "floorctl stderr:\n\(stderr())")

        let seqs = Self.seqs(scratch)
        let expected = Array((seqs.first ?? 0)...(seqs.last ?? 0))
        #expect(seqs == expected, "every seq once, in order, across the reload and the restart")
        let types = scratch.read("follow.stdout").components(separatedBy: "\"controller.started\"").count - 1
        #expect(types == 2, "the reloaded and the restarted daemon's controller.started are both shown")
        #expect(follower.isRunning)
    }
}

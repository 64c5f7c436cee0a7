import Events
import Glibc
import TestSupport
import Testing

/// The technician's day (issue 15) with the built floorctl against a running floorlinkd on simulated hardware: a
/// door open before `locker test` fails it, a killed follower is logged as a socket client that closed its
/// connection, and a locker command on a pick-to-light names the wrong kind of device.
@Suite("floorctl and floorlinkd: the technician's day", .timeLimit(.minutes(1)))
struct TechnicianEndToEndTests {
    /// A simulated site without demo traffic, with lockers-A (A1, A2, A3 on GPIO) and ptl-1 (one slot).
    static func site(_ scratch: Scratch) -> JSONValue {
        [
            "site": "e2e", "controller": "c1", "hardware": "simulated", "board": "raspberry-pi-5",
            // No demo traffic: its locker rounds would open A1 under the locker test.
            "simulatedTraffic": false,
            "dataDir": .string(scratch.path("data")),
            "devices": [
                [
                    "id": "lockers-A", "kind": "locker-bank",
                    "doors": [
                        ["id": "A1", "lock": "GPIO17", "sensor": "GPIO27", "sensorActiveLow": true],
                        ["id": "A2", "lock": "GPIO22", "sensor": "GPIO23", "sensorActiveLow": true],
                        ["id": "A3", "lock": "GPIO24", "sensor": "GPIO25", "sensorActiveLow": true],
                    ],
                ],
                [
                    "id": "ptl-1", "kind": "pick-to-light",
                    "slots": [["id": "S1", "light": "GPIO5", "button": "GPIO6"]],
                ],
            ],
            "control": ["socket": .string(scratch.path("control.sock"))],
        ]
    }

    @Test("locker test fails a door that was open before it; a killed follower is a client that closed its connection")
    func technicianDay() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let config = try scratch.write("site.json", json: Self.site(scratch))
        let daemon = try Floorlinkd(
            config: config,
            socket: scratch.path("control.sock"),
            scratch: scratch,
            arguments: ["--log-level", "debug"]
        )
        defer { daemon.stop() }
        try await daemon.waitUntilServing()

        let opened = try await runFloorctl(
            ["simulate", "door", "lockers-A", "A2", "open"],
            daemon: daemon,
            scratch: scratch
        )
        #expect(opened.status == 0, "stderr: \(opened.error)")
        let stored = await eventually(within: .seconds(30)) { () async -> Bool? in
            let recent = try? await runFloorctl(["events", "--type", "locker.*"], daemon: daemon, scratch: scratch)
            return recent?.output.contains(#""door":"A2""#) == true ? true : nil
        }
        try #require(stored == true, "the A2 opening was never stored")

        // Started after the A2 event: `-n` shows it first (the newest matches), then follows.
        let follower = try ChildProcess(
            try BuiltProduct.path("floorctl"),
            ["events", "--follow", "-n", "10", "--type", "locker.*", "--socket", daemon.socket],
            outputPath: scratch.path("follower.stdout"),
            errorPath: scratch.path("follower.stderr"),
            truncating: true
        )
        defer { follower.stop(signal: SIGKILL) }
        let seen = await eventually(within: .seconds(30)) {
            scratch.read("follower.stdout").contains(#""door":"A2""#) ? true : nil
        }
        #expect(seen == true, "the follower printed no A2 event; stderr: \(scratch.read("follower.stderr"))")

        let test = try await runFloorctl(["locker", "test", "lockers-A"], daemon: daemon, scratch: scratch)
        #expect(test.status == 1, "stderr: \(test.error)")
        let results = test.output.split(separator: "\n").filter { $0.hasPrefix("A") }.map {
            $0.split(separator: " ", omittingEmptySubsequences: true).prefix(2).joined(separator: " ")
        }
        #expect(results == ["A1 PASS", "A2 FAIL", "A3 PASS"], "\(test.output)")
        #expect(test.output.contains("door open before the test"), "\(test.output)")

        // The follower goes away mid-stream; the next event it would get finds the connection closed.
        _ = await follower.stopAndWait(signal: SIGKILL)
        _ = try await runFloorctl(["simulate", "door", "lockers-A", "A1", "closed"], daemon: daemon, scratch: scratch)
        let logged = await eventually(within: .seconds(30)) { () -> String? in
            let line = daemon.standardError.split(separator: "\n").first {
                $0.contains("control client closed its connection while following events")
            }
            return line.map(String.init)
        }
        #expect(logged?.contains("level=debug ") == true, "stderr:\n\(daemon.standardError)")
        #expect(!daemon.standardError.contains("unplugged"), "stderr:\n\(daemon.standardError)")
        #expect(!daemon.standardError.contains("demo traffic simulator running"), "simulatedTraffic false was ignored")

        let wrongKind = try await runFloorctl(["locker", "open", "ptl-1", "A1"], daemon: daemon, scratch: scratch)
        #expect(wrongKind.status == 1)
        #expect(wrongKind.error.contains("(wrong-device-kind)"), "stderr: \(wrongKind.error)")
    }
}

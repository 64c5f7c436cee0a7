import Devices
import Events
import Glibc
import HAL
import Testing

/// floorlinkd with stored locker state: orders and blocked keypads come back with the daemon, and a config that
/// drops a door holding an order is refused at start (exit 78) and on SIGHUP (the running site keeps going).
@Suite("floorlinkd and stored locker orders", .timeLimit(.minutes(1)))
struct LockerStateDaemonTests {
    /// A simulated site with lockers-A of `doors`.
    static func site(_ scratch: Scratch, doors: [String]) -> JSONValue {
        let pins = ["A1": ("GPIO17", "GPIO27"), "A2": ("GPIO22", "GPIO23"), "A3": ("GPIO24", "GPIO25")]
        let list = doors.compactMap { door -> JSONValue? in
            guard let (lock, sensor) = pins[door] else { return nil }
            return ["id": .string(door), "lock": .string(lock), "sensor": .string(sensor)]
        }
        return [
            "site": "e2e", "controller": "c1", "hardware": "simulated", "board": "raspberry-pi-5",
            "dataDir": .string(scratch.path("data")),
            "devices": [["id": "lockers-A", "kind": "locker-bank", "doors": .array(list)]],
            "control": ["socket": .string(scratch.path("control.sock"))],
        ]
    }

    /// Stores a deposited ORD-3 on A3 and a blocked keypad `locker-scanner`, as a bank would have.
    static func storeState(_ scratch: Scratch) async throws {
        let clock = SystemClock()
        mkdir(scratch.path("data"), 0o750)
        try await LockerStateFile(directory: scratch.path("data") + "/lockers", locker: "lockers-A", clock: clock).save(
            LockerRecords(
                orders: [
                    LockerRecords.Order(
                        door: "A3",
                        order: "ORD-3",
                        codeDigest: nil,
                        expiresAt: clock.now + .seconds(3600),
                        deposited: true
                    )
                ],
                keypads: [
                    LockerRecords.Keypad(
                        keypad: "locker-scanner",
                        failures: 20,
                        lockedUntil: nil,
                        recentWrongCodes: [clock.now],
                        blocked: true
                    )
                ]
            )
        )
    }

    static func request(_ socket: String, _ op: String, _ args: JSONValue) async throws -> JSONValue {
        try await Control.send(
            socket,
            line: JSONValue.object([("id", 1), ("op", .string(op)), ("args", args)]).jsonText
        )
    }

    @Test("a config without the occupied door A3 is refused at start, naming the locker, door and order")
    func refusedAtStart() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try await Self.storeState(scratch)
        let config = try scratch.write("site.json", json: Self.site(scratch, doors: ["A1", "A2"]))
        let run = try await Floorlinkd.run(["--config", config], scratch: scratch)
        #expect(run.status == 78)
        #expect(run.error.contains("locker lockers-A door A3 holds order ORD-3"), "stderr: \(run.error)")
    }

    @Test("the daemon restores orders and blocked keypads; SIGHUP with A3 removed is refused and changes nothing")
    func restoredAndReloadRefused() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try await Self.storeState(scratch)
        let socket = scratch.path("control.sock")
        let config = try scratch.write("site.json", json: Self.site(scratch, doors: ["A1", "A2", "A3"]))
        let daemon = try Floorlinkd(config: config, socket: socket, scratch: scratch)
        defer { daemon.stop() }
        try await daemon.waitUntilServing()
        // The site's demo simulator assigns DEMO- orders to the doors in turn; what matters is that ORD-3 is back on
        // A3 and that the simulator never releases it (it used to release any order in its way).
        let orders = { () async -> [String]? in
            guard let reply = try? await Self.request(socket, "locker.status", ["locker": "lockers-A"]),
                case .array(let doors) = reply["result"]?["doors"] ?? .null
            else { return nil }
            return doors.map { door in
                let order = door["order"]?.stringValue ?? "-"
                return order.hasPrefix("DEMO-") ? "-" : order
            }
        }
        #expect(await eventually(within: .seconds(30)) { await orders() } == ["-", "-", "ORD-3"])

        try scratch.write("site.json", json: Self.site(scratch, doors: ["A1", "A2"]))
        daemon.child.send(SIGHUP)
        let refusal = await eventually(within: .seconds(30)) { () -> String? in
            let stderr = daemon.standardError
            return stderr.contains("SIGHUP: config not reloaded") ? stderr : nil
        }
        #expect(refusal?.contains("locker lockers-A door A3 holds order ORD-3") == true, "\(daemon.standardError)")
        #expect(daemon.child.isRunning)
        #expect(await orders() == ["-", "-", "ORD-3"])

        // The keypad blocked before the restart is still blocked: a technician clears it, once.
        let cleared = try await Self.request(
            socket,
            "locker.unlock-keypad",
            ["locker": "lockers-A", "keypad": "locker-scanner"]
        )
        #expect(cleared["ok"] == true, "\(cleared.jsonText)")
        let again = try await Self.request(
            socket,
            "locker.unlock-keypad",
            ["locker": "lockers-A", "keypad": "locker-scanner"]
        )
        #expect(again["error"]?["code"] == "keypad-not-blocked", "\(again.jsonText)")

        daemon.child.send(SIGTERM)
        #expect(await daemon.child.waitForExit(timeout: .seconds(30)) == 0)
    }

    @Test("the demo simulator never releases an order it did not make")
    func simulatorLeavesRealOrders() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try await Self.storeState(scratch)
        let socket = scratch.path("control.sock")
        let config = try scratch.write("site.json", json: Self.site(scratch, doors: ["A3"]))
        let daemon = try Floorlinkd(
            config: config,
            socket: socket,
            scratch: scratch,
            arguments: ["--log-level", "debug"]
        )
        defer { daemon.stop() }
        try await daemon.waitUntilServing()
        // The simulator's first locker round (after 4 s) finds A3 taken by ORD-3.
        let skipped = await eventually(within: .seconds(30)) { () -> Bool? in
            daemon.standardError.contains("demo locker round skipped") ? true : nil
        }
        #expect(skipped == true, "\(daemon.standardError)")
        let reply = try await Self.request(socket, "locker.status", ["locker": "lockers-A"])
        guard case .array(let doors) = reply["result"]?["doors"] ?? .null else {
            Issue.record("no doors in \(reply.jsonText)")
            return
        }
        #expect(doors.map { $0["order"] } == ["ORD-3"], "\(reply.jsonText)")
        daemon.child.send(SIGTERM)
        #expect(await daemon.child.waitForExit(timeout: .seconds(30)) == 0)
        #expect(
            try LockerStateFile.storedOrders(directory: scratch.path("data") + "/lockers", locker: "lockers-A").map(
                \.order
            ) == ["ORD-3"]
        )
    }
}

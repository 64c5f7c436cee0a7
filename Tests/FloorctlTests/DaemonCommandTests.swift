import Events
import Locking
import Service
import Testing

@Suite("floorctl against a fake daemon")
struct DaemonCommandTests {
    static let status: JSONValue = [
        "site": "ams-1", "controller": "dock-03", "version": "0.1.0", "hardware": "linux", "uptimeS": 11_525,
        "gpio": "libgpiod 2.2.1 (v2 API)",
        "devices": [
            ["id": "scanner-1", "kind": "barcode-scanner", "state": "connected", "detail": "/dev/ttyUSB0 9600 8N1"],
            ["id": "rfid-1", "kind": "rfid-reader", "state": "faulted", "detail": "bad-checksum x3"],
            ["id": "lockers-A", "kind": "locker-bank", "state": "ready", "detail": nil],
        ],
        "outbox": [
            "depth": 12, "oldestUndeliveredAgeS": 4, "usedBytes": 1_258_291, "quotaBytes": 67_108_864,
            "lastSeq": 1234,
        ],
        "uplinks": [
            ["name": "mqtt", "state": "connected", "lag": 0, "lastError": nil],
            ["name": "webhook", "state": "backoff", "lag": 12, "lastError": "connection refused"],
        ],
    ]

    static let statusText = """
        controller  ams-1/dock-03 (floorlinkd 0.1.0, hardware linux)
        uptime      3h 12m
        gpio        libgpiod 2.2.1 (v2 API)

        DEVICE     KIND             STATE      DETAIL
        scanner-1  barcode-scanner  connected  /dev/ttyUSB0 9600 8N1
        rfid-1     rfid-reader      faulted    bad-checksum x3
        lockers-A  locker-bank      ready

        outbox  12 undelivered, oldest 4s, 1.2 MiB of 64.0 MiB, last seq 1234
        uplink  mqtt connected, lag 0
        uplink  webhook backoff, lag 12, last error: connection refused

        """

    static let events: [JSONValue] = [
        ["seq": 41, "type": "scan", "device": "scanner-1", "data": ["text": "ABC"]],
        ["seq": 42, "type": "locker.opened", "device": "lockers-A", "data": ["locker": "lockers-A", "door": "A1"]],
    ]

    /// Runs `floorctl arguments --socket PATH` against a fake daemon answering `results`.
    static func run(
        _ arguments: [String],
        _ daemon: FakeDaemon
    ) async throws -> FloorctlRun {
        let server = try FakeDaemonServer(daemon)
        defer { server.stop() }
        return try await FloorctlProcess.run(arguments + ["--socket", server.path])
    }

    @Test("status prints the controller, a device table, the outbox and the uplinks")
    func statusTable() async throws {
        let run = try await Self.run(["status"], FakeDaemon(results: ["status": Self.status]))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(run.standardOutput == Self.statusText)
    }

    @Test("status --json prints the daemon's result as one line")
    func statusJSON() async throws {
        let run = try await Self.run(["status", "--json"], FakeDaemon(results: ["status": Self.status]))
        #expect(run.status == 0)
        #expect(run.standardOutput == Self.status.jsonText + "\n")
    }

    @Test("events --last 2 asks for two events and prints one JSON object per line")
    func lastEvents() async throws {
        let daemon = FakeDaemon(results: ["events": ["events": .array(Self.events)]])
        let run = try await Self.run(["events", "--last", "2"], daemon)
        #expect(run.status == 0)
        #expect(run.standardOutput == Self.events.map { $0.jsonText + "\n" }.joined())
        #expect(daemon.requests == [#"{"id":1,"op":"events","args":{"follow":false,"last":2}}"#])
    }

    /// `lastSeq` is the outbox's newest seq when floorctl asks before following: 40 when the events come after it,
    /// 42 or 50 when they were stored before it (the `-n` events), which are shown all the same.
    @Test(
        "events -fn 5 --type scan --no-wait follows the stream and exits 69 with a message when the daemon closes it",
        arguments: [40, 42, 50]
    )
    func followEventsNoWait(lastSeq: Int64) async throws {
        let daemon = FakeDaemon { request in
            guard request.op == "events" else { return .result(["lastSeq": .int(lastSeq)]) }
            let (stream, continuation) = AsyncStream<JSONValue>.makeStream()
            for event in Self.events { continuation.yield(event) }
            continuation.finish()
            return .stream(stream)
        }
        let server = try FakeDaemonServer(daemon)
        defer { server.stop() }
        let run = try await FloorctlProcess.run([
            "events", "-fn", "5", "--type=scan", "--no-wait", "--socket", server.path,
        ])
        #expect(run.status == 69)
        #expect(run.standardOutput == Self.events.map { $0.jsonText + "\n" }.joined())
        #expect(
            run.standardError
                == "Error: floorlinkd at \(server.path) closed the event stream: it stopped or reloaded "
                + "(followed up to seq 42); drop --no-wait to wait for it and resume\n"
        )
        #expect(
            daemon.requests == [
                #"{"id":1,"op":"outbox","args":{}}"#,
                #"{"id":1,"op":"events","args":{"follow":true,"type":"scan","last":5}}"#,
            ]
        )
    }

    @Test("events --follow says the daemon stopped, waits, and resumes after the last seq shown without repeating it")
    func followEventsResumes() async throws {
        let requests = Locked(0)
        let daemon = FakeDaemon { request in
            guard request.op == "events" else { return .result(["lastSeq": 40]) }
            let (stream, continuation) = AsyncStream<JSONValue>.makeStream()
            switch requests.withLock({ count in
                count += 1
                return count
            }) {
            case 1:
                for event in Self.events { continuation.yield(event) }
            case 2:
                // The daemon replays from `after`; an event already shown is not printed twice.
                continuation.yield(Self.events[1])
                continuation.yield(["seq": 43, "type": "scan", "device": "scanner-1", "data": ["text": "DEF"]])
            default:
                return .failure(ControlError(code: "test-done", message: "the test ends here"))
            }
            continuation.finish()
            return .stream(stream)
        }
        let run = try await Self.run(["events", "--follow"], daemon)
        #expect(run.status == 1)
        let lines = Self.events + [["seq": 43, "type": "scan", "device": "scanner-1", "data": ["text": "DEF"]]]
        #expect(run.standardOutput == lines.map { $0.jsonText + "\n" }.joined())
        #expect(
            run.standardError
                == """
                floorctl: daemon stopped; waiting…
                floorctl: daemon back; resuming after seq 42
                floorctl: daemon stopped; waiting…
                floorctl: daemon back; resuming after seq 43
                Error: the test ends here (test-done)

                """
        )
        #expect(
            daemon.requests == [
                #"{"id":1,"op":"outbox","args":{}}"#,
                #"{"id":1,"op":"events","args":{"follow":true}}"#,
                #"{"id":1,"op":"events","args":{"follow":true,"after":42}}"#,
                #"{"id":1,"op":"events","args":{"follow":true,"after":43}}"#,
            ]
        )
    }

    @Test(
        "events --type repeats: one type is sent as a string, several as an array, prefixes as written",
        arguments: [
            (["--type", "locker.*"], #""type":"locker.*""#),
            (["--type", "locker.*", "--type=scan", "-n", "3"], #""type":["locker.*","scan"]"#),
        ]
    )
    func repeatedType(options: [String], sent: String) async throws {
        let daemon = FakeDaemon(results: ["events": ["events": .array(Self.events)]])
        let run = try await Self.run(["events"] + options, daemon)
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(daemon.requests.count == 1 && daemon.requests[0].contains(sent), "\(daemon.requests)")
    }

    @Test("locker open succeeds with exit 0 and names the door")
    func lockerOpen() async throws {
        let daemon = FakeDaemon(results: ["locker.open": [:]])
        let run = try await Self.run(["locker", "open", "lockers-A", "A1"], daemon)
        #expect(run.status == 0)
        #expect(run.standardOutput == "Unlocked door A1 of lockers-A.\n")
        #expect(daemon.requests == [#"{"id":1,"op":"locker.open","args":{"locker":"lockers-A","door":"A1"}}"#])
    }

    @Test("a refused locker open exits 1 with the daemon's message and code")
    func lockerOpenRefused() async throws {
        let daemon = FakeDaemon { _ in
            .failure(ControlError(code: "door-busy", message: "door A1 is already unlocking"))
        }
        let run = try await Self.run(["locker", "open", "lockers-A", "A1"], daemon)
        #expect(run.status == 1)
        #expect(run.standardError == "Error: door A1 is already unlocking (door-busy)\n")
        #expect(run.standardOutput.isEmpty)
    }

    @Test("simulate door sends the locker, door and state")
    func simulateDoor() async throws {
        let daemon = FakeDaemon(results: ["simulate.door": [:]])
        let run = try await Self.run(["simulate", "door", "lockers-A", "A2", "closed"], daemon)
        #expect(run.status == 0)
        #expect(
            daemon.requests == [
                #"{"id":1,"op":"simulate.door","args":{"locker":"lockers-A","door":"A2","state":"closed"}}"#
            ]
        )
    }

    @Test("simulate on a real-hardware site reports not-simulated with exit 1")
    func notSimulated() async throws {
        let daemon = FakeDaemon { _ in
            .failure(ControlError(code: "not-simulated", message: "this site runs real hardware"))
        }
        let run = try await Self.run(["simulate", "scan", "scanner-1", "ABC"], daemon)
        #expect(run.status == 1)
        #expect(run.standardError == "Error: this site runs real hardware (not-simulated)\n")
    }

    @Test("locker unlock-keypad sends the locker and keypad; a keypad that is not blocked exits 1")
    func lockerUnlockKeypad() async throws {
        let daemon = FakeDaemon(results: ["locker.unlock-keypad": ["unblocked": true]])
        let run = try await Self.run(["locker", "unlock-keypad", "lockers-A", "locker-scanner"], daemon)
        #expect(run.status == 0)
        #expect(run.standardOutput == "Cleared keypad locker-scanner of lockers-A.\n")
        #expect(
            daemon.requests == [
                #"{"id":1,"op":"locker.unlock-keypad","args":{"locker":"lockers-A","keypad":"locker-scanner"}}"#
            ]
        )
        let refusing = FakeDaemon { _ in
            .failure(ControlError(code: "keypad-not-blocked", message: "keypad locker-scanner is not blocked"))
        }
        let refused = try await Self.run(["locker", "unlock-keypad", "lockers-A", "locker-scanner"], refusing)
        #expect(refused.status == 1)
        #expect(refused.standardError == "Error: keypad locker-scanner is not blocked (keypad-not-blocked)\n")
    }

    @Test("ptl test prints PASS or FAIL per slot, sends the per-slot timeout and exits 1 when a slot fails")
    func pickToLightTest() async throws {
        let result: JSONValue = [
            "device": "ptl-1", "timeoutMs": 5000,
            "slots": [
                ["slot": "S1", "pass": true, "detail": "button pressed 1.2 s after the light went on"],
                ["slot": "S2", "pass": false, "detail": "no button press within 5.0 s of the light"],
            ],
        ]
        let daemon = FakeDaemon(results: ["ptl.test": result])
        let run = try await Self.run(["ptl", "test", "ptl-1", "--timeout-ms", "5000"], daemon)
        #expect(run.status == 1)
        #expect(
            run.standardOutput == """
                SLOT  RESULT  DETAIL
                S1    PASS    button pressed 1.2 s after the light went on
                S2    FAIL    no button press within 5.0 s of the light

                1 of 2 slots passed.

                """
        )
        #expect(daemon.requests == [#"{"id":1,"op":"ptl.test","args":{"device":"ptl-1","timeoutMs":5000}}"#])
    }

    @Test("ptl test --lights-only asks for the lamp cycle only and checks no button")
    func pickToLightLightsOnly() async throws {
        let daemon = FakeDaemon(results: ["ptl.test": ["device": "ptl-1", "tested": true, "lightsOnly": true]])
        let run = try await Self.run(["ptl", "test", "ptl-1", "--lights-only"], daemon)
        #expect(run.status == 0)
        #expect(run.standardOutput == "Cycled every lamp of ptl-1.\n")
        #expect(daemon.requests == [#"{"id":1,"op":"ptl.test","args":{"device":"ptl-1","lightsOnly":true}}"#])
    }

    @Test("ptl status prints each slot lit or dark with its task and colour")
    func pickToLightStatus() async throws {
        let result: JSONValue = [
            "device": "ptl-1", "running": true, "testing": false, "testingSlot": nil,
            "slots": [
                ["slot": "S1", "lit": false, "task": nil, "color": nil, "outputs": ["default"]],
                ["slot": "S2", "lit": true, "task": "pick-9", "color": "red", "outputs": ["default"]],
            ],
        ]
        let daemon = FakeDaemon(results: ["ptl.status": result])
        let run = try await Self.run(["ptl", "status", "ptl-1"], daemon)
        #expect(run.status == 0)
        #expect(
            run.standardOutput == """
                SLOT  LIGHT  TASK    COLOR
                S1    dark   -       -
                S2    lit    pick-9  red

                """
        )
        #expect(daemon.requests == [#"{"id":1,"op":"ptl.status","args":{"device":"ptl-1"}}"#])
    }

    @Test("locker status shows the doors, then each keypad's wrong codes and lock-out end as a UTC time")
    func lockerStatusWithKeypads() async throws {
        let result: JSONValue = [
            "doors": [["door": "A1", "open": false, "locked": true, "order": nil, "deposited": false]],
            "keypads": [
                [
                    "keypad": "locker-scanner", "failures": 3, "wrongCodes24h": 3,
                    "lockedUntil": "2026-12-03T11:13:46.085Z", "blocked": false,
                ]
            ],
        ]
        let run = try await Self.run(["locker", "status", "lockers-A"], FakeDaemon(results: ["locker.status": result]))
        #expect(run.status == 0)
        #expect(
            run.standardOutput == """
                DOOR  OPEN  LOCKED  ORDER  DEPOSITED
                A1    no    yes     -      no

                KEYPAD          WRONG CODES  LAST 24 H  LOCKED OUT UNTIL (UTC)    BLOCKED
                locker-scanner  3            3          2026-12-03T11:13:46.085Z  no

                """
        )
    }

    @Test("locker test exits 1 when a door fails")
    func lockerTest() async throws {
        let result: JSONValue = [
            "doors": [
                ["door": "A1", "pass": true, "detail": "sensor released in 40 ms"],
                ["door": "A2", "pass": false, "detail": "sensor never released"],
            ]
        ]
        let run = try await Self.run(["locker", "test", "lockers-A"], FakeDaemon(results: ["locker.test": result]))
        #expect(run.status == 1)
        #expect(
            run.standardOutput == """
                DOOR  RESULT  DETAIL
                A1    PASS    sensor released in 40 ms
                A2    FAIL    sensor never released

                1 of 2 doors passed.

                """
        )
    }

    @Test("an unreachable daemon exits 69 with a hint naming the socket")
    func unreachable() async throws {
        let path = "/tmp/floorctl-test-nobody-listens.sock"
        let run = try await FloorctlProcess.run(["status", "--socket", path])
        #expect(run.status == 69)
        #expect(
            run.standardError
                == "Error: cannot reach floorlinkd at \(path) (is it running? systemctl status floorlinkd; "
                + "or pass --socket)\n"
        )
    }

    @Test("FLOORLINK_SOCKET names the socket when --socket is absent")
    func environmentSocket() async throws {
        let server = try FakeDaemonServer(FakeDaemon(results: ["status": Self.status]))
        defer { server.stop() }
        let run = try await FloorctlProcess.run(["status", "--json"], environment: ["FLOORLINK_SOCKET": server.path])
        #expect(run.status == 0)
        #expect(run.standardOutput == Self.status.jsonText + "\n")
    }
}

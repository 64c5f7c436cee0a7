import Events
import Glibc
import Testing

/// A bad site config stops `floorlinkd` before it touches anything: exit 78 (EX_CONFIG), the file and JSON path
/// on stderr, no data directory and no control socket.
@Suite("floorlinkd refuses a bad config", .timeLimit(.minutes(1)))
struct ConfigErrorTests {
    /// One class of config error: the document (nil: the file is not written) and what stderr must say.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var document: (@Sendable (Scratch) -> String)?
        /// Expected on stderr after `floorlinkd: `; `FILE` stands for the config's path.
        var message: String

        var testDescription: String { name }
    }

    static func site(_ scratch: Scratch, devices: [JSONValue], extra: [(String, JSONValue)] = []) -> String {
        let members: [(String, JSONValue)] =
            [
                ("site", "e2e"), ("controller", "c1"), ("hardware", "simulated"), ("board", "raspberry-pi-5"),
                ("dataDir", .string(scratch.path("data"))), ("devices", .array(devices)),
                ("control", ["socket": .string(scratch.path("control.sock"))]),
            ] + extra
        return JSONValue.object(members).jsonText
    }

    static func lockers(_ doors: [JSONValue]) -> JSONValue {
        ["id": "lockers-A", "kind": "locker-bank", "doors": .array(doors)]
    }

    static let cases: [Case] = [
        Case(
            name: "unknown key",
            document: { site($0, devices: [], extra: [("uplink", [:])]) },
            message: "site.json: uplink: unknown key"
        ),
        Case(
            name: "unknown pin on the board",
            document: {
                site($0, devices: [lockers([["id": "A1", "lock": "GPIO99", "sensor": "GPIO27"]])])
            },
            message: #"site.json: devices[0].doors[0].lock: unknown pin "GPIO99" on board raspberry-pi-5"#
        ),
        Case(
            name: "wrong type",
            document: {
                site(
                    $0,
                    devices: [["id": "scanner-1", "kind": "barcode-scanner", "port": "/dev/ttySIM0", "baud": "9600"]]
                )
            },
            message: "site.json: devices[0].baud: "
        ),
        Case(
            name: "pin used twice",
            document: {
                site(
                    $0,
                    devices: [
                        lockers([
                            ["id": "A1", "lock": "GPIO17", "sensor": "GPIO27"],
                            ["id": "A2", "lock": "GPIO17", "sensor": "GPIO23"],
                        ])
                    ]
                )
            },
            message: #"site.json: devices[0].doors[1].lock: pin "GPIO17" is already used by devices[0].doors[0].lock"#
        ),
        Case(name: "missing file", document: nil, message: "FILE: cannot read: No such file or directory"),
        Case(
            name: "not JSON",
            document: { _ in "{\n  \"site\": \"e2e\",\n  \"controller\" \"c1\"\n}\n" },
            message: "site.json: line 3, column"
        ),
    ]

    @Test("exit 78 with the JSON path on stderr, and nothing created", arguments: cases)
    func badConfig(_ bad: Case) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let config = scratch.path("site.json")
        if let document = bad.document { try scratch.write("site.json", document(scratch)) }

        let run = try await Floorlinkd.run(["--config", config], scratch: scratch)
        #expect(run.status == 78, "stderr:\n\(run.error)")
        let expected = "floorlinkd: " + bad.message.replacingOccurrences(of: "FILE", with: config)
        #expect(run.error.hasPrefix(expected), "stderr:\n\(run.error)")
        #expect(run.error.split(separator: "\n").count == 1, "one line, no log noise:\n\(run.error)")
        #expect(!scratch.exists("data"), "the data directory was created")
        #expect(!scratch.exists("control.sock"), "the control socket was created")

        let check = try await Floorlinkd.run(["--config", config, "--check-config"], scratch: scratch)
        #expect(check.status == 78)
        #expect(check.error.hasPrefix(expected), "stderr:\n\(check.error)")
    }

    @Test("--check-config accepts numbered port paths but warns for each, naming what to use instead")
    func checkConfigFlagsNumberedPorts() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let site: JSONValue = [
            "site": "e2e", "controller": "c1", "hardware": "linux", "dataDir": .string(scratch.path("data")),
            "devices": [
                ["id": "scanner-1", "kind": "barcode-scanner", "port": "/dev/ttyUSB97"],
                ["id": "rfid-1", "kind": "rfid-reader", "port": "/dev/ttyACM98", "baud": 115200, "protocol": "m100"],
                ["id": "scanner-2", "kind": "barcode-scanner", "port": "/dev/pts/41"],
                ["id": "scanner-3", "kind": "barcode-scanner", "port": "/dev/floorlink/scanner-3"],
                ["id": "scanner-4", "kind": "barcode-scanner", "port": "/dev/ttyS0"],
            ],
            "control": ["socket": .string(scratch.path("control.sock"))],
        ]
        let config = try scratch.write("site.json", json: site)
        let run = try await Floorlinkd.run(["--config", config, "--check-config"], scratch: scratch)
        #expect(run.status == 0, "stderr:\n\(run.error)")
        #expect(run.output.hasPrefix("\(config): OK ("), "stdout:\n\(run.output)")
        let udev =
            "no /dev/serial/by-id link points at it now: give the reader a stable /dev/floorlink/ name with a rule "
            + "in udev/99-floorlink.rules (see udev/README.md) and configure that"
        #expect(
            run.error.split(separator: "\n").map(String.init) == [
                "floorlinkd: warning: scanner-1: port /dev/ttyUSB97 is numbered by the kernel in plug order, so after "
                    + "a replug it can be another device; " + udev,
                "floorlinkd: warning: rfid-1: port /dev/ttyACM98 is numbered by the kernel in plug order, so after "
                    + "a replug it can be another device; " + udev,
                "floorlinkd: warning: scanner-2: port /dev/pts/41 is a pseudo-terminal number, taken by whichever "
                    + "program opens a pseudo-terminal next; have the program that makes it link it to a fixed path "
                    + "(socat: pty,link=/run/floorlink/scanner-2) and configure that",
            ]
        )
    }

    @Test("--check-config accepts the demo site and says what it found")
    func checkConfigOnTheDemo() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let demo = Package.root + "/hal/sites/demo.json"
        let run = try await Floorlinkd.run(["--config", demo, "--check-config"], scratch: scratch)
        #expect(run.status == 0, "stderr:\n\(run.error)")
        #expect(run.output.hasPrefix("\(demo): OK ("), "stdout:\n\(run.output)")
        #expect(run.output.contains("6 devices, 1 bus"))
        #expect(run.error.isEmpty)

        // The same site with the test's paths: checked, not started.
        let copy = try scratch.write("site.json", json: try Sites.demo(scratch, mqtt: "mqtt://127.0.0.1:1"))
        let checked = try await Floorlinkd.run(["--config", copy, "--check-config"], scratch: scratch)
        #expect(checked.status == 0, "stderr:\n\(checked.error)")
        #expect(!scratch.exists("data"))
    }
}

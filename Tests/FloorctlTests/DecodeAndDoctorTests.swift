import Foundation
import TestSupport
import Testing

@Suite("floorctl decode and doctor")
struct DecodeAndDoctorTests {
    @Test("decode names each GS1 AI with its title and validated value")
    func decodeGS1() async throws {
        let run = try await FloorctlProcess.run(["decode", "]C1010950600013435217261231\u{1D}10ABC123"])
        #expect(run.status == 0)
        #expect(
            run.standardOutput == """
                symbology  gs1-128
                aim        ]C1
                payload    010950600013435217261231<GS>10ABC123

                AI  TITLE             VALUE
                01  GTIN              09506000134352
                17  USE BY OR EXPIRY  2026-12-31  (261231)
                10  BATCH/LOT         ABC123

                """
        )
    }

    @Test("decode accepts the GS separator typed as \\x1D and prints JSON")
    func decodeJSON() async throws {
        let run = try await FloorctlProcess.run(["decode", "--json", #"]C1010950600013435217261231\x1D10ABC123"#])
        #expect(run.status == 0)
        #expect(
            run.standardOutput.contains(
                #"{"ai":"17","title":"USE BY OR EXPIRY","value":"261231","interpreted":"2026-12-31"}"#
            )
        )
        #expect(run.standardOutput.contains(#""error":null"#))
    }

    @Test("invalid GS1 data exits 1 after saying what was wrong")
    func decodeInvalid() async throws {
        let run = try await FloorctlProcess.run(["decode", "]C1010950600013435317261231"])
        #expect(run.status == 1)
        #expect(run.standardOutput.hasPrefix("symbology  gs1-128\n"))
        #expect(run.standardError == "Error: AI (01) has check digit 3; the GS1 mod-10 check digit should be 2.\n")
    }

    @Test("decode --epc prints scheme, filter, URIs and the GTIN")
    func decodeEPC() async throws {
        let run = try await FloorctlProcess.run(["decode", "--epc", "3074257BF7194E4000001A85"])
        #expect(run.status == 0)
        #expect(
            run.standardOutput == """
                scheme          sgtin-96
                filter          3
                partition       5
                company prefix  0614141
                pure identity   urn:epc:id:sgtin:0614141.812345.6789
                tag URI         urn:epc:tag:sgtin-96:3.0614141.812345.6789
                (01) GTIN       80614141123458
                (21) SERIAL     6789

                """
        )
    }

    @Test("decode --epc with bad hex exits 1 naming the position")
    func decodeBadEPC() async throws {
        let run = try await FloorctlProcess.run(["decode", "--epc", "30Z4257BF7194E4000001A85"])
        #expect(run.status == 1)
        #expect(run.standardError.contains("position 2"))
    }

    @Test("-- ends the options: what follows is the text to decode")
    func doubleDash() async throws {
        let run = try await FloorctlProcess.run(["decode", "--json", "--", "--epc"])
        #expect(run.status == 0)
        #expect(run.standardOutput.hasPrefix(#"{"symbology":"none","aim":null,"payload":"--epc","#))
    }

    @Test("doctor warns for a numbered port path and names what to use instead")
    func doctorNumberedPort() async throws {
        let path = NSTemporaryDirectory() + "floorctl-numbered-\(UUID().uuidString.prefix(8)).json"
        let text =
            #"{"site":"x","controller":"y","hardware":"linux","#
            + #""devices":[{"id":"scanner-1","kind":"barcode-scanner","port":"/dev/ttyACM97"}]}"#
        try TestFile.write(text, to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await FloorctlProcess.run([
            "doctor", "--config", path, "--socket", "/tmp/floorctl-test-nobody-listens.sock",
        ])
        let lines = run.standardOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let warning = try #require(
            lines.firstIndex { $0.hasPrefix("WARN  serial scanner-1") },
            "no WARN line:\n\(run.standardOutput)"
        )
        #expect(
            lines[warning].hasSuffix(
                "  port /dev/ttyACM97 is numbered by the kernel in plug order, so after a replug it can be another device"
            ),
            "\(run.standardOutput)"
        )
        #expect(
            lines[warning + 1]
                == "fix: no /dev/serial/by-id link points at it now: give the reader a stable /dev/floorlink/ name "
                + "with a rule in udev/99-floorlink.rules (see udev/README.md) and configure that"
        )
    }

    @Test("doctor on a bad config prints a FAIL line naming the JSON path and exits 1")
    func doctorBadConfig() async throws {
        let path = NSTemporaryDirectory() + "floorctl-bad-\(UUID().uuidString.prefix(8)).json"
        let text =
            #"{"site":"x","controller":"y","hardware":"linux","#
            + #""devices":[{"id":"s","kind":"barcode-scanner","port":5}]}"#
        try TestFile.write(text, to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await FloorctlProcess.run([
            "doctor", "--config", path, "--socket", "/tmp/floorctl-test-nobody-listens.sock",
        ])
        #expect(run.status == 1)
        let configLine = run.standardOutput.split(separator: "\n").first { $0.hasPrefix("FAIL  config") }
        #expect(configLine?.contains("devices[0].port: expected a string") == true, "\(run.standardOutput)")
    }

    @Test("doctor on Linux hardware names the libgpiod in use and its API")
    func doctorNamesLibgpiod() async throws {
        let path = NSTemporaryDirectory() + "floorctl-gpiod-\(UUID().uuidString.prefix(8)).json"
        let text = #"{"site":"x","controller":"y","hardware":"linux","devices":[]}"#
        try TestFile.write(text, to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await FloorctlProcess.run([
            "doctor", "--config", path, "--socket", "/tmp/floorctl-test-nobody-listens.sock",
        ])
        let line = run.standardOutput.split(separator: "\n").first { $0.hasPrefix("PASS  libgpiod") }
        let named = try #require(line, "\(run.standardOutput)")
        #expect(named.contains(/libgpiod [12]\.[0-9.]+ \(v[12] API\) from \//), "\(named)")
    }

    /// A config file that does not load, and what doctor's `config` FAIL line and its fix must say.
    struct BadConfig: Sendable, CustomTestStringConvertible {
        var name: String
        /// The file's text; nil: no file at all.
        var text: String?
        var detail: String
        var fix: String

        var testDescription: String { name }
    }

    @Test(
        "doctor's fix for a config that does not load says what to do about that problem",
        arguments: [
            BadConfig(
                name: "missing file",
                text: nil,
                detail: "does not exist: floorlinkd has no site config to run",
                fix: "fix: create it: start from the example the package installs"
            ),
            BadConfig(
                name: "wrong type",
                text:
                    #"{"site":"x","controller":"y","hardware":"linux","devices":[{"id":"s","kind":"barcode-scanner","port":5}]}"#,
                detail: "devices[0].port: expected a string",
                fix: "fix: edit devices[0].port in "
            ),
            BadConfig(
                name: "not JSON",
                text: #"{"site": "x",,}"#,
                detail: "line 1, column 14: invalid JSON",
                fix: "fix: fix the JSON syntax at the place named in "
            ),
        ]
    )
    func doctorConfigFailures(config: BadConfig) async throws {
        let path = NSTemporaryDirectory() + "floorctl-doctor-\(UUID().uuidString.prefix(8)).json"
        if let text = config.text { try TestFile.write(text, to: path) }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await FloorctlProcess.run([
            "doctor", "--config", path, "--socket", "/tmp/floorctl-test-nobody-listens.sock",
        ])
        #expect(run.status == 1)
        let lines = run.standardOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let failure = try #require(lines.firstIndex { $0.hasPrefix("FAIL  config") }, "\(run.standardOutput)")
        #expect(lines[failure].contains(config.detail), "\(lines[failure])")
        #expect(lines[failure + 1].hasPrefix(config.fix), "\(lines[failure + 1])")
        #expect(!run.standardOutput.contains("at the JSON path named"))
    }

    @Test("doctor asks the daemon at $FLOORLINK_SOCKET for the config it runs and checks that one")
    func doctorChecksTheDaemonsConfig() async throws {
        let directory = NSTemporaryDirectory() + "floorctl-doctor-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + "/running.json"
        let text = #"{"site":"x","controller":"y","hardware":"simulated","dataDir":"\#(directory)","devices":[]}"#
        try TestFile.write(text, to: config)
        let daemon = FakeDaemon(results: ["status": ["config": .string(config)]])
        let server = try FakeDaemonServer(daemon)
        defer { server.stop() }
        let run = try await FloorctlProcess.run(["doctor"], environment: ["FLOORLINK_SOCKET": server.path])
        let lines = run.standardOutput.split(separator: "\n")
        #expect(
            lines.contains {
                $0.hasPrefix("PASS  config")
                    && $0.contains("\(config) is valid (x/y, 0 devices, the config floorlinkd runs)")
            },
            "\(run.standardOutput)"
        )
        #expect(
            lines.contains { $0.hasPrefix("PASS  daemon") && $0.hasSuffix("floorlinkd answers on \(server.path)") },
            "\(run.standardOutput)"
        )
        #expect(daemon.requests.first == #"{"id":1,"op":"status","args":{}}"#)
    }

    @Test("doctor --config with a daemon running another config warns which one the daemon runs")
    func doctorWarnsOfAnotherConfig() async throws {
        let path = NSTemporaryDirectory() + "floorctl-doctor-\(UUID().uuidString.prefix(8)).json"
        try TestFile.write(#"{"site":"x","controller":"y","hardware":"simulated","devices":[]}"#, to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let daemon = FakeDaemon(results: ["status": ["config": "/etc/floorlink/other.json"]])
        let server = try FakeDaemonServer(daemon)
        defer { server.stop() }
        let run = try await FloorctlProcess.run(["doctor", "--config", path, "--socket", server.path])
        let lines = run.standardOutput.split(separator: "\n")
        let daemonLine = try #require(lines.first { $0.hasPrefix("WARN  daemon") }, "\(run.standardOutput)")
        #expect(daemonLine.hasSuffix("but runs /etc/floorlink/other.json, not the \(path) checked above"))
    }
}

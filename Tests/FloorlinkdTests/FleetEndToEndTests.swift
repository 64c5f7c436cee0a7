import Events
import Foundation
import Glibc
import TestSupport
import Testing

/// `floorctl fleet` against a real mosquitto: a running demo daemon (online, with the backlog and last event its
/// refreshed status carries), controllers known only by their retained status, a site filter, a status that is
/// not one, and a broker that is not there.
@Suite("floorctl fleet against a broker", .timeLimit(.minutes(3)))
struct FleetEndToEndTests {
    @Test(
        "the demo daemon and the others' retained statuses are listed; --site narrows it; a dead broker exits 69",
        .enabled(if: Mosquitto.clientsAreInstalled, "needs mosquitto and mosquitto-clients")
    )
    func fleet() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let broker = try await Mosquitto(directory: scratch.directory)
        defer { broker.remove() }
        let url = "mqtt://127.0.0.1:\(broker.port)"
        // Two controllers not running here: one whose last word was its will, and one with a broken status.
        try await Self.retain(broker, "floorlink/ams-2/dock-07/status", #"{"state":"offline"}"#)
        try await Self.retain(broker, "floorlink/ams-2/dock-08/status", "not json")

        let config = try scratch.write("site.json", json: try Sites.demo(scratch, mqtt: url))
        let daemon = try Floorlinkd(config: config, socket: scratch.path("control.sock"), scratch: scratch)
        defer { daemon.stop() }
        try await daemon.waitUntilServing()

        // The demo scans every few seconds; its status is refreshed with backlog and last event within 10 s.
        let rows = try #require(
            try await eventually(within: .seconds(60)) { () async throws -> [JSONValue]? in
                let run = try await runFloorctl(["fleet", "--broker", url, "--json"], scratch: scratch)
                guard run.status == 0, case .array(let rows) = try JSONValue(parsing: run.output),
                    let demo = rows.first(where: { $0["controller"] == "demo-1" }),
                    demo["lastEvent"] != .null
                else { return nil }
                return rows
            },
            "stderr:\n\(daemon.standardError)"
        )
        let demo = try #require(rows.first { $0["controller"] == "demo-1" })
        #expect(demo["site"] == "demo")
        #expect(demo["state"] == "online")
        #expect(demo["version"]?.stringValue?.isEmpty == false)
        #expect(demo["started"]?.stringValue.flatMap(EventTime.init(parsing:)) != nil)
        #expect(demo["lastEvent"]?.stringValue.flatMap(EventTime.init(parsing:)) != nil)
        #expect((demo["backlog"]?.intValue ?? -1) >= 0)
        #expect((demo["lastSeq"]?.intValue ?? 0) >= 1, "\(demo.jsonText)")
        let offline = try #require(rows.first { $0["controller"] == "dock-07" })
        #expect(offline["site"] == "ams-2" && offline["state"] == "offline" && offline["version"] == .null)
        #expect(rows.count == 2, "the broken status is no row: \(rows)")

        // The table, with the broken status named on stderr.
        let table = try await runFloorctl(["fleet", "--broker", url], scratch: scratch)
        #expect(table.status == 0, "stderr: \(table.error)")
        #expect(table.output.hasPrefix("SITE  "), "\(table.output)")
        #expect(table.output.contains("2 controllers, 1 online, 1 offline."), "\(table.output)")
        #expect(table.error.contains("floorlink/ams-2/dock-08/status: the payload is not a JSON object"))

        let site = try await runFloorctl(["fleet", "--broker", url, "--site", "ams-2", "--json"], scratch: scratch)
        #expect(site.status == 0, "stderr: \(site.error)")
        let siteRows = try JSONValue(parsing: site.output)
        #expect(siteRows == .array([offline]), "\(site.output)")

        let deadPort = try Loopback.freePort()
        let dead = try await runFloorctl(
            ["fleet", "--broker", "mqtt://127.0.0.1:\(deadPort)", "--wait-ms", "500"],
            scratch: scratch
        )
        #expect(dead.status == 69)
        #expect(dead.error.contains("cannot reach the broker at mqtt://127.0.0.1:\(deadPort)"), "\(dead.error)")

        let usage = try await runFloorctl(["fleet"], scratch: scratch)
        #expect(usage.status == 64)
        #expect(usage.error.contains("Missing --broker <url>"), "\(usage.error)")
    }

    @Test(
        "--watch prints the fleet again when a controller's status changes",
        .enabled(if: Mosquitto.clientsAreInstalled, "needs mosquitto and mosquitto-clients")
    )
    func watch() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let broker = try await Mosquitto(directory: scratch.directory)
        defer { broker.remove() }
        let started = "2026-12-03T06:00:01.512Z"
        try await Self.retain(broker, "floorlink/ams-2/dock-07/status", #"{"state":"offline"}"#)
        let watcher = try ChildProcess(
            try BuiltProduct.path("floorctl"),
            ["fleet", "--broker", "mqtt://127.0.0.1:\(broker.port)", "--watch", "--json"],
            outputPath: scratch.path("watch.stdout"),
            errorPath: scratch.path("watch.stderr"),
            truncating: true
        )
        defer { watcher.stop(signal: SIGKILL) }
        let lines = { scratch.read("watch.stdout").split(separator: "\n").map(String.init) }
        let first = await eventually(within: .seconds(30)) { lines().first }
        #expect(first.flatMap(Self.firstRow)?["state"] == "offline", "\(lines())")

        try await Self.retain(
            broker,
            "floorlink/ams-2/dock-07/status",
            #"{"state":"online","version":"0.1.0","started":"\#(started)","backlog":3}"#
        )
        let second = await eventually(within: .seconds(30)) { lines().count >= 2 ? lines()[1] : nil }
        let row = try #require(second.flatMap(Self.firstRow), "\(lines())")
        #expect(row["state"] == "online" && row["backlog"] == 3 && row["started"] == .string(started))
    }

    /// The first controller of one `--json` line.
    static func firstRow(_ line: String) -> JSONValue? {
        guard case .array(let rows)? = try? JSONValue(parsing: line) else { return nil }
        return rows.first
    }

    /// A retained message on `topic`, published by mosquitto_pub.
    static func retain(_ broker: Mosquitto, _ topic: String, _ payload: String) async throws {
        let arguments = ["-h", "127.0.0.1", "-p", "\(broker.port)", "-q", "1", "-r", "-t", topic, "-m", payload]
        let status = try await ChildProcess.run("/usr/bin/mosquitto_pub", arguments, timeout: .seconds(30))
        try #require(status == 0, "mosquitto_pub exited \(status)")
    }
}

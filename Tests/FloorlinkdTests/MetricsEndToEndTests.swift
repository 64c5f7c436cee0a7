import Events
import Foundation
import Glibc
import IOEngine
import TestSupport
import Testing

/// Requests to a running daemon's metrics listener, over TCP with blocking calls on a thread of their own.
enum MetricsHTTP {
    /// Sends `request` (a whole HTTP/1.1 request) and returns the status code and the body.
    static func send(port: Int, _ request: String) async throws -> (status: Int, body: String) {
        let text = String(decoding: try await Loopback.exchange(port: port, Array(request.utf8)), as: UTF8.self)
        guard let statusText = text.split(separator: " ").dropFirst().first, let status = Int(statusText),
            let split = text.range(of: "\r\n\r\n")
        else {
            let line = request.prefix { $0 != "\r" }
            throw HarnessError("not an HTTP answer to \(line): \(text.prefix(200))")
        }
        return (status, String(text[split.upperBound...]))
    }

    static func get(port: Int, _ path: String) async throws -> (status: Int, body: String) {
        try await send(port: port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    }
}

/// Runs `path ARGUMENTS` to completion through the async `ChildProcess` with stdout and stderr in the scratch
/// directory: its exit status and output.
func runTool(
    _ path: String,
    _ arguments: [String],
    scratch: Scratch,
    name: String,
    timeout: Duration = .seconds(120)
) async throws -> (status: Int32, output: String, error: String) {
    guard access(path, X_OK) == 0 else {
        throw HarnessError("\(path) is not installed (apt-get install it as the README's test instructions say)")
    }
    let child = try ChildProcess(
        path,
        arguments,
        outputPath: scratch.path("\(name).stdout"),
        errorPath: scratch.path("\(name).stderr"),
        truncating: true
    )
    guard let status = await child.waitForExit(timeout: timeout) else {
        child.stop(signal: SIGKILL)
        throw HarnessError("\(path) did not finish within \(timeout)")
    }
    return (status, scratch.read("\(name).stdout"), scratch.read("\(name).stderr"))
}

/// The demo site with `metrics.listen` on a free port: `/metrics` checked by promtool, the status page rendered by
/// headless Chromium, `/healthz`, and the listener's answers to bad requests, all from the real daemon.
@Suite("floorlinkd metrics, status page and health over HTTP", .timeLimit(.minutes(3)))
struct MetricsEndToEndTests {
    static let promtool = "/usr/bin/promtool"
    static let chromium = "/usr/bin/chromium"

    /// Starts the demo (no uplinks) with metrics on a free port; returns the daemon and the port.
    static func startDemo(_ scratch: Scratch) async throws -> (Floorlinkd, Int) {
        let port = try Loopback.freePort()
        let config = try scratch.write(
            "site.json",
            json: try Sites.demo(scratch, mqtt: nil, metrics: "127.0.0.1:\(port)")
        )
        let daemon = try Floorlinkd(config: config, socket: scratch.path("control.sock"), scratch: scratch)
        try await daemon.waitUntilServing()
        try await Loopback.waitUntilListening(port: port)
        return (daemon, port)
    }

    @Test("GET /metrics passes promtool check metrics and has every promised family")
    func metricsPassPromtool() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (daemon, port) = try await Self.startDemo(scratch)
        defer { daemon.stop() }
        // Once the simulator has scanned, every family has samples.
        let metrics = try await eventually(within: .seconds(30)) { () async throws -> String? in
            let answer = try await MetricsHTTP.get(port: port, "/metrics")
            return answer.status == 200
                && answer.body.contains(#"floorlink_events_total{type="scan",device="scanner-1"}"#)
                ? answer.body : nil
        }
        let text = try #require(metrics, "no scan counted; stderr:\n\(daemon.standardError)")
        let file = try scratch.write("metrics.txt", text)
        let check = try await runTool(
            "/bin/sh",
            ["-c", "\(Self.promtool) check metrics < \(file)"],
            scratch: scratch,
            name: "promtool"
        )
        #expect(access(Self.promtool, X_OK) == 0, "promtool is missing: apt-get install prometheus")
        #expect(check.status == 0, "promtool: \(check.output)\(check.error)")
        for family in [
            "floorlink_events_total", "floorlink_device_connected", "floorlink_device_faults_total",
            "floorlink_outbox_records", "floorlink_outbox_bytes", "floorlink_outbox_quota_bytes",
            "floorlink_outbox_oldest_undelivered_age_seconds", "floorlink_outbox_fsync_duration_seconds",
            "floorlink_uplink_connected", "floorlink_uplink_lag_events", "floorlink_uplink_publish_duration_seconds",
            "floorlink_commands_total", "process_resident_memory_bytes", "process_cpu_seconds_total",
            "process_start_time_seconds",
        ] {
            #expect(text.contains("# TYPE \(family) "), "\(family) missing")
        }
        #expect(text.contains(#"floorlink_device_connected{device="scanner-1",kind="barcode-scanner"} 1"#))
        #expect(text.contains(#"floorlink_outbox_fsync_duration_seconds_bucket{le="+Inf"}"#))
    }

    /// A request to the real daemon and the status it must get.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var request: String
        var status: Int
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "healthz", request: "GET /healthz HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", status: 200),
        Case(name: "unknown path", request: "GET /admin HTTP/1.1\r\nHost: h\r\n\r\n", status: 404),
        Case(
            name: "bad method",
            request: "POST /metrics HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
            status: 405
        ),
        Case(name: "malformed", request: "GET\r\n\r\n", status: 400),
        Case(
            name: "oversized",
            request: "GET / HTTP/1.1\r\nHost: h\r\n" + String(repeating: "Cookie: 0123456789abcdef\r\n", count: 500)
                + "\r\n",
            status: 431
        ),
    ]

    @Test("the daemon's listener answers health, unknown paths, bad methods and bad requests")
    func answers() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (daemon, port) = try await Self.startDemo(scratch)
        defer { daemon.stop() }
        for example in Self.cases {
            let answer = try await MetricsHTTP.send(port: port, example.request)
            #expect(answer.status == example.status, "\(example.name): \(answer.body)")
        }
        #expect(try await MetricsHTTP.get(port: port, "/healthz").body == "ok\n")
        #expect(daemon.child.isRunning)
    }

    @Test("/healthz answers 503 with the reason when the outbox directory is not writable")
    func healthzUnhealthy() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (daemon, port) = try await Self.startDemo(scratch)
        defer { daemon.stop() }
        // Root writes anywhere: a read-only directory does not show it. Remove the directory instead.
        let data = scratch.path("data")
        let moved = scratch.path("data-moved")
        #expect(rename(data, moved) == 0)
        let answer = try await MetricsHTTP.get(port: port, "/healthz")
        #expect(rename(moved, data) == 0)
        #expect(answer.status == 503)
        #expect(answer.body.hasPrefix("unhealthy: outbox directory \(data) is not writable"), "\(answer.body)")
    }

    @Test("headless Chromium renders the status page: devices, lockers, slots, outbox, events; a screenshot is saved")
    func statusPageInChromium() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (daemon, port) = try await Self.startDemo(scratch)
        defer { daemon.stop() }
        _ = try await eventually(within: .seconds(30)) { () async throws -> Bool? in
            try await MetricsHTTP.get(port: port, "/").body.contains("<td>scan</td>") ? true : nil
        }
        let url = "http://127.0.0.1:\(port)/"
        let common = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--user-data-dir=\(scratch.path("chromium"))", "--window-size=1200,1600",
        ]
        let dom = try await runTool(Self.chromium, common + ["--dump-dom", url], scratch: scratch, name: "dom")
        #expect(dom.status == 0, "chromium: \(dom.error)")
        let page = dom.output
        #expect(page.contains("<title>Floorlink demo/demo-1</title>"), "\(page.prefix(500))")
        for device in ["scanner-1", "locker-scanner", "rfid-1", "lockers-A", "ptl-1"] {
            #expect(page.contains(#"<tr id="device-\#(device)"><td>\#(device)</td>"#), "device \(device)")
        }
        for door in ["A1", "A2", "A3", "A4"] { #expect(page.contains(#"<tr id="door-lockers-A-\#(door)">"#)) }
        for slot in ["S1", "S2", "S3", "S4"] { #expect(page.contains(#"<tr id="slot-ptl-1-\#(slot)">"#)) }
        #expect(page.contains(#"<tr id="outbox-row">"#))
        #expect(page.contains("No uplinks"))
        #expect(page.contains("<td>scan</td><td>scanner-1</td>"))
        #expect(!page.contains("<form") && !page.contains("<script"))
        let screenshot = scratch.path("status-page.png")
        let shot = try await runTool(
            Self.chromium,
            common + ["--screenshot=\(screenshot)", url],
            scratch: scratch,
            name: "shot"
        )
        #expect(shot.status == 0, "chromium: \(shot.error)")
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "\(png.count) bytes")
    }

    /// A `metrics` member the daemon must refuse to start with, and what it must say.
    struct BadListen: CustomTestStringConvertible, Sendable {
        var listen: String
        var message: String
        var testDescription: String { listen }
    }

    @Test(
        "a bad metrics.listen stops --check-config and start-up with its JSON path",
        arguments: [
            BadListen(
                listen: "localhost:9464",
                message: "site.json: metrics.listen: \"localhost\" is not a numeric IP"
            ),
            BadListen(listen: "127.0.0.1", message: "site.json: metrics.listen: \"127.0.0.1\" has no port"),
        ]
    )
    func badListen(_ example: BadListen) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let config = try scratch.write(
            "site.json",
            json: try Sites.demo(scratch, mqtt: nil).setting("metrics", ["listen": .string(example.listen)])
        )
        for arguments in [["--config", config, "--check-config"], ["--config", config]] {
            let run = try await Floorlinkd.run(arguments, scratch: scratch)
            #expect(run.status == 78, "\(arguments): \(run.error)")
            #expect(run.error.contains(example.message), "\(run.error)")
        }
    }

    @Test("a metrics port already in use stops start-up with the address and the reason")
    func portInUse() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let config = try scratch.write(
            "site.json",
            json: try Sites.demo(scratch, mqtt: nil, metrics: "127.0.0.1:\(listener.port)")
        )
        let run = try await Floorlinkd.run(["--config", config], scratch: scratch)
        #expect(run.status == 1)
        #expect(run.error.contains("metrics.listen: cannot listen on 127.0.0.1:\(listener.port)"), "\(run.error)")
        #expect(run.error.contains("Address already in use"), "\(run.error)")
    }
}

import Events
import Foundation
import TestSupport
import Testing

/// Issue 10, item 1, as a site sees it: oversized and malformed commands published to a real mosquitto are
/// answered once on `.../commands/results`, never redelivered (not even after a daemon restart), and scans keep
/// reaching the broker on the same connection.
@Suite("floorlinkd: commands that cannot jam the uplink", .timeLimit(.minutes(3)))
struct OversizedCommandEndToEndTests {
    static let prefix = "floorlink/e2e/c1"

    @Test(
        "2 MiB and 64 MiB commands and a malformed one are answered once; scans flow; one connection",
        .enabled(if: Mosquitto.clientsAreInstalled, "needs mosquitto and mosquitto-clients")
    )
    func oversizedAndMalformedCommands() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let broker = try await Mosquitto(directory: scratch.directory)
        defer { broker.remove() }
        // Not `floorlink/#`: the subscriber must not receive (and write to its file) the 64 MiB command itself.
        let subscriber = try await Subscriber(
            broker: broker,
            scratch: scratch,
            filters: ["floorlink/_probe/#", "\(Self.prefix)/status", "\(Self.prefix)/events/#", results]
        )
        defer { subscriber.stop() }
        let site = Sites.scanner(scratch, port: "/dev/ttySIM0", hardware: "simulated", mqtt: broker.url)
        let config = try scratch.write("site.json", json: site)
        var daemon = try Floorlinkd(config: config, socket: scratch.path("control.sock"), scratch: scratch)
        defer { daemon.stop() }
        try await daemon.waitUntilServing()
        let started = await subscriber.event("controller.started", prefix: Self.prefix, within: .seconds(30))
        try #require(started != nil, "no controller.started; stderr:\n\(daemon.standardError)")

        let sizes = [2 << 20, 64 << 20]
        let peakBefore = try peakMemory(daemon)
        for size in sizes {
            let file = try scratch.write("command-\(size)", String(repeating: "x", count: size))
            try await publish(["-f", file], broker: broker)
        }
        try await publish(["-m", #"{"id":"bad-1","command":"locker.open"}"#], broker: broker)

        let answered = await eventually(within: .seconds(60)) { [self] in
            resultMessages(subscriber).count >= 3 ? true : nil
        }
        #expect(answered == true, "results: \(resultMessages(subscriber)); stderr:\n\(daemon.standardError)")
        let answers = resultMessages(subscriber)
        try #require(answers.count == 3)
        for (answer, size) in zip(answers, sizes) {
            #expect(answer["command"] == .null)
            #expect(answer["ok"] == false)
            #expect(answer["error"]?.stringValue == "too-large")
            #expect(answer["detail"]?.stringValue?.contains("\(size) bytes") == true, "\(answer)")
        }
        #expect(answers[2]["command"]?.stringValue == "bad-1")
        // Each refusal is logged once, at warning.
        let refusals = daemon.standardError.split(separator: "\n").filter { $0.contains("rejected: too-large") }
        #expect(refusals.count == 2 && refusals.allSatisfy { $0.contains("warning") }, "\(refusals)")
        #expect(refusals.last?.contains("payload of \(64 << 20) bytes, skipped unread") == true)
        // Never buffered whole: the daemon's peak resident memory grew by far less than the 64 MiB command.
        // (Not under AddressSanitizer: its quarantine keeps freed memory resident on purpose.)
        let growth = try peakMemory(daemon) - peakBefore
        if getenv("FLOORLINK_SANITIZER").map({ String(cString: $0) }) != "address" {
            #expect(growth < 16 << 20, "peak resident memory grew by \(growth >> 10) KiB")
        }
        #expect(answers[2]["error"]?.stringValue == "malformed")

        // Scans keep reaching the broker on the same connection (before the fix none did: the session was jammed).
        // How fast is a figure, printed here and measured by daemon-bench, not asserted: a timed check fails on a
        // loaded 2-core machine (this one did, 4 runs in 7, with a one-second bound).
        for index in 1...3 {
            let text = "AFTER-\(index)"
            let scanned = ContinuousClock.now
            try await simulateScan(text, daemon: daemon)
            let scan = await subscriber.event("scan", prefix: Self.prefix, within: .seconds(30)) {
                $0["data"]?["text"]?.stringValue == text
            }
            #expect(scan != nil, "scan \(text) not at the broker after \(ContinuousClock.now - scanned)")
            print("oversized-command test: scan \(text) reached the broker in \(ContinuousClock.now - scanned)")
        }
        // One connection: every (re)connect publishes a retained `online` status.
        #expect(onlineCount(subscriber) == 1, "stderr:\n\(daemon.standardError)")
        #expect(resultMessages(subscriber).count == 3)

        // Nothing is redelivered after a restart either: the next result is the marker's own.
        await daemon.stopAndWait()
        daemon = try Floorlinkd(config: config, socket: scratch.path("control.sock"), scratch: scratch)
        try await daemon.waitUntilServing()
        let reconnected = await eventually(within: .seconds(30)) { [self] in onlineCount(subscriber) == 2 ? true : nil }
        #expect(reconnected == true, "stderr:\n\(daemon.standardError)")
        try await publish(["-m", #"{"id":"marker","command":"ptl.clear"}"#], broker: broker)
        let marker = await eventually(within: .seconds(30)) { [self] in
            resultMessages(subscriber).count >= 4 ? true : nil
        }
        #expect(marker == true, "stderr:\n\(daemon.standardError)")
        #expect(resultMessages(subscriber).dropFirst(3).map { $0["command"]?.stringValue } == ["marker"])
        try await subscriber.expectMatchesContract(scratch: scratch)
    }

    /// The process's peak resident set size (`VmHWM`), in bytes.
    private func peakMemory(_ daemon: Floorlinkd) throws -> Int {
        let status = Scratch.contents(ofFile: "/proc/\(daemon.child.pid)/status")
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kibibytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { throw HarnessError("no VmHWM for floorlinkd (pid \(daemon.child.pid)):\n\(status)") }
        return kibibytes << 10
    }

    private var results: String { "\(Self.prefix)/commands/results" }

    private func resultMessages(_ subscriber: Subscriber) -> [JSONValue] {
        subscriber.messages().filter { $0.topic == results }.compactMap(\.json)
    }

    /// Connections made: each (re)connect publishes the plain `online` status; the refreshes while connected carry
    /// a backlog and are not counted.
    private func onlineCount(_ subscriber: Subscriber) -> Int {
        subscriber.messages().filter {
            $0.topic == "\(Self.prefix)/status" && $0.json?["state"]?.stringValue == "online"
                && $0.json?["backlog"] == nil
        }.count
    }

    /// `mosquitto_pub` at QoS 1 to the controller's commands topic; returns once the broker acknowledged it.
    private func publish(_ arguments: [String], broker: Mosquitto) async throws {
        let status = try await ChildProcess.run(
            Mosquitto.publisherPath,
            ["-h", "127.0.0.1", "-p", "\(broker.port)", "-q", "1", "-t", "\(Self.prefix)/commands"] + arguments,
            timeout: .seconds(30)
        )
        guard status == 0 else { throw HarnessError("mosquitto_pub \(arguments.prefix(1)) exited \(status)") }
    }

    private func simulateScan(_ text: String, daemon: Floorlinkd) async throws {
        let request: JSONValue = [
            "id": 1, "op": "simulate.scan", "args": ["device": "scanner-1", "text": .string(text)],
        ]
        let reply = try await Control.send(daemon.socket, line: request.jsonText)
        guard reply["result"] != nil else { throw HarnessError("simulate.scan failed: \(reply.jsonText)") }
    }
}

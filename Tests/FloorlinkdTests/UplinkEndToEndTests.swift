import Events
import Foundation
import Glibc
import TestSupport
import Testing

/// `floorlinkd` as a process against a real mosquitto, with a real subscriber (`mosquitto_sub`) outside it.
@Suite("floorlinkd end to end through a real broker", .timeLimit(.minutes(1)))
struct UplinkEndToEndTests {
    @Test(
        "the demo site publishes controller.started, device.connected, scans, tag reads and a retained status",
        .enabled(if: Mosquitto.clientsAreInstalled, "needs mosquitto and mosquitto-clients")
    )
    func demoSiteEventsReachASubscriber() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let broker = try await Mosquitto(directory: scratch.directory)
        defer { broker.remove() }
        let subscriber = try await Subscriber(broker: broker, scratch: scratch)
        defer { subscriber.stop() }
        let config = try scratch.write("site.json", json: try Sites.demo(scratch, mqtt: broker.url))
        let daemon = try Floorlinkd(config: config, socket: scratch.path("control.sock"), scratch: scratch)
        defer { daemon.stop() }
        let prefix = "floorlink/demo/demo-1"

        // The simulator scans every 2.3 s; an RFID burst starts at 5 s and its reads fold for the 2 s window.
        let tagRead = await subscriber.event("tag.read", prefix: prefix, within: .seconds(30))
        let started = await subscriber.event("controller.started", prefix: prefix, within: .seconds(10))
        let connected = await subscriber.event("device.connected", prefix: prefix, within: .seconds(10))
        let scan = await subscriber.event("scan", prefix: prefix, within: .seconds(10))
        let stderr = daemon.standardError
        #expect(started?["data"]?["hardware"]?.stringValue == "simulated", "stderr:\n\(stderr)")
        #expect(started?["site"]?.stringValue == "demo")
        #expect(started?["controller"]?.stringValue == "demo-1")
        #expect(connected?["device"]?.stringValue != nil)
        #expect(scan?["device"]?.stringValue == "scanner-1")
        #expect(scan?["data"]?["symbology"]?.stringValue != nil)
        #expect(tagRead?["device"]?.stringValue == "rfid-1")
        #expect(tagRead?["data"]?["epc"]?.stringValue != nil)
        // The locker's code reader carries pickup codes: never published as scans.
        let codeScans = subscriber.messages().filter {
            $0.topic == "\(prefix)/events/scan" && $0.json?["device"]?.stringValue == "locker-scanner"
        }
        #expect(codeScans.isEmpty)
        // Every event carries a distinct sequence number.
        let seqs = subscriber.messages().filter { $0.topic.hasPrefix("\(prefix)/events/") }.compactMap {
            $0.json?["seq"]?.intValue
        }
        #expect(Set(seqs).count == seqs.count)

        let status = try await Subscriber.retained("\(prefix)/status", broker: broker, scratch: scratch)
        #expect(status?["state"]?.stringValue == "online")
        #expect(status?["version"]?.stringValue != nil)
        #expect(daemon.child.isRunning)
        try await subscriber.expectMatchesContract(scratch: scratch)
    }

    @Test(
        "a GS1-128 read from a scanner on a pseudo-terminal arrives upstream as a scan with its GS1 data",
        .enabled(if: Mosquitto.clientsAreInstalled, "needs mosquitto and mosquitto-clients"),
        .enabled(if: PseudoTerminalPair.isAvailable, "needs socat for a pseudo-terminal pair")
    )
    func scannerOnAPseudoTerminal() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let broker = try await Mosquitto(directory: scratch.directory)
        defer { broker.remove() }
        let pty = try await PseudoTerminalPair(directory: scratch.directory)
        defer { pty.stop() }
        let subscriber = try await Subscriber(broker: broker, scratch: scratch)
        defer { subscriber.stop() }
        let config = try scratch.write("site.json", json: Sites.scanner(scratch, port: pty.portPath, mqtt: broker.url))
        let daemon = try Floorlinkd(config: config, socket: scratch.path("control.sock"), scratch: scratch)
        defer { daemon.stop() }
        let prefix = "floorlink/e2e/c1"

        // Bytes written before the daemon has the port open would be lost, so wait until it has.
        let connected = await subscriber.event("device.connected", prefix: prefix, within: .seconds(30)) {
            $0["device"]?.stringValue == "scanner-1"
        }
        try #require(connected != nil, "no device.connected for scanner-1; stderr:\n\(daemon.standardError)")
        try pty.send(Array("]C1010950600013435217261231\u{1D}10ABC123\r\n".utf8))

        let scan = await subscriber.event("scan", prefix: prefix, within: .seconds(30))
        let data = try #require(scan?["data"], "no scan event; stderr:\n\(daemon.standardError)")
        #expect(scan?["device"]?.stringValue == "scanner-1")
        #expect(data["symbology"]?.stringValue == "gs1-128")
        #expect(data["aim"]?.stringValue == "]C1")
        #expect(data["text"]?.stringValue == "]C1010950600013435217261231\u{1D}10ABC123")
        #expect(data["gs1"] == ["01": "09506000134352", "17": "261231", "10": "ABC123"])
        try await subscriber.expectMatchesContract(scratch: scratch)
    }

    @Test(
        "SIGTERM publishes controller.stopping and an offline status, and exits 0 within 10 s",
        .enabled(if: Mosquitto.clientsAreInstalled, "needs mosquitto and mosquitto-clients")
    )
    func sigtermStopsCleanly() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let broker = try await Mosquitto(directory: scratch.directory)
        defer { broker.remove() }
        let subscriber = try await Subscriber(broker: broker, scratch: scratch)
        defer { subscriber.stop() }
        // A scanner that is not plugged in: it is retried, and it must not hold up the shutdown.
        let site = Sites.scanner(scratch, port: scratch.path("absent-tty"), mqtt: broker.url)
        let config = try scratch.write("site.json", json: site)
        let daemon = try Floorlinkd(config: config, socket: scratch.path("control.sock"), scratch: scratch)
        defer { daemon.stop() }
        let prefix = "floorlink/e2e/c1"
        let started = await subscriber.event("controller.started", prefix: prefix, within: .seconds(30))
        try #require(started != nil, "no controller.started; stderr:\n\(daemon.standardError)")

        let signalled = ContinuousClock.now
        daemon.child.send(SIGTERM)
        let status = await daemon.child.waitForExit(timeout: .seconds(30))
        let took = ContinuousClock.now - signalled
        #expect(status == 0, "exit \(String(describing: status)) after \(took); stderr:\n\(daemon.standardError)")
        let stopping = await subscriber.event("controller.stopping", prefix: prefix, within: .seconds(10))
        #expect(stopping?["data"]?["reason"]?.stringValue == "signal", "stderr:\n\(daemon.standardError)")
        let lastStatus = subscriber.messages().last { $0.topic == "\(prefix)/status" }
        #expect(lastStatus?.json?["state"]?.stringValue == "offline")
        #expect(access(scratch.path("control.sock"), F_OK) != 0, "the control socket file is removed on stop")
        try await subscriber.expectMatchesContract(scratch: scratch)
    }
}

extension Subscriber {
    /// The message the broker holds retained on `topic` (a fresh `mosquitto_sub -C 1`), as JSON.
    static func retained(_ topic: String, broker: Mosquitto, scratch: Scratch) async throws -> JSONValue? {
        let child = try ChildProcess(
            Mosquitto.subscriberPath,
            ["-h", "127.0.0.1", "-p", "\(broker.port)", "-t", topic, "-C", "1", "-W", "20"],
            outputPath: scratch.path("retained.txt"),
            truncating: true
        )
        guard await child.waitForExit(timeout: .seconds(30)) != nil else {
            child.stop(signal: SIGKILL)
            return nil
        }
        let text = scratch.read("retained.txt").trimmingCharacters(in: .newlines)
        return try? JSONValue(parsing: text)
    }
}

import Events
import Foundation
import Glibc
import TestSupport
import Testing

/// The demo's MQTT uplink with no broker at first: events wait in the outbox, the status page and `floorctl status`
/// show the backlog growing, and once a broker starts on that port the backlog is delivered.
@Suite("the demo reaches a broker that starts late", .timeLimit(.minutes(3)))
struct DemoBrokerEndToEndTests {
    /// The uplink's lag and the outbox depth from the control socket's `status`.
    static func backlog(_ daemon: Floorlinkd) async throws -> (lag: Int64, depth: Int64, state: String)? {
        let reply = try await daemon.explainingFailure { try await Control.request(daemon.socket, op: "status") }
        guard let status = reply["result"], case .array(let uplinks) = status["uplinks"] ?? .null,
            let mqtt = uplinks.first(where: { $0["name"]?.stringValue == "mqtt" }),
            let lag = mqtt["lag"]?.intValue, let depth = status["outbox"]?["depth"]?.intValue,
            let state = mqtt["state"]?.stringValue
        else { return nil }
        return (lag, depth, state)
    }

    @Test(
        "no broker: the backlog grows on the status page and in status; a broker starts: it is delivered",
        .enabled(if: Mosquitto.clientsAreInstalled, "needs mosquitto and mosquitto-clients")
    )
    func backlogThenBroker() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        // The demo's own 127.0.0.1:1883 may be taken on this machine: the test's copy names a free port.
        let brokerPort = try Loopback.freePort()
        let metricsPort = try Loopback.freePort()
        let config = try scratch.write(
            "site.json",
            json: try Sites.demo(
                scratch,
                mqtt: "mqtt://127.0.0.1:\(brokerPort)",
                metrics: "127.0.0.1:\(metricsPort)"
            )
        )
        let socket = scratch.path("control.sock")
        let daemon = try Floorlinkd(config: config, socket: socket, scratch: scratch)
        defer { daemon.stop() }
        try await daemon.waitUntilServing()

        let first = try #require(
            try await eventually(within: .seconds(30)) {
                try await Self.backlog(daemon).flatMap { $0.lag >= 3 ? $0 : nil }
            },
            "no backlog; stderr:\n\(daemon.standardError)"
        )
        #expect(first.state != "connected")
        let grown = try await eventually(within: .seconds(30)) {
            try await Self.backlog(daemon).flatMap { $0.lag > first.lag ? $0 : nil }
        }
        #expect(grown != nil, "the backlog did not grow")
        let page = try await MetricsHTTP.get(port: metricsPort, "/").body
        #expect(
            page.contains(#"<tr id="uplink-mqtt"><td>mqtt</td><td>disconnected</td>"#)
                || page.contains(
                    #"<tr id="uplink-mqtt"><td>mqtt</td><td>connecting</td>"#
                ),
            "\(page)"
        )
        let metrics = try await MetricsHTTP.get(port: metricsPort, "/metrics").body
        #expect(metrics.contains(#"floorlink_uplink_connected{uplink="mqtt"} 0"#))

        let broker = try await Mosquitto(directory: scratch.directory, port: brokerPort)
        defer { broker.remove() }
        let subscriber = try await Subscriber(broker: broker, scratch: scratch)
        defer { subscriber.stop() }
        let backlogSeq = try #require(
            try await Control.request(socket, op: "status")["result"]?["outbox"]?["lastSeq"]?.intValue
        )
        // Delivered: the broker acknowledged everything through the backlog and the uplink keeps up.
        let cursor = try await eventually(within: .seconds(90)) { () async throws -> Int64? in
            let outbox = try await Control.request(socket, op: "outbox")["result"]
            guard let cursor = outbox?["cursors"]?["mqtt"]?.intValue, cursor >= backlogSeq else { return nil }
            return cursor
        }
        #expect(cursor != nil, "backlog through seq \(backlogSeq) not acknowledged; stderr:\n\(daemon.standardError)")
        let live = await subscriber.event("scan", prefix: "floorlink/demo/demo-1", within: .seconds(30))
        #expect(live?["device"]?.stringValue == "scanner-1")
        let connected = try await eventually(within: .seconds(30)) { () async throws -> Bool? in
            try await MetricsHTTP.get(port: metricsPort, "/metrics").body.contains(
                #"floorlink_uplink_connected{uplink="mqtt"} 1"#
            ) ? true : nil
        }
        #expect(connected == true)
        try await subscriber.expectMatchesContract(scratch: scratch)
    }
}

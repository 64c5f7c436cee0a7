import TestSupport
import Uplink

/// Shared helpers for the MQTT tests.
enum TestSupport {
    /// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
    static func eventually(
        timeout: Duration = .seconds(30),
        _ condition: @Sendable () async -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            guard await Poll.pause(.milliseconds(20)) else { break }
        }
        return await condition()
    }

    /// The number after `"seq":` in an event's JSON.
    static func seq(in payload: String) -> UInt64? {
        guard let range = payload.range(of: "\"seq\":") else { return nil }
        return UInt64(payload[range.upperBound...].prefix { $0.isNumber })
    }

    /// Client settings for tests: fast reconnects and short timeouts.
    static func configuration(port: Int, clientID: String, tls: Bool = false) -> MQTTClientConfiguration {
        var configuration = MQTTClientConfiguration(
            broker: MQTTBrokerURL(host: tls ? "localhost" : "127.0.0.1", port: port, usesTLS: tls),
            clientID: clientID
        )
        fast(&configuration)
        return configuration
    }

    /// Fast reconnects. The connect timeout (TCP, TLS and CONNACK) stays long: no test here is about it, and a
    /// short one turned a sanitizer run's few-second stall before CONNACK was handled into a dropped connection (a
    /// second connection, the last will published) in tests that count connections or read the status.
    static func fast(_ configuration: inout MQTTClientConfiguration) {
        configuration.reconnectDelay = .milliseconds(50)
        configuration.maximumReconnectDelay = .milliseconds(500)
        configuration.connectTimeout = .seconds(120)
    }

    /// A subscriber client on `filter` that records into `inbox`, running (on `taskExecutor`; nil: the global pool)
    /// and subscribed when this returns (checked by a probe message round trip).
    static func subscriber(
        port: Int,
        filter: String = "floorlink/#",
        clientID: String = "test-subscriber",
        inbox: Inbox,
        taskExecutor: (any TaskExecutor)? = nil
    ) async throws -> (MQTTClient, Task<Void, Never>) {
        var configuration = configuration(port: port, clientID: clientID)
        configuration.taskExecutor = taskExecutor
        configuration.subscriptions = [
            MQTTSubscription(topicFilter: filter, qos: .atLeastOnce),
            MQTTSubscription(topicFilter: "probe/\(clientID)", qos: .atLeastOnce),
        ]
        let client = MQTTClient(configuration: configuration) { topic, payload in
            await inbox.add(topic: topic, payload: payload)
        }
        let task = Task(executorPreference: taskExecutor) { await client.run() }
        let probe = "probe/\(clientID)"
        let subscribed = await eventually {
            _ = try? await client.publish(MQTTMessage(topic: probe, text: "probe", qos: .atMostOnce))
            return await !inbox.payloads(on: probe).isEmpty
        }
        guard subscribed else { throw HarnessError("subscriber \(clientID) never received its probe") }
        return (client, task)
    }
}

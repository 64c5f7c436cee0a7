import Logging
import Testing

@testable import Uplink

/// Connect failures are logged once per way of failing in an outage: a broker that flaps between two failures (a
/// port briefly held by something else: refused, closed, refused…) leaves two warnings, not one per retry; after a
/// connection the next outage is told again.
@Suite("MQTT connect failures in the log")
struct MQTTClientFailureLogTests {
    static let refused = MQTTError.connectionFailed(host: "127.0.0.1", port: 1883, reason: "Connection refused")
    static let closed = MQTTError.connectionLost(host: "127.0.0.1", port: 1883, reason: "the broker closed it")

    @Test(
        "each way of failing is warned once per outage, whatever the order of the retries",
        arguments: [
            ([refused, refused, refused], 1), ([refused, closed, refused, closed, refused], 2),
            ([closed, refused, closed], 2),
        ] as [([MQTTError], Int)]
    )
    func oncePerWay(failures: [MQTTError], warnings: Int) async {
        let logs = MemoryLogHandler()
        let client = MQTTClient(
            configuration: MQTTClientConfiguration(
                broker: try! MQTTBrokerURL(parsing: "mqtt://127.0.0.1:1883"),
                clientID: "dock-03"
            ),
            logger: Logger(label: "mqtt", level: .debug, handler: logs)
        )
        for failure in failures { await client.logFailure(failure, afterConnection: false, retryIn: .milliseconds(10)) }
        #expect(logs.entries.filter { $0.message == "cannot connect" }.count == warnings)
        #expect(logs.entries.filter { $0.message == "still cannot connect" }.count == failures.count - warnings)
        // A disconnect starts a new outage: the same failure is told again.
        await client.logFailure(Self.closed, afterConnection: true, retryIn: .milliseconds(10))
        await client.logFailure(Self.refused, afterConnection: false, retryIn: .milliseconds(10))
        #expect(logs.entries.filter { $0.message == "cannot connect" }.count == warnings + 1)
    }
}

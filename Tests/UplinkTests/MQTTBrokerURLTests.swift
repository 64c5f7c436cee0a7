import Testing
import Uplink

/// Uplink URLs: `mqtt://` and `mqtts://`, default ports, IPv6, and refusals.
@Suite("MQTTBrokerURL")
struct MQTTBrokerURLTests {
    @Test(
        "valid URLs parse",
        arguments: [
            ("mqtt://127.0.0.1:1883", MQTTBrokerURL(host: "127.0.0.1", port: 1883, usesTLS: false)),
            ("mqtt://broker.local", MQTTBrokerURL(host: "broker.local", port: 1883, usesTLS: false)),
            ("mqtts://broker.local", MQTTBrokerURL(host: "broker.local", port: 8883, usesTLS: true)),
            ("mqtts://localhost:9999/", MQTTBrokerURL(host: "localhost", port: 9999, usesTLS: true)),
            ("mqtt://[::1]:1884", MQTTBrokerURL(host: "::1", port: 1884, usesTLS: false)),
        ]
    )
    func valid(text: String, expected: MQTTBrokerURL) throws {
        #expect(try MQTTBrokerURL(parsing: text) == expected)
    }

    @Test(
        "invalid URLs are refused with the URL in the error",
        arguments: [
            "http://x", "mqtt://", "mqtt://host:0", "mqtt://host:70000", "mqtt://host:abc", "mqtt://u@host",
            "mqtt://host/path", "mqtt://[::1", "127.0.0.1:1883",
        ]
    )
    func invalid(text: String) {
        #expect(throws: MQTTError.invalidURL(text)) { try MQTTBrokerURL(parsing: text) }
    }
}

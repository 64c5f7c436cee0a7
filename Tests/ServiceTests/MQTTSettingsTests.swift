import Events
import Service
import Testing
import Uplink

/// The `uplinks.mqtt` TLS keys as the uplink receives them.
@Suite("MQTT settings")
struct MQTTSettingsTests {
    static func settings(_ members: String) throws -> MQTTSettings? {
        let text =
            #"{"site": "s", "controller": "c", "hardware": "simulated", "devices": [], "uplinks": {"mqtt": {"#
            + #""url": "mqtts://broker.example:8883"\#(members)}}}"#
        return try SiteConfiguration.parse(
            JSONValue(parsing: text),
            file: "site.json",
            hal: HALSearchPath(directories: [])
        ).mqtt
    }

    @Test(
        "caFile, certFile and keyFile reach the TLS settings, each without the others",
        arguments: [
            (#", "caFile": "/etc/floorlink/ca.pem""#, MQTTTLSConfiguration(caFile: "/etc/floorlink/ca.pem")),
            (
                #", "certFile": "/etc/floorlink/c.pem", "keyFile": "/etc/floorlink/c.key""#,
                MQTTTLSConfiguration(certificateFile: "/etc/floorlink/c.pem", keyFile: "/etc/floorlink/c.key")
            ),
            (
                #", "caFile": "/ca", "certFile": "/c", "keyFile": "/k""#,
                MQTTTLSConfiguration(caFile: "/ca", certificateFile: "/c", keyFile: "/k")
            ),
            // A key without its certificate still reaches the TLS context, which refuses it with a clear error.
            (#", "keyFile": "/k""#, MQTTTLSConfiguration(keyFile: "/k")),
        ]
    )
    func tlsFiles(members: String, expected: MQTTTLSConfiguration) throws {
        let settings = try #require(try Self.settings(members))
        #expect(settings.tls == expected)
    }

    @Test("without TLS files there are no TLS settings: the system trust store, no client certificate")
    func noTLSFiles() throws {
        let settings = try #require(try Self.settings(""))
        #expect(settings.tls == nil)
    }
}

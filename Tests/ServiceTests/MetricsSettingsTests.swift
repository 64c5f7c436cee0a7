import Events
import Service
import Testing

@Suite("metrics.listen in the site config")
struct MetricsSettingsTests {
    static func site(metrics: String) -> String {
        "{\"site\": \"s\", \"controller\": \"c\", \"hardware\": \"simulated\", \"devices\": [], \"metrics\": " + metrics
            + "}"
    }

    @Test(
        "absent: off; present: parsed",
        arguments: [
            ("127.0.0.1:9464", "127.0.0.1", UInt16(9464)), ("0.0.0.0:80", "0.0.0.0", 80), ("[::1]:9464", "::1", 9464),
        ]
    )
    func parsed(_ listen: String, host: String, port: UInt16) throws {
        let off = try SiteConfigurationTests.parse(
            #"{"site": "s", "controller": "c", "hardware": "simulated", "devices": []}"#
        )
        #expect(off.metrics == nil)
        let site = try SiteConfigurationTests.parse(Self.site(metrics: #"{"listen": "\#(listen)"}"#))
        #expect(site.metrics == MetricsSettings(host: host, port: port))
        #expect(site.metrics?.listen == listen)
    }

    /// A bad `metrics` member and the error it must give.
    struct Bad: CustomTestStringConvertible, Sendable {
        var metrics: String
        var message: String
        var testDescription: String { metrics }
    }

    static let bad: [Bad] = [
        Bad(metrics: #"{"listen": "localhost:9464"}"#, message: "metrics.listen: \"localhost\" is not a numeric IP"),
        Bad(metrics: #"{"listen": "127.0.0.1"}"#, message: "metrics.listen: \"127.0.0.1\" has no port"),
        Bad(metrics: #"{"listen": "127.0.0.1:0"}"#, message: "metrics.listen: \"0\" is not a port"),
        Bad(metrics: #"{"listen": "127.0.0.1:70000"}"#, message: "metrics.listen: \"70000\" is not a port"),
        Bad(metrics: #"{"listen": "::1:9464"}"#, message: "metrics.listen: \"::1\" is not a numeric IP"),
        Bad(metrics: #"{"listen": "[::1]9464"}"#, message: "metrics.listen: \"[::1]9464\" is not [IPV6]:PORT"),
        Bad(metrics: #"{"listen": "999.1.1.1:1"}"#, message: "metrics.listen: \"999.1.1.1\" is not a numeric IP"),
        Bad(metrics: #"{"listen": 9464}"#, message: "metrics.listen"),
        Bad(metrics: #"{}"#, message: "metrics.listen: required"),
        Bad(metrics: #"{"listen": "127.0.0.1:9464", "port": 1}"#, message: "metrics.port"),
        Bad(metrics: #"{"listen": "127.0.0.1:9464", "maxConnections": 0}"#, message: "metrics.maxConnections"),
        Bad(metrics: #""127.0.0.1:9464""#, message: "metrics"),
    ]

    @Test("a bad metrics member names its JSON path", arguments: bad)
    func refused(_ example: Bad) {
        do {
            _ = try SiteConfigurationTests.parse(Self.site(metrics: example.metrics))
            Issue.record("\(example.metrics) was accepted")
        } catch {
            #expect("\(error)".contains(example.message), "\(error)")
        }
    }
}

import Logging
import Testing
import Uplink

/// `mqtts://` against mosquitto with a test PKI: server verification (CA and host name), mutual TLS, and the
/// typed errors for a wrong CA, a wrong host name and a missing client certificate.
@Suite(
    "MQTT over TLS with mosquitto",
    .enabled(if: Mosquitto.isInstalled && TestCertificates.isAvailable, "needs mosquitto and the openssl CLI")
)
struct MQTTTLSTests {
    static func broker(_ pki: TestCertificates, requireCertificate: Bool) async throws -> Mosquitto {
        try await Mosquitto(extraConfig: [
            "cafile \(pki.caCertificate)",
            "certfile \(pki.serverCertificate)",
            "keyfile \(pki.serverKey)",
            "tls_version tlsv1.2",
            "require_certificate \(requireCertificate)",
        ])
    }

    static func client(
        _ url: String,
        tls: MQTTTLSConfiguration,
        clientID: String = "dock-03",
        logs: MemoryLogHandler = MemoryLogHandler()
    ) throws -> MQTTClient {
        var configuration = MQTTClientConfiguration(broker: try MQTTBrokerURL(parsing: url), clientID: clientID)
        TestSupport.fast(&configuration)
        // These tests are about how a handshake ends, not how long it may take: the broker answers in
        // milliseconds, but the handshake runs on the cooperative pool, which other suites' blocking harness
        // code (`ChildProcess.stop` polls with usleep for up to 5 s) can hold for seconds on 2 cores.
        configuration.connectTimeout = .seconds(30)
        configuration.tls = tls
        return MQTTClient(configuration: configuration, logger: Logger(label: "mqtt", level: .debug, handler: logs))
    }

    /// Publishes one QoS 1 message and waits for its PUBACK.
    static func roundTrip(_ client: MQTTClient) async throws {
        let receipt = try await client.publish(MQTTMessage(topic: "floorlink/tls", text: "hello"))
        try await client.waitForAcknowledgement(receipt)
    }

    static func failure(of client: MQTTClient) async -> MQTTError? {
        _ = await TestSupport.eventually(timeout: .seconds(30)) { await client.lastError != nil }
        return await client.lastError
    }

    @Test("the server certificate verifies against the CA file and names localhost: events flow")
    func serverVerified() async throws {
        let pki = try await TestCertificates.make()
        defer { pki.remove() }
        let broker = try await Self.broker(pki, requireCertificate: false)
        defer { broker.remove() }
        let client = try Self.client(
            "mqtts://localhost:\(broker.port)",
            tls: MQTTTLSConfiguration(caFile: pki.caCertificate)
        )
        let task = Task { await client.run() }
        defer { task.cancel() }
        #expect(await TestSupport.eventually { await client.state == .connected })
        try await Self.roundTrip(client)
        await client.stop()
    }

    @Test("the log says connected with the TLS version; a host mismatch is logged once as TLS verification failed")
    func logged() async throws {
        let pki = try await TestCertificates.make()
        defer { pki.remove() }
        let broker = try await Self.broker(pki, requireCertificate: false)
        defer { broker.remove() }
        let goodLogs = MemoryLogHandler()
        let good = try Self.client(
            "mqtts://localhost:\(broker.port)",
            tls: MQTTTLSConfiguration(caFile: pki.caCertificate),
            logs: goodLogs
        )
        let goodTask = Task { await good.run() }
        defer { goodTask.cancel() }
        #expect(await TestSupport.eventually { await good.state == .connected })
        let connected = goodLogs.entries.filter { $0.message == "connected" }
        #expect(connected.count == 1)
        // mosquitto's `tls_version tlsv1.2` is a minimum: 1.3 where its OpenSSL has it.
        #expect(["TLSv1.2", "TLSv1.3"].contains(connected.first?.metadata["tls"] ?? "none"))
        #expect(connected.first?.metadata["broker"] == "localhost:\(broker.port)")
        await good.stop()

        let badLogs = MemoryLogHandler()
        let bad = try Self.client(
            "mqtts://127.0.0.1:\(broker.port)",
            tls: MQTTTLSConfiguration(caFile: pki.caCertificate),
            clientID: "dock-04",
            logs: badLogs
        )
        let badTask = Task { await bad.run() }
        defer { badTask.cancel() }
        // Retries after the first failure are logged at debug level only.
        #expect(await TestSupport.eventually { badLogs.entries.filter { $0.level == .debug }.count >= 2 })
        let failures = badLogs.entries.filter { $0.level > .debug }
        let lines = failures.map(\.line).joined(separator: "\n")
        #expect(failures.map(\.message) == ["TLS verification failed"], "\(lines)")
        #expect(failures.first?.level == .error)
        #expect(failures.first?.metadata["reason"]?.contains("mismatch") == true, "\(lines)")
        #expect(failures.first?.metadata["subject"]?.contains("CN=") == true, "\(lines)")
        await bad.stop()
    }

    @Test("mutual TLS: the broker requires a client certificate, and gets one")
    func mutual() async throws {
        let pki = try await TestCertificates.make()
        defer { pki.remove() }
        let broker = try await Self.broker(pki, requireCertificate: true)
        defer { broker.remove() }
        let tls = MQTTTLSConfiguration(
            caFile: pki.caCertificate,
            certificateFile: pki.clientCertificate,
            keyFile: pki.clientKey
        )
        let client = try Self.client("mqtts://localhost:\(broker.port)", tls: tls)
        let task = Task { await client.run() }
        defer { task.cancel() }
        #expect(await TestSupport.eventually { await client.state == .connected })
        try await Self.roundTrip(client)
        await client.stop()
    }

    @Test("a server certificate from another CA is refused with the verify reason")
    func wrongCA() async throws {
        let pki = try await TestCertificates.make()
        defer { pki.remove() }
        let broker = try await Self.broker(pki, requireCertificate: false)
        defer { broker.remove() }
        let client = try Self.client(
            "mqtts://localhost:\(broker.port)",
            tls: MQTTTLSConfiguration(caFile: pki.otherCACertificate)
        )
        let task = Task { await client.run() }
        defer { task.cancel() }
        let error = await Self.failure(of: client)
        guard case .tlsHandshakeFailed(let host, let port, let reason) = error else {
            Issue.record("expected tlsHandshakeFailed, got \(String(describing: error))")
            return
        }
        #expect(host == "localhost" && port == broker.port)
        #expect(reason.contains("certificate verify failed"))
        #expect(await client.state != .connected)
        await client.stop()
    }

    @Test("a certificate that does not name the host dialled is refused (127.0.0.1 vs DNS:localhost)")
    func hostMismatch() async throws {
        let pki = try await TestCertificates.make()
        defer { pki.remove() }
        let broker = try await Self.broker(pki, requireCertificate: false)
        defer { broker.remove() }
        let client = try Self.client(
            "mqtts://127.0.0.1:\(broker.port)",
            tls: MQTTTLSConfiguration(caFile: pki.caCertificate)
        )
        let task = Task { await client.run() }
        defer { task.cancel() }
        let error = await Self.failure(of: client)
        guard case .tlsHandshakeFailed(_, _, let reason) = error else {
            Issue.record("expected tlsHandshakeFailed, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("mismatch"))
        await client.stop()
    }

    @Test("without a client certificate a broker that requires one never accepts the connection")
    func missingClientCertificate() async throws {
        let pki = try await TestCertificates.make()
        defer { pki.remove() }
        let broker = try await Self.broker(pki, requireCertificate: true)
        defer { broker.remove() }
        let client = try Self.client(
            "mqtts://localhost:\(broker.port)",
            tls: MQTTTLSConfiguration(caFile: pki.caCertificate)
        )
        let task = Task { await client.run() }
        defer { task.cancel() }
        let error = await Self.failure(of: client)
        guard case .tlsHandshakeFailed(_, _, let reason) = error else {
            Issue.record("expected tlsHandshakeFailed, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("certificate required"))
        #expect(await client.connectionCount == 0)
        await client.stop()
    }

    @Test("a missing CA file is a configuration error naming the file")
    func missingCAFile() async throws {
        let client = try Self.client(
            "mqtts://localhost:1",
            tls: MQTTTLSConfiguration(caFile: "/nonexistent/ca.crt")
        )
        let task = Task { await client.run() }
        defer { task.cancel() }
        let error = await Self.failure(of: client)
        guard case .tlsConfiguration(let detail) = error else {
            Issue.record("expected tlsConfiguration, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("/nonexistent/ca.crt"))
        await client.stop()
    }
}

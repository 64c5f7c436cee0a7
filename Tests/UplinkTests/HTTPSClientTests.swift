import Events
import IOEngine
import Logging
import Testing

@testable import Uplink

/// The HTTP client and the webhook against python3's http.server wrapped in TLS, with a PKI made by the openssl
/// CLI: verification (CA, host name), timeouts and a server that closes in the middle of a response.
@Suite(
    "HTTPS against a local TLS server",
    .enabled(if: HTTPSTestServer.isAvailable, "needs python3 and the openssl CLI")
)
struct HTTPSClientTests {
    static let post = HTTPRequest(
        method: "POST",
        headers: [HTTPHeader("Content-Type", "application/json")],
        body: Array(#"{"events":[]}"#.utf8)
    )

    static func client(caFile: String, readTimeout: Duration = .seconds(30)) throws -> HTTPClient {
        HTTPClient(
            configuration: HTTPClient.Configuration(
                connectTimeout: .seconds(30),
                readTimeout: readTimeout,
                tls: try TLSContext(TLSConfiguration(caFile: caFile))
            )
        )
    }

    /// The error `send` threw, or nil when it answered.
    static func failure(_ client: HTTPClient, _ url: HTTPURL) async -> HTTPError? {
        do {
            _ = try await client.send(post, to: url)
            return nil
        } catch {
            return error
        }
    }

    @Test("a certificate from the configured CA naming the host: both requests answered over one TLS connection")
    func goodCertificate() async throws {
        let pki = try await TestCertificates.make()
        defer { pki.remove() }
        let server = try await HTTPSTestServer(pki: pki, mode: .ok)
        defer { server.stop() }
        let client = try Self.client(caFile: pki.caCertificate)
        let url = try HTTPURL(parsing: "https://localhost:\(server.port)/floor-events")
        for _ in 0..<2 {
            let response = try await client.send(Self.post, to: url)
            #expect(response.status == 200)
            #expect(response.body == Array(#"{"ok":true}"#.utf8))
        }
        await client.close()
        #expect(server.requests == ["CONNECT", "POST /floor-events 13", "POST /floor-events 13"])
    }

    @Test("a kept-alive connection the server closed while idle is replaced: the next request is answered")
    func reconnectsAfterIdleClose() async throws {
        let pki = try await TestCertificates.make()
        defer { pki.remove() }
        let server = try await HTTPSTestServer(pki: pki, mode: .dropidle)
        defer { server.stop() }
        let client = try Self.client(caFile: pki.caCertificate)
        let url = try HTTPURL(parsing: "https://localhost:\(server.port)/floor-events")
        for _ in 0..<2 {
            let response = try await client.send(Self.post, to: url)
            #expect(response.status == 200)
        }
        await client.close()
        #expect(server.requests == ["CONNECT", "POST /floor-events 13", "CONNECT", "POST /floor-events 13"])
    }

    @Test("a certificate for another host name is refused, naming the host, the subject and the reason")
    func wrongHostName() async throws {
        let pki = try await TestCertificates.make()
        defer { pki.remove() }
        let elsewhere = try await pki.elsewhereCertificate()
        let server = try await HTTPSTestServer(pki: pki, mode: .ok, identity: elsewhere)
        defer { server.stop() }
        let client = try Self.client(caFile: pki.caCertificate)
        let url = try HTTPURL(parsing: "https://localhost:\(server.port)/floor-events")
        let error = await Self.failure(client, url)
        #expect(
            error
                == .connection(
                    .certificateRejected(
                        target: "localhost:\(server.port)",
                        subject: "/CN=elsewhere.example",
                        reason: "hostname mismatch"
                    )
                )
        )
        #expect(server.requests.isEmpty)
    }

    @Test("the webhook logs a receiver certificate for another host once, as TLS verification failed")
    func webhookLogsRejectionOnce() async throws {
        let pki = try await TestCertificates.make()
        defer { pki.remove() }
        let elsewhere = try await pki.elsewhereCertificate()
        let server = try await HTTPSTestServer(pki: pki, mode: .ok, identity: elsewhere)
        defer { server.stop() }
        let logs = MemoryLogHandler()
        let uplink = WebhookUplink(
            url: try HTTPURL(parsing: "https://localhost:\(server.port)/floor-events"),
            secret: nil,
            log: WebhookEventLog(events: WebhookFixtures.events(1...1)),
            backoff: WebhookUplinkTests.fast,
            tls: try TLSContext(TLSConfiguration(caFile: pki.caCertificate)),
            now: { WebhookFixtures.now },
            logger: Logger(label: "webhook", level: .debug, handler: logs)
        )
        let run = Task { await uplink.run() }
        // Two more attempts after the first, each failing the same way: logged at debug level only.
        #expect(await TestSupport.eventually { logs.entries.filter { $0.message == "batch still held" }.count >= 2 })
        run.cancel()
        await run.value
        let lines = logs.entries.filter { $0.level > .debug }
        let text = lines.map(\.line).joined(separator: "\n")
        #expect(lines.map(\.message) == ["TLS verification failed"], "\(text)")
        #expect(lines.first?.level == .error)
        #expect(lines.first?.metadata["subject"] == "/CN=elsewhere.example", "\(text)")
        #expect(lines.first?.metadata["reason"] == "hostname mismatch", "\(text)")
        #expect(server.requests.isEmpty)
    }

    @Test("a certificate from a CA the client does not trust is refused")
    func unknownCA() async throws {
        let pki = try await TestCertificates.make()
        defer { pki.remove() }
        let server = try await HTTPSTestServer(pki: pki, mode: .ok)
        defer { server.stop() }
        let client = try Self.client(caFile: pki.otherCACertificate)
        let url = try HTTPURL(parsing: "https://localhost:\(server.port)/floor-events")
        let error = await Self.failure(client, url)
        #expect(
            error
                == .connection(
                    .certificateRejected(
                        target: "localhost:\(server.port)",
                        subject: "/CN=localhost",
                        reason: "unable to get local issuer certificate"
                    )
                )
        )
        #expect(server.requests.isEmpty)
    }

    @Test("a server that never answers: the request ends with a read timeout, not a hang")
    func slowServer() async throws {
        let pki = try await TestCertificates.make()
        defer { pki.remove() }
        let server = try await HTTPSTestServer(pki: pki, mode: .slow)
        defer { server.stop() }
        let client = try Self.client(caFile: pki.caCertificate, readTimeout: .milliseconds(300))
        let url = try HTTPURL(parsing: "https://localhost:\(server.port)/floor-events")
        let start = IOLoop.now
        let error = await Self.failure(client, url)
        let elapsed = IOLoop.now - start
        guard case .connection(.timedOut(let operation, let target, _)) = error else {
            Issue.record("expected a read timeout, got \(String(describing: error))")
            return
        }
        #expect(operation == "read from")
        #expect(target == "localhost:\(server.port)")
        #expect(elapsed >= .milliseconds(300))
    }

    @Test("a server that closes mid-response: a clear error, and the webhook delivers on its retry")
    func closesMidResponse() async throws {
        let pki = try await TestCertificates.make()
        defer { pki.remove() }
        let server = try await HTTPSTestServer(pki: pki, mode: .midclose)
        defer { server.stop() }
        let url = try HTTPURL(parsing: "https://localhost:\(server.port)/floor-events")
        let client = try Self.client(caFile: pki.caCertificate)
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
        let error = await Self.failure(client, url)
        #expect(error == .closedMidResponse(peer: "localhost:\(server.port)", received: head.utf8.count + 7))

        // The next connection gets a full answer: the webhook's first attempt is cut the same way by a fresh
        // server, and its retry delivers.
        server.stop()
        let fresh = try await HTTPSTestServer(pki: pki, mode: .midclose)
        defer { fresh.stop() }
        let log = WebhookEventLog(events: WebhookFixtures.events(1...2))
        let lines = LogRecorder()
        let uplink = WebhookUplink(
            url: try HTTPURL(parsing: "https://localhost:\(fresh.port)/floor-events"),
            secret: WebhookFixtures.secret,
            log: log,
            backoff: WebhookUplinkTests.fast,
            tls: try TLSContext(TLSConfiguration(caFile: pki.caCertificate)),
            now: { WebhookFixtures.now },
            logger: lines.logger
        )
        let run = Task { await uplink.run() }
        #expect(await log.waitForCursor("webhook", 2))
        run.cancel()
        await run.value
        let status = await uplink.status
        #expect(status.state == .connected)
        #expect(status.failures == 1, "the webhook's log:\n\(lines.all.joined(separator: "\n"))")
        #expect(fresh.requests.filter { $0.hasPrefix("POST") }.count == 2, "requests: \(fresh.requests)")
        #expect(lines.all.contains { $0.contains("closed the connection in the middle of the response") })
    }
}

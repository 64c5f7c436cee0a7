import TestSupport
import Testing

@testable import Uplink

/// The plain-HTTP client against `WebhookTestServer`: one connection carries every request while the server keeps
/// it alive; a server that closes after each reply gets a new connection per request, and every request is answered.
@Suite("HTTP keep-alive")
struct HTTPClientKeepAliveTests {
    @Test(
        "three POSTs: over one connection when the server keeps it alive, over three when it closes each",
        arguments: [(true, 1), (false, 3)]
    )
    func connectionsPerRequest(keepAlive: Bool, expectedConnections: Int) async throws {
        let server = try WebhookTestServer(keepAlive: keepAlive)
        let client = HTTPClient(configuration: HTTPClient.Configuration(connectTimeout: .seconds(30)))
        let url = try HTTPURL(parsing: server.url)
        for index in 0..<3 {
            let body = Array(#"{"events":[{"seq":\#(index)}]}"#.utf8)
            let response = try await client.send(HTTPRequest(method: "POST", headers: [], body: body), to: url)
            #expect(response.status == 200)
        }
        await client.close()
        await server.stop()
        #expect(server.requests.count == 3)
        #expect(server.requests.map(\.body).last == Array(#"{"events":[{"seq":2}]}"#.utf8))
        #expect(server.connectionCount == expectedConnections)
    }
}

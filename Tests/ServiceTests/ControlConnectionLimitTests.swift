import Events
import Foundation
import Glibc
import HAL
import Testing

@testable import Service

/// The control socket under descriptor pressure: capped clients, the oldest idle one closed first, and `accept`
/// failures that back off with one warning instead of stopping the daemon.
@Suite("Control socket limits")
struct ControlConnectionLimitTests {
    static func server(maxConnections: Int, logs: MemoryLogHandler) throws -> (ControlServer, UnixListener, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fl-\(UUID().uuidString.prefix(8)).sock"
        ).path
        let server = ControlServer(
            path: path,
            handler: ControlServerTests.EchoHandler(),
            writeTimeout: .milliseconds(300),
            maxConnections: maxConnections,
            logger: Logger(label: "control", level: .debug, handler: logs)
        )
        return (server, try server.bind(), path)
    }

    @Test("past the cap the oldest idle client is closed; a client being answered is never the one closed")
    func oldestIdleIsClosed() async throws {
        let logs = MemoryLogHandler()
        let (server, listener, path) = try Self.server(maxConnections: 3, logs: logs)
        let task = Task { try await server.serve(listener) }
        defer { task.cancel() }
        // The first client is in the middle of a request/answer exchange and then idle again, like floorctl.
        let first = try UnixStream.connect(path: path)
        _ = try await ControlServerTests.ask(first, #"{"id":1,"op":"echo"}"#)
        let second = try UnixStream.connect(path: path)
        _ = try await ControlServerTests.ask(second, #"{"id":2,"op":"echo"}"#)
        let third = try UnixStream.connect(path: path)
        _ = try await ControlServerTests.ask(third, #"{"id":3,"op":"echo"}"#)
        // A fourth: the first (oldest idle) is shut down; the others keep working.
        let fourth = try UnixStream.connect(path: path)
        let answer = try await ControlServerTests.ask(fourth, #"{"id":4,"op":"echo","args":{"n":4}}"#)
        #expect(answer["ok"] == true)
        #expect(try await first.readLine(timeout: .seconds(30)) == nil, "the oldest idle client was not closed")
        #expect(try await ControlServerTests.ask(second, #"{"id":5,"op":"echo"}"#)["ok"] == true)
        #expect(try await ControlServerTests.ask(third, #"{"id":6,"op":"echo"}"#)["ok"] == true)
    }

    @Test("EMFILE from accept backs off, is logged once, and the next client is served")
    func acceptFailuresBackOff() async throws {
        let logs = MemoryLogHandler()
        let (server, listener, path) = try Self.server(maxConnections: 8, logs: logs)
        listener.injectedAcceptFailures.withLock { $0 = Array(repeating: EMFILE, count: 6) }
        let task = Task { try await server.serve(listener) }
        defer { task.cancel() }
        let client = try UnixStream.connect(path: path)
        let answer = try await ControlServerTests.ask(client, #"{"id":1,"op":"echo","args":{"ok":true}}"#)
        #expect(answer["result"]?["ok"] == true)
        #expect(!task.isCancelled)
        let warnings = logs.entries.filter { $0.level == .warning }
        #expect(warnings.map(\.message) == ["cannot accept control clients; backing off"])
        #expect(warnings.first?.metadata["error"]?.contains("errno 24") == true)
    }

    @Test("the cap in force is at most a quarter of the descriptor limit")
    func capFollowsDescriptorLimit() throws {
        let logs = MemoryLogHandler()
        let (server, listener, _) = try Self.server(maxConnections: 4096, logs: logs)
        defer { listener.close() }
        var limit = rlimit()
        #expect(getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0)
        #expect(server.effectiveMaxConnections == min(4096, Int(limit.rlim_cur / 4)))
        let (small, smallListener, _) = try Self.server(maxConnections: 2, logs: logs)
        defer { smallListener.close() }
        #expect(small.effectiveMaxConnections == 2)
    }

    @Test("backoff doubles from 10 ms to 1 s; one warning per minute; recovery once accepts work for 10 s")
    func acceptFailureBookkeeping() {
        var failures = AcceptFailures()
        let start = ContinuousClock.now
        let delays = (0..<10).map { index in failures.failed(at: start + .milliseconds(index)) }
        #expect(delays.map { $0 / .milliseconds(1) } == [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000])
        var warned = 0
        var again = AcceptFailures()
        for second in 0..<150 {
            _ = again.failed(at: start + .seconds(second))
            if again.shouldWarn { warned += 1 }
        }
        #expect(warned == 3)
        #expect(again.succeeded(at: start + .seconds(150)) == nil)
        #expect(again.succeeded(at: start + .seconds(159)) == 150)
        #expect(again.succeeded(at: start + .seconds(170)) == nil)
    }
}

import Events
import Foundation
import HAL
import Locking
import Service
import TestSupport
import Testing

@Suite("Control socket")
struct ControlServerTests {
    /// Answers `echo` with its args, `follow` with an endless stream it counts, anything else as unknown.
    final class EchoHandler: ControlHandler {
        let produced = Locked(0)
        /// Set when the server stops consuming a follow stream (it dropped the client).
        let abandoned = Locked(false)

        func handle(_ request: ControlRequest) async -> ControlReply {
            switch request.op {
            case "echo":
                return .result(request.args)
            case "follow":
                let (stream, continuation) = AsyncStream<JSONValue>.makeStream(bufferingPolicy: .bufferingNewest(64))
                continuation.onTermination = { _ in self.abandoned.withLock { $0 = true } }
                Task {
                    var index: Int64 = 0
                    while !Task.isCancelled {
                        index += 1
                        produced.withLock { $0 += 1 }
                        if case .terminated = continuation.yield([
                            "n": .int(index), "pad": .string(String(repeating: "x", count: 65_536)),
                        ]) {
                            return
                        }
                        await Task.yield()
                    }
                }
                return .stream(stream)
            default:
                return .failure(ControlError(code: "unknown-op", message: "no operation \"\(request.op)\""))
            }
        }
    }

    /// A server on a fresh socket path, running until the returned task is cancelled.
    static func start(
        _ handler: EchoHandler = EchoHandler(),
        writeTimeout: Duration = .milliseconds(300),
        logger: Logger = Logger(label: "test", handler: MemoryLogHandler())
    ) throws -> (path: String, task: Task<Void, any Error>) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fl-\(UUID().uuidString.prefix(8)).sock"
        ).path
        let server = ControlServer(
            path: path,
            handler: handler,
            writeTimeout: writeTimeout,
            logger: logger
        )
        let listener = try server.bind()
        return (path, Task { try await server.serve(listener) })
    }

    static func ask(_ client: UnixStream, _ line: String) async throws -> JSONValue {
        try await client.writeLine(line)
        let reply = try #require(try await client.readLine(timeout: .seconds(30)))
        return try JSONValue(parsing: reply)
    }

    @Test("a request is answered on the same connection with its id echoed")
    func requestReply() async throws {
        let (path, task) = try Self.start()
        defer { task.cancel() }
        let client = try UnixStream.connect(path: path)
        let reply = try await Self.ask(client, #"{"id":7,"op":"echo","args":{"door":"A1"}}"#)
        #expect(reply.jsonText == #"{"id":7,"ok":true,"result":{"door":"A1"}}"#)
        let unknown = try await Self.ask(client, #"{"id":8,"op":"nope"}"#)
        #expect(unknown["error"]?["code"] == "unknown-op")
    }

    @Test(
        "malformed requests get an error reply and the connection keeps working",
        arguments: [
            ("not json", "malformed"), (#"["op","status"]"#, "malformed"), (#"{"id":1}"#, "malformed"),
            (#"{"op":"echo","args":[1]}"#, "malformed"),
        ]
    )
    func malformed(line: String, code: String) async throws {
        let (path, task) = try Self.start()
        defer { task.cancel() }
        let client = try UnixStream.connect(path: path)
        let reply = try await Self.ask(client, line)
        #expect(reply["ok"] == false)
        #expect(reply["error"]?["code"] == .string(code))
        let after = try await Self.ask(client, #"{"id":2,"op":"echo","args":{}}"#)
        #expect(after["ok"] == true)
    }

    @Test("a request line longer than 64 KiB is refused")
    func tooLong() async throws {
        let (path, task) = try Self.start()
        defer { task.cancel() }
        let client = try UnixStream.connect(path: path)
        let reply = try await Self.ask(client, String(repeating: "x", count: 70_000))
        #expect(reply["error"]?["code"] == "too-large")
    }

    @Test("a follower that stops reading is dropped, and other clients are still answered")
    func slowFollower() async throws {
        let handler = EchoHandler()
        let (path, task) = try Self.start(handler)
        defer { task.cancel() }
        let follower = try UnixStream.connect(path: path)
        try await follower.writeLine(#"{"id":1,"op":"follow"}"#)
        // Never reading: the socket buffers fill, the server's write times out and it lets go of the stream.
        let giveUp = ContinuousClock.now + .seconds(60)
        while !handler.abandoned.withLock({ $0 }), ContinuousClock.now < giveUp {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(handler.abandoned.withLock { $0 }, "the server should stop streaming to a client that stopped reading")
        let other = try UnixStream.connect(path: path)
        #expect(try await Self.ask(other, #"{"id":3,"op":"echo","args":{}}"#)["ok"] == true)
        other.close()
        // What was buffered can still be read; then the stream ends.
        let deadline = ContinuousClock.now + .seconds(60)
        var dropped = false
        while ContinuousClock.now < deadline {
            guard let line = try await follower.readLine(maxLength: 1 << 24, timeout: .seconds(2)) else {
                dropped = true
                break
            }
            _ = line
        }
        #expect(dropped, "the server should close a client that stopped reading")
    }

    @Test("a follower that hangs up is logged at debug level as a client that closed its connection, not as a device")
    func followerHangsUp() async throws {
        let log = MemoryLogHandler()
        let handler = EchoHandler()
        // The handler fills the socket while the follower reads its one line and hangs up: with the 0.3 s the
        // stalled-reader test uses, a sanitizer run that held this task between the read and the close that long
        // made the server drop the client as one that stopped reading before it could see the hang-up.
        let (path, task) = try Self.start(
            handler,
            writeTimeout: .seconds(60),
            logger: Logger(label: "control", level: .debug, handler: log)
        )
        defer { task.cancel() }
        let follower = try UnixStream.connect(path: path)
        try await follower.writeLine(#"{"id":1,"op":"follow"}"#)
        _ = try #require(try await follower.readLine(maxLength: 1 << 24, timeout: .seconds(30)))
        follower.close()
        try await BusSiteTests.eventually("the server lets go of the follower") { handler.abandoned.withLock { $0 } }
        let entries = log.entries
        let closed = entries.filter { $0.message == "control client closed its connection while following events" }
        #expect(closed.count == 1, "logged: \(entries.map(\.line))")
        #expect(closed.allSatisfy { $0.level == .debug && $0.metadata["pid"] == "\(getpid())" })
        #expect(
            !entries.contains { $0.line.contains("unplugged") || $0.line.contains("stopped reading") },
            "a hang-up must not read like a hardware fault or a stalled client: \(entries.map(\.line))"
        )
    }

    @Test("access is root, the daemon's user, or the floorlink group by primary or supplementary group")
    func accessPolicy() {
        let access = ControlAccess(ownUID: 998, groupID: 997)
        #expect(access.allows(uid: 0, gid: 0, pid: 1))
        #expect(access.allows(uid: 998, gid: 100, pid: 1))
        #expect(access.allows(uid: 1000, gid: 997, pid: 1))
        #expect(!access.allows(uid: 1000, gid: 100, pid: -1))
        #expect(!ControlAccess(ownUID: 998, groupID: nil).allows(uid: 1000, gid: 997, pid: -1))
    }

    @Test("a stale socket file from a crash is replaced; a regular file at the path is not")
    func staleSocket() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fl-\(UUID().uuidString.prefix(8)).sock"
        ).path
        let first = try UnixListener(path: path)
        _ = first  // a crash leaves the file behind: do not close
        let second = try UnixListener(path: path)
        second.close()
        try TestFile.write("keep me", to: path)
        defer { unlink(path) }
        #expect(throws: HALError.self) { try UnixListener(path: path) }
        #expect(FileManager.default.contents(atPath: path) == Data("keep me".utf8))
    }
}

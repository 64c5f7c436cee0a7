import Events
import Foundation
import Glibc
import IOEngine
import Locking
import Service

/// A control handler for tests: answers each op from a table and records every request it gets.
final class FakeDaemon: ControlHandler {
    private let answer: @Sendable (ControlRequest) -> ControlReply
    private let received = Locked<[ControlRequest]>([])

    init(_ answer: @escaping @Sendable (ControlRequest) -> ControlReply) {
        self.answer = answer
    }

    /// Replies with the result for the op, or `unknown-op`.
    convenience init(results: [String: JSONValue]) {
        self.init { request in
            results[request.op].map { .result($0) }
                ?? .failure(ControlError(code: "unknown-op", message: "no operation \"\(request.op)\""))
        }
    }

    func handle(_ request: ControlRequest) async -> ControlReply {
        received.withLock { $0.append(request) }
        return answer(request)
    }

    /// Every request so far, as JSON text (`{"id":1,"op":…,"args":…}`).
    var requests: [String] {
        received.withLock { $0.map(\.json.jsonText) }
    }
}

/// A `ControlServer` on a fresh temporary socket, served until `stop()`.
struct FakeDaemonServer: Sendable {
    let path: String
    let task: Task<Void, any Error>

    init(_ daemon: FakeDaemon) throws {
        path = "/tmp/floorctl-test-\(UUID().uuidString.prefix(8)).sock"
        let server = ControlServer(
            path: path,
            handler: daemon,
            access: ControlAccess(ownUID: getuid(), groupID: nil),
            writeTimeout: .seconds(2),
            logger: Logger(label: "fake-daemon", handler: MemoryLogHandler())
        )
        let listener = try server.bind()
        // On the I/O loop's thread, as floorlinkd runs it: on the global pool a sanitizer run of the whole suite
        // starved it past floorctl's 5 s wait for an answer.
        task = Task(executorPreference: try? IOLoop.shared()) { try await server.serve(listener) }
    }

    func stop() {
        task.cancel()
    }
}

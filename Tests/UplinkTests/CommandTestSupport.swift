import Events
import Glibc
import Locking
import Logging
import Testing
import Uplink

/// A `CommandTarget` that counts executions and answers from a table.
final class FakeCommandTarget: CommandTarget {
    private let state = Locked<[Command]>([])
    private let failures: [String: CommandFailure]

    init(failures: [String: CommandFailure] = [:]) {
        self.failures = failures
    }

    var executed: [Command] { state.withLock { $0 } }
    var count: Int { state.withLock { $0.count } }

    func execute(_ command: Command) async -> Result<JSONValue?, CommandFailure> {
        state.withLock { $0.append(command) }
        if let failure = failures[command.device] { return .failure(failure) }
        return .success(["device": .string(command.device)])
    }
}

/// Collects log lines.
final class LogRecorder: LogHandler {
    private let lines = Locked<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    var sink: @Sendable (String) -> Void {
        { line in self.lines.withLock { $0.append(line) } }
    }

    /// A logger at debug level whose entries are recorded as logfmt lines.
    var logger: Logger { Logger(label: "test", level: .debug, handler: self) }

    func write(_ entry: LogEntry) {
        lines.withLock { $0.append(entry.line) }
    }
}

enum CommandFixtures {
    static let key = Array("floorlink-example-key-0123456789abcdef".utf8)
    static let otherKey = Array("another-key-that-is-long-enough-0123456789".utf8)
    /// 2026-11-22T10:00:00Z.
    static let now = EventTime(millisecondsSinceEpoch: 1_795_341_600_000)
    static let nowSeconds: Int64 = 1_795_341_600

    /// A fresh empty directory under /tmp.
    static func temporaryDirectory() -> String {
        var template = Array("/tmp/floorlink-uplink-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        #expect(made != nil)
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A JSON payload; `signedWith` appends a `signature` member computed over the other members.
    static func payload(
        id: String = "cmd-1",
        command: String = "locker.open",
        device: String = "lockers-A",
        args: String = #"{"door":"A1","reason":"test"}"#,
        issuedAt: String? = "\"2026-11-22T10:00:00Z\"",
        signedWith key: [UInt8]? = CommandFixtures.key
    ) -> [UInt8] {
        var text = #"{"id":"\#(id)","command":"\#(command)","device":"\#(device)","args":\#(args)"#
        if let issuedAt { text += #","issuedAt":\#(issuedAt)"# }
        if let key {
            let parsed = try? Command(parsing: Array((text + "}").utf8))
            let signature = parsed.flatMap { CommandSigning.signature(for: $0, key: key) } ?? "unsignable"
            text += #","signature":"\#(signature)""#
        }
        return Array((text + "}").utf8)
    }

    static func intake(
        directory: String = temporaryDirectory(),
        key: [UInt8]? = CommandFixtures.key,
        now: EventTime = CommandFixtures.now,
        target: FakeCommandTarget = FakeCommandTarget(),
        log: LogRecorder = LogRecorder()
    ) throws -> CommandIntake {
        try CommandIntake(dataDirectory: directory, key: key, clock: { now }, target: target, log: log.sink)
    }

    static func readFile(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func writeFile(_ path: String, _ text: String) {
        guard let file = fopen(path, "w") else {
            Issue.record("cannot write \(path)")
            return
        }
        _ = Array(text.utf8).withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
    }
}

import Events
import Glibc
import HAL
import Service

/// One conversation with floorlinkd over its control socket: a request line out, a reply (or a stream of event
/// lines) back. Failures become `CommandFailure`s with the exit codes the CLI promises (1 refused, 69 unreachable).
struct DaemonClient: Sendable {
    /// Where the daemon listens unless `--socket` or `FLOORLINK_SOCKET` says otherwise.
    static let defaultSocketPath = "/run/floorlink/control.sock"

    /// The `--socket` option every daemon command takes.
    static let socketOption = OptionSpec.option(
        "socket",
        value: "path",
        "The daemon's control socket (else $FLOORLINK_SOCKET, else \(defaultSocketPath))."
    )

    let socketPath: String

    init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// The socket named by `--socket`, else `FLOORLINK_SOCKET`, else the default.
    init(_ context: CommandContext) {
        socketPath = Self.socketOverride(context) ?? Self.defaultSocketPath
    }

    /// The socket named by `--socket`, else by `FLOORLINK_SOCKET`; nil when neither names one.
    static func socketOverride(_ context: CommandContext) -> String? {
        if let path = context.arguments.option("socket") { return path }
        if let variable = getenv("FLOORLINK_SOCKET"), case let path = String(cString: variable), !path.isEmpty {
            return path
        }
        return nil
    }

    /// Sends `op` and returns its result; a refusal is a failure (exit 1) naming the daemon's message and code.
    func call(
        _ op: String,
        _ args: JSONValue = [:],
        timeout: Duration = .seconds(15)
    ) async throws(CommandFailure)
        -> JSONValue
    {
        let stream = try connect()
        defer { stream.close() }
        try await send(op, args, on: stream)
        let line: [UInt8]?
        do throws(HALError) {
            line = try await stream.readLine(maxLength: 16 << 20, timeout: timeout)
        } catch {
            throw lost(error)
        }
        guard let line else {
            throw CommandFailure("floorlinkd closed the connection without answering", exitCode: .unavailable)
        }
        let reply = try parse(line)
        if let failure = refusal(in: reply) { throw failure }
        return reply["result"] ?? .null
    }

    /// Follows the event stream like `journalctl -f`: when the daemon stops or reloads, says so on stderr, waits
    /// for it to answer again and resumes after the last seq shown (or the newest seq when it started, if none
    /// was shown), so nothing is skipped or shown twice. With `wait` false a closed stream is a failure (exit 69).
    func followEvents(_ args: JSONValue, wait: Bool, each: (JSONValue) -> Void) async throws(CommandFailure) {
        var stream = try connect()
        // Where a resume starts when nothing was shown: the newest seq when the follow started. Best effort: an
        // older daemon without `outbox` still streams, only without a seq to resume from.
        let started = (try? await call("outbox", timeout: .seconds(5)))?["lastSeq"]?.intValue.map(UInt64.init)
        // The last seq shown. Only it filters: the first stream's `-n` events are older than `started` and shown.
        var shown: UInt64?
        var resumeAfter: UInt64? { shown ?? started }
        var request = args
        while true {
            let ended = try await follow("events", request, on: stream) { event in
                if let seq = event["seq"]?.intValue.map(UInt64.init) {
                    if let last = shown, seq <= last { return }
                    shown = seq
                }
                each(event)
            }
            stream.close()
            guard wait else {
                let reason =
                    ended.map { "lost the connection to floorlinkd at \(socketPath): \($0)" }
                    ?? "floorlinkd at \(socketPath) closed the event stream: it stopped or reloaded"
                let last = resumeAfter.map { " (followed up to seq \($0))" } ?? ""
                throw CommandFailure(
                    reason + last + "; drop --no-wait to wait for it and resume",
                    exitCode: .unavailable
                )
            }
            Console.error("floorctl: daemon stopped; waiting…\n")
            stream = await reconnect()
            if let resumeAfter, case .object(var members) = args {
                members.removeAll { $0.0 == "after" }
                members.append(("after", .int(Int64(clamping: resumeAfter))))
                request = .object(members)
            }
            Console.error("floorctl: daemon back; resuming" + (resumeAfter.map { " after seq \($0)" } ?? "") + "\n")
        }
    }

    /// Connects once the daemon answers again, trying every quarter of a second.
    private func reconnect() async -> UnixStream {
        while true {
            try? await Task.sleep(for: .milliseconds(250))
            if let stream = try? UnixStream.connect(path: socketPath) { return stream }
        }
    }

    /// Sends `op` on `stream` and hands each event to `each` until the stream ends: nil when the daemon closed it,
    /// the error when the connection broke.
    private func follow(
        _ op: String,
        _ args: JSONValue,
        on stream: UnixStream,
        each: (JSONValue) -> Void
    ) async throws(CommandFailure) -> HALError? {
        do throws(HALError) {
            try await stream.writeLine(ControlRequest(id: 1, op: op, args: args).json.jsonText)
        } catch {
            return error
        }
        while true {
            let line: [UInt8]?
            do throws(HALError) {
                line = try await stream.readLine(maxLength: 16 << 20)
            } catch {
                return error
            }
            guard let line else { return nil }
            let reply = try parse(line)
            if let failure = refusal(in: reply) { throw failure }
            if let event = reply["event"] {
                each(event)
            } else if case .array(let events)? = reply["result"]?["events"] {
                events.forEach(each)
            }
        }
    }

    /// Whether something answers on the socket (for `doctor` and "busy" ports).
    func isReachable() -> Bool {
        guard let stream = try? UnixStream.connect(path: socketPath) else { return false }
        stream.close()
        return true
    }

    private func connect() throws(CommandFailure) -> UnixStream {
        do throws(HALError) {
            return try UnixStream.connect(path: socketPath)
        } catch {
            if case .permissionDenied = error {
                throw CommandFailure(
                    "permission denied on \(socketPath); add your user to the 'floorlink' group "
                        + "(sudo usermod -aG floorlink $USER, then log in again)",
                    exitCode: .unavailable
                )
            }
            throw Self.unreachable(socketPath)
        }
    }

    /// The failure for a socket nobody answers on, with the hint the CLI promises.
    static func unreachable(_ path: String) -> CommandFailure {
        CommandFailure(
            "cannot reach floorlinkd at \(path) (is it running? systemctl status floorlinkd; or pass --socket)",
            exitCode: .unavailable
        )
    }

    private func send(_ op: String, _ args: JSONValue, on stream: UnixStream) async throws(CommandFailure) {
        do throws(HALError) {
            try await stream.writeLine(ControlRequest(id: 1, op: op, args: args).json.jsonText)
        } catch {
            throw lost(error)
        }
    }

    private func parse(_ line: [UInt8]) throws(CommandFailure) -> JSONValue {
        do throws(JSONParseError) {
            return try JSONValue(parsing: line)
        } catch {
            throw CommandFailure("floorlinkd sent a reply that is not JSON (\(error))", exitCode: .unavailable)
        }
    }

    private func refusal(in reply: JSONValue) -> CommandFailure? {
        guard reply["ok"] == .bool(false) else { return nil }
        let code = reply["error"]?["code"]?.stringValue ?? "error"
        let message = reply["error"]?["message"]?.stringValue ?? "the daemon refused the request"
        return CommandFailure("\(message) (\(code))")
    }

    private func lost(_ error: HALError) -> CommandFailure {
        if case .timedOut = error {
            return CommandFailure("floorlinkd at \(socketPath) did not answer in time", exitCode: .unavailable)
        }
        return CommandFailure("lost the connection to floorlinkd at \(socketPath): \(error)", exitCode: .unavailable)
    }
}

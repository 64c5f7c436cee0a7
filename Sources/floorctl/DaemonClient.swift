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
        if let path = context.arguments.option("socket") {
            socketPath = path
        } else if let variable = getenv("FLOORLINK_SOCKET"), case let path = String(cString: variable), !path.isEmpty {
            socketPath = path
        } else {
            socketPath = Self.defaultSocketPath
        }
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

    /// Sends a streaming `op` and hands each event to `each` until the daemon closes the stream.
    func follow(_ op: String, _ args: JSONValue, each: (JSONValue) -> Void) async throws(CommandFailure) {
        let stream = try connect()
        defer { stream.close() }
        try await send(op, args, on: stream)
        while true {
            let line: [UInt8]?
            do throws(HALError) {
                line = try await stream.readLine(maxLength: 16 << 20)
            } catch {
                throw lost(error)
            }
            guard let line else { return }
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

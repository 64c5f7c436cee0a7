import Events
import Foundation
import Glibc
import HAL
import Service
import TestSupport

/// The built `floorlinkd`, started as a process by a test, with stdout and stderr in the test's scratch directory.
final class Floorlinkd: Sendable {
    /// The `floorlinkd` built beside the test bundle.
    static var path: String { get throws { try BuiltProduct.path("floorlinkd") } }

    let child: ChildProcess
    let socket: String
    let standardErrorPath: String

    /// Starts `floorlinkd --config CONFIG ARGUMENTS`; `socket` is the config's control socket. The runner's own
    /// sd_notify variables are never passed on, only those in `environment`.
    init(
        config: String,
        socket: String,
        scratch: Scratch,
        arguments: [String] = [],
        environment: [String: String] = [:],
        softFileLimit: Int? = nil
    ) throws {
        var variables = Spawn.currentEnvironment
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { variables[name] = nil }
        variables.merge(environment) { $1 }
        self.socket = socket
        standardErrorPath = scratch.path("floorlinkd.stderr")
        // util-linux's prlimit sets the soft descriptor limit and then execs the daemon (same pid).
        let command = ["--config", config] + arguments
        let path = try Self.path
        child = try ChildProcess(
            softFileLimit == nil ? path : "/usr/bin/prlimit",
            softFileLimit.map { ["--nofile=\($0):", "--", path] + command } ?? command,
            environment: variables,
            outputPath: scratch.path("floorlinkd.stdout"),
            errorPath: standardErrorPath,
            truncating: true
        )
    }

    /// What the daemon has written to stderr so far.
    var standardError: String {
        Scratch.contents(ofFile: standardErrorPath)
    }

    /// Waits until the control socket answers `status` and returns its result; throws (with the daemon's
    /// stderr) if it exits or does not answer within `timeout`.
    @discardableResult
    func waitUntilServing(timeout: Duration = .seconds(30)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = child.exitStatus {
                throw HarnessError("floorlinkd exited \(status) before serving; stderr:\n\(standardError)")
            }
            if let reply = try? await Control.request(socket, op: "status"), let result = reply["result"] {
                return result
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("floorlinkd did not answer on \(socket) within \(timeout); stderr:\n\(standardError)")
    }

    /// Runs `body`; an error it throws comes back with the daemon's stderr so far (a failed request alone, as
    /// "Caught error", says nothing of what the daemon was doing).
    func explainingFailure<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            let state = child.exitStatus.map { "exited \($0)" } ?? "running"
            throw HarnessError("\(error); floorlinkd \(state), stderr:\n\(standardError)")
        }
    }

    /// SIGTERM, then SIGKILL after `grace`, reaped by a thread of its own: for `defer`, which cannot await.
    func stop(grace: Duration = .seconds(5)) { child.stop(grace: grace) }

    /// SIGTERM, then SIGKILL after `grace`, waiting for the exit without holding a thread: before a second daemon
    /// opens the same data directory.
    func stopAndWait(grace: Duration = .seconds(5)) async { await child.stopAndWait(grace: grace) }

    /// Runs `floorlinkd ARGUMENTS` to completion, in `workingDirectory` when given (through `env --chdir`): its exit
    /// status, stdout and stderr.
    static func run(
        _ arguments: [String],
        scratch: Scratch,
        workingDirectory: String? = nil
    ) async throws -> (status: Int32, output: String, error: String) {
        let path = try Self.path
        let child = try ChildProcess(
            workingDirectory == nil ? path : "/usr/bin/env",
            workingDirectory.map { ["--chdir=\($0)", path] + arguments } ?? arguments,
            outputPath: scratch.path("run.stdout"),
            errorPath: scratch.path("run.stderr"),
            truncating: true
        )
        guard let status = await child.waitForExit(timeout: .seconds(30)) else {
            child.stop(signal: SIGKILL)
            throw HarnessError("floorlinkd \(arguments) did not exit within 10 s")
        }
        return (status, scratch.read("run.stdout"), scratch.read("run.stderr"))
    }
}

/// Runs the built `floorctl ARGUMENTS` to completion, with `--socket` of `daemon` when given: its exit status, stdout
/// and stderr.
func runFloorctl(
    _ arguments: [String],
    daemon: Floorlinkd? = nil,
    scratch: Scratch
) async throws -> (status: Int32, output: String, error: String) {
    let child = try ChildProcess(
        try BuiltProduct.path("floorctl"),
        arguments + (daemon.map { ["--socket", $0.socket] } ?? []),
        outputPath: scratch.path("floorctl.stdout"),
        errorPath: scratch.path("floorctl.stderr"),
        truncating: true
    )
    guard let status = await child.waitForExit(timeout: .seconds(30)) else {
        child.stop(signal: SIGKILL)
        throw HarnessError("floorctl \(arguments) did not exit within 30 s")
    }
    return (status, scratch.read("floorctl.stdout"), scratch.read("floorctl.stderr"))
}

/// Requests on the daemon's control socket.
enum Control {
    /// Sends `line` on a fresh connection and returns the parsed reply.
    static func send(_ socket: String, line: String, timeout: Duration = .seconds(30)) async throws -> JSONValue {
        let stream = try UnixStream.connect(path: socket)
        defer { stream.close() }
        return try await stream.exchange(line, timeout: timeout)
    }

    /// `{"id":ID,"op":OP}` on a fresh connection.
    static func request(_ socket: String, op: String, id: Int64 = 1) async throws -> JSONValue {
        try await send(socket, line: JSONValue.object([("id", .int(id)), ("op", .string(op))]).jsonText)
    }

    /// The ids of the devices a `status` result lists.
    static func deviceIDs(_ status: JSONValue) -> [String] {
        guard case .array(let devices) = status["devices"] ?? .null else { return [] }
        return devices.compactMap { $0["id"]?.stringValue }
    }
}

extension UnixStream {
    /// Writes one request line and reads the reply line, parsed.
    func exchange(_ line: String, timeout: Duration = .seconds(30)) async throws -> JSONValue {
        try await writeLine(line)
        guard let reply = try await readLine(timeout: timeout) else {
            throw HarnessError("the daemon closed the connection without a reply to \(line)")
        }
        return try JSONValue(parsing: reply)
    }
}

/// Site configs for the tests, as JSON.
enum Sites {
    /// One barcode scanner on `port` (a pty when `hardware` is linux), optionally an MQTT uplink.
    static func scanner(
        _ scratch: Scratch,
        port: String,
        hardware: String = "linux",
        deviceID: String = "scanner-1",
        mqtt: String? = nil
    ) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("site", "e2e"), ("controller", "c1"), ("hardware", .string(hardware)),
            ("dataDir", .string(scratch.path("data"))),
            (
                "devices",
                [
                    [
                        "id": .string(deviceID), "kind": "barcode-scanner", "port": .string(port), "baud": 9600,
                        "terminator": "\r\n", "aimPrefix": true,
                    ]
                ]
            ),
        ]
        if let mqtt { members.append(("uplinks", ["mqtt": ["url": .string(mqtt), "clientId": "e2e-c1"]])) }
        members.append(("control", ["socket": .string(scratch.path("control.sock"))]))
        return .object(members)
    }

    /// `hal/sites/demo.json` with the test's data directory, control socket, MQTT uplink (none when nil: the demo's
    /// own broker address is 127.0.0.1:1883, which a test must not use) and metrics listener (off when nil).
    static func demo(_ scratch: Scratch, mqtt: String?, metrics: String? = nil) throws -> JSONValue {
        let text = try String(contentsOfFile: Package.root + "/hal/sites/demo.json", encoding: .utf8)
        var demo = try JSONValue(parsing: text)
        demo = demo.setting("dataDir", .string(scratch.path("data")))
        demo = demo.setting("control", ["socket": .string(scratch.path("control.sock"))])
        if let mqtt {
            demo = demo.setting("uplinks", ["mqtt": ["url": .string(mqtt), "clientId": "demo-e2e"]])
        } else {
            demo = demo.setting("uplinks", [:])
        }
        if let metrics {
            demo = demo.setting("metrics", ["listen": .string(metrics)])
        } else {
            demo = demo.removing("metrics")
        }
        return demo
    }
}

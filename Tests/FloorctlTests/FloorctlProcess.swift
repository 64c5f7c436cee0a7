import Foundation
import Glibc
import TestSupport

/// What a run of the built `floorctl` produced.
struct FloorctlRun: Sendable {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// Runs the built `floorctl` binary with `posix_spawn` and pipes, on a thread of its own so a fake daemon in the
/// test process keeps the cooperative pool (Foundation's `Process.waitUntilExit()` hangs off the main thread).
enum FloorctlProcess {
    /// The `floorctl` built beside the test bundle.
    static var executablePath: String { get throws { try BuiltProduct.path("floorctl") } }

    /// Runs `floorctl arguments` with `FLOORLINK_SOCKET` removed from the environment (plus `environment`), in
    /// `workingDirectory` when given (through `env --chdir`), and kills it after `timeout`.
    static func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        workingDirectory: String? = nil,
        timeout: Duration = .seconds(30)
    ) async throws -> FloorctlRun {
        var variables = ProcessInfo.processInfo.environment
        variables["FLOORLINK_SOCKET"] = nil
        variables.merge(environment) { $1 }
        let environmentLines = variables.map { "\($0.key)=\($0.value)" }
        let executablePath = try Self.executablePath
        let path = workingDirectory == nil ? executablePath : "/usr/bin/env"
        let arguments = workingDirectory.map { ["--chdir=\($0)", executablePath] + arguments } ?? arguments
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(
                    with: Result { try spawnAndWait(path, arguments, environmentLines, timeout: timeout) }
                )
            }
            thread.start()
        }
    }

    private static func spawnAndWait(
        _ path: String,
        _ arguments: [String],
        _ environment: [String],
        timeout: Duration
    ) throws -> FloorctlRun {
        var outputPipe: [Int32] = [0, 0]
        var errorPipe: [Int32] = [0, 0]
        guard pipe(&outputPipe) == 0, pipe(&errorPipe) == 0 else { throw SpawnError("pipe failed: errno \(errno)") }
        var variables: [String: String] = [:]
        for entry in environment {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            variables[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        let spawned: Result<pid_t, HarnessError>
        do throws(HarnessError) {
            spawned = .success(
                try Spawn.start(path, arguments, environment: variables) { actions in
                    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
                    posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
                    posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
                    for descriptor in outputPipe + errorPipe { posix_spawn_file_actions_addclose(&actions, descriptor) }
                }
            )
        } catch {
            spawned = .failure(error)
        }
        close(outputPipe[1])
        close(errorPipe[1])
        defer {
            close(outputPipe[0])
            close(errorPipe[0])
        }
        guard case .success(let pid) = spawned else { throw SpawnError("cannot start \(path)") }

        let deadline = ContinuousClock.now + timeout
        var output: [UInt8] = []
        var errors: [UInt8] = []
        var open = [outputPipe[0], errorPipe[0]]
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !open.isEmpty {
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                kill(pid, SIGKILL)
                break
            }
            var pollers = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&pollers, nfds_t(pollers.count), Int32(left.components.seconds * 1000 + 1))
            if ready < 0, errno == EINTR { continue }
            for poller in pollers where poller.revents != 0 {
                let count = read(poller.fd, &buffer, buffer.count)
                if count > 0 {
                    if poller.fd == outputPipe[0] {
                        output += buffer.prefix(count)
                    } else {
                        errors += buffer.prefix(count)
                    }
                } else if count == 0 || errno != EINTR {
                    open.removeAll { $0 == poller.fd }
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let signal = status & 0x7f
        return FloorctlRun(
            status: signal == 0 ? (status >> 8) & 0xff : 128 + signal,
            standardOutput: String(decoding: output, as: UTF8.self),
            standardError: String(decoding: errors, as: UTF8.self)
        )
    }
}

/// A failure to start the child.
struct SpawnError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

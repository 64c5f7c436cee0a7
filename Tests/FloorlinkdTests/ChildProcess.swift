import Glibc
import Locking
import TestSupport

/// A child process started with `posix_spawn` and reaped with non-blocking `waitpid` polls, so waiting for it
/// never holds a cooperative thread (Foundation's `Process.waitUntilExit()` hangs off the main thread here).
final class ChildProcess: Sendable {
    let pid: pid_t
    let path: String
    /// The exit status once reaped (128 + signal when killed).
    private let reaped = Locked<Int32?>(nil)

    /// Starts `path` with `arguments` and `environment` (nil: this process's); stdout and stderr go to the
    /// named files (created or truncated) or to /dev/null.
    init(
        _ path: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        standardOutput: String? = nil,
        standardError: String? = nil
    ) throws {
        pid = try Spawn.start(path, arguments, environment: environment) { actions in
            let flags = O_WRONLY | O_CREAT | O_TRUNC | O_APPEND
            posix_spawn_file_actions_addopen(&actions, 1, standardOutput ?? "/dev/null", flags, 0o644)
            posix_spawn_file_actions_addopen(&actions, 2, standardError ?? "/dev/null", flags, 0o644)
        }
        self.path = path
    }

    /// The exit status if the child has exited (reaping it), nil while it runs.
    var exitStatus: Int32? {
        reaped.withLock { reaped in
            if let reaped { return reaped }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            guard result == pid else { return nil }
            let signal = status & 0x7f
            reaped = signal == 0 ? (status >> 8) & 0xff : 128 + signal
            return reaped
        }
    }

    var isRunning: Bool { exitStatus == nil }

    /// Waits up to `timeout` for the child to exit; its status, or nil if it is still running.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = exitStatus { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exitStatus
    }

    /// Sends `signal` unless the child has been reaped (its pid may belong to someone else by then).
    func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Sends `signal`, waits up to `grace` for the exit, then SIGKILLs and reaps: for `defer` blocks, which
    /// cannot await, so the wait is a short blocking poll.
    func stop(signal: Int32 = SIGTERM, grace: Duration = .seconds(5)) {
        guard isRunning else { return }
        kill(pid, signal)
        let deadline = ContinuousClock.now + grace
        while isRunning, ContinuousClock.now < deadline { usleep(10_000) }
        guard isRunning else { return }
        kill(pid, SIGKILL)
        while isRunning { usleep(5_000) }
    }

    /// Runs `path` to completion (at most `timeout`) and returns its exit status.
    static func run(
        _ path: String,
        _ arguments: [String],
        timeout: Duration = .seconds(30)
    ) async throws -> Int32 {
        let child = try ChildProcess(path, arguments)
        if let status = await child.waitForExit(timeout: timeout) { return status }
        child.stop(signal: SIGKILL)
        throw HarnessError("\(path) did not finish within \(timeout)")
    }
}

/// A failure of the test harness itself (not of the daemon).
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

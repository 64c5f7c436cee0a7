import Foundation
import Glibc
import Locking

/// A child process started with `posix_spawn` and reaped with `waitpid` (Foundation's `Process.waitUntilExit()`
/// can hang off the main thread on Linux). Nothing here blocks the caller: waits poll with `Task.sleep`, and
/// `stop` hands the wait to a thread of its own, so no test ever holds a cooperative thread on a child.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    public let path: String
    /// The exit status once reaped (128 + signal when killed).
    private let reaped = Locked<Int32?>(nil)

    /// Starts `path` with `arguments` and `environment` (nil: this process's); stdout goes to `outputPath` and
    /// stderr to `errorPath` (appended, or emptied first when `truncating`; else /dev/null), unless `inheritOutput`.
    public init(
        _ path: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        inheritOutput: Bool = false,
        outputPath: String? = nil,
        errorPath: String? = nil,
        truncating: Bool = false
    ) throws {
        pid = try Spawn.start(path, arguments, environment: environment) { actions in
            guard !inheritOutput else { return }
            let flags = O_WRONLY | O_CREAT | O_APPEND | (truncating ? O_TRUNC : 0)
            posix_spawn_file_actions_addopen(&actions, 1, outputPath ?? "/dev/null", flags, 0o644)
            posix_spawn_file_actions_addopen(&actions, 2, errorPath ?? "/dev/null", flags, 0o644)
        }
        self.path = path
    }

    /// The exit status if the child has exited (reaping it), nil while it runs.
    public var exitStatus: Int32? {
        reaped.withLock { reaped in
            if let reaped { return reaped }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            let signal = status & 0x7f
            reaped = signal == 0 ? (status >> 8) & 0xff : 128 + signal
            return reaped
        }
    }

    public var isRunning: Bool { exitStatus == nil }

    /// Waits, without holding a thread, until the child exits; its exit status.
    @discardableResult
    public func waitForExit() async -> Int32 {
        while true {
            if let status = await waitForExit(timeout: .seconds(1)) { return status }
        }
    }

    /// Waits up to `timeout` for the child to exit; its status, or nil if it is still running.
    public func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = exitStatus { return status }
            guard await Poll.pause(.milliseconds(10)) else { break }
        }
        return exitStatus
    }

    /// Sends `signal` unless the child has been reaped (its pid may belong to someone else by then).
    public func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Sends `signal` and returns at once; a thread of its own (never a cooperative one) waits up to `grace`,
    /// SIGKILLs if need be, reaps, then runs `afterExit`. For `defer` blocks, which cannot await: a blocking wait
    /// there would hold one of the few cooperative threads (two on a 2-core machine) for as long as the child
    /// takes to stop, and the tests running alongside (whose MQTT and HTTP clients run on those threads) starve.
    public func stop(
        signal: Int32 = SIGTERM,
        grace: Duration = .seconds(5),
        afterExit: (@Sendable () -> Void)? = nil
    ) {
        guard isRunning else {
            afterExit?()
            return
        }
        kill(pid, signal)
        Thread.detachNewThread { [self] in
            let deadline = ContinuousClock.now + grace
            while isRunning, ContinuousClock.now < deadline { usleep(5_000) }
            if isRunning { kill(pid, SIGKILL) }
            while isRunning { usleep(5_000) }
            afterExit?()
        }
    }

    /// Sends `signal` and waits, without holding a thread, until the child exits (SIGKILL after `grace`).
    @discardableResult
    public func stopAndWait(signal: Int32 = SIGTERM, grace: Duration = .seconds(5)) async -> Int32 {
        if let status = exitStatus { return status }
        kill(pid, signal)
        if let status = await waitForExit(timeout: grace) { return status }
        kill(pid, SIGKILL)
        return await waitForExit()
    }

    /// Runs `path` to completion (at most `timeout`, then SIGKILL and an error) and returns its exit status.
    public static func run(_ path: String, _ arguments: [String], timeout: Duration) async throws -> Int32 {
        let child = try ChildProcess(path, arguments)
        if let status = await child.waitForExit(timeout: timeout) { return status }
        child.stop(signal: SIGKILL)
        throw HarnessError("\(path) did not finish within \(timeout)")
    }
}

/// A child process that could not be started.

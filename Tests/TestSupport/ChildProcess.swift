import Glibc

/// A child process started with `posix_spawn` and reaped with `waitpid`: Foundation's
/// `Process.waitUntilExit()` can hang when called off the main thread on Linux.
public final class ChildProcess: Sendable {
    public let pid: pid_t

    /// Starts `path` with `arguments`; stdout goes to `outputPath` and stderr to `errorPath` (appended; else
    /// /dev/null), unless `inheritOutput`.
    public init(
        _ path: String,
        _ arguments: [String],
        inheritOutput: Bool = false,
        outputPath: String? = nil,
        errorPath: String? = nil
    ) throws {
        pid = try Spawn.start(path, arguments) { actions in
            guard !inheritOutput else { return }
            let flags = O_WRONLY | O_CREAT | O_APPEND
            posix_spawn_file_actions_addopen(&actions, 1, outputPath ?? "/dev/null", flags, 0o644)
            posix_spawn_file_actions_addopen(&actions, 2, errorPath ?? "/dev/null", flags, 0o644)
        }
    }

    /// Waits for the child to exit and returns its exit status (128 + signal when killed).
    @discardableResult
    public func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Sends `signal` and waits for the child to exit; returns its exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM) -> Int32 {
        kill(pid, signal)
        return wait()
    }

    /// Runs `path` to completion and returns its exit status.
    public static func run(_ path: String, _ arguments: [String]) throws -> Int32 {
        try ChildProcess(path, arguments).wait()
    }
}

/// A child process that could not be started.
public struct ChildProcessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

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
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if !inheritOutput {
            posix_spawn_file_actions_addopen(
                &actions,
                1,
                outputPath ?? "/dev/null",
                O_WRONLY | O_CREAT | O_APPEND,
                0o644
            )
            posix_spawn_file_actions_addopen(
                &actions,
                2,
                errorPath ?? "/dev/null",
                O_WRONLY | O_CREAT | O_APPEND,
                0o644
            )
        }
        // The test runner's threads block signals; a child must start with none blocked and default handlers,
        // or it ignores the SIGTERM that `stop()` sends.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard result == 0 else { throw ChildProcessError("cannot start \(path): errno \(result)") }
        self.pid = pid
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

import CLinuxIO
import Glibc

/// `posix_spawn` as every test and benchmark needs it: the test runner's threads block signals, so a child must
/// start with none blocked and default handlers, or it ignores the SIGTERM a test sends. (Foundation's
/// `Process.waitUntilExit()` is not used: it can hang off the main thread on Linux.)
public enum Spawn {
    /// Starts `path` with `arguments` and `environment` (nil: this process's), after `configure` has set up
    /// its file actions (redirections onto 0, 1 and 2); returns the child's pid. The child holds no other
    /// descriptor: whatever the test process (or the CI runner before it) left open without close-on-exec would
    /// count against the child's descriptor limit, and a daemon started with 40 then failed before it served.
    public static func start(
        _ path: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        configure: (inout posix_spawn_file_actions_t) -> Void = { _ in }
    ) throws(HarnessError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        configure(&actions)
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
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
        let envp = (environment ?? currentEnvironment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else { throw HarnessError("cannot start \(path): errno \(result)") }
        return pid
    }

    /// This process's environment.
    public static var currentEnvironment: [String: String] {
        var variables: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return variables
    }
}

import Glibc

/// Runs the tools the package is made with (`strip`, `gzip`, `md5sum`, `dpkg-deb`) and waits for them.
enum Subprocess {
    /// Runs `program` (looked up on `PATH`) with `arguments`, its standard output written to `outputPath` when
    /// given (else inherited); throws unless it exits 0.
    static func run(_ program: String, _ arguments: [String], outputPath: String? = nil) throws(PackagingError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let outputPath {
            posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let started = posix_spawnp(&pid, program, &actions, nil, argv, environ)
        guard started == 0 else {
            throw PackagingError("cannot run \(program): \(String(cString: strerror(started)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        guard signal == 0, (status >> 8) & 0xFF == 0 else {
            let outcome = signal == 0 ? "exited \((status >> 8) & 0xFF)" : "was killed by signal \(signal)"
            throw PackagingError("\(([program] + arguments).joined(separator: " ")) \(outcome)")
        }
    }
}

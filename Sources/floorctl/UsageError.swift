/// A command line that does not fit the command: printed as `Error: …` with the command's usage line, exit 64.
struct UsageError: Error, Hashable, Sendable {
    /// The names from the root to the command whose usage applies, e.g. `["floorctl", "locker", "open"]`.
    var commandPath: [String]
    /// What was wrong, worded as swift-argument-parser words it.
    var message: String
}

/// An operation that ran and did not succeed: printed as `Error: …` on stderr, exit with `exitCode`.
struct CommandFailure: Error, Hashable, Sendable {
    /// The sentence for the technician (what failed and, where one helps, what to do).
    var message: String
    var exitCode: ExitCode

    init(_ message: String, exitCode: ExitCode = .failure) {
        self.message = message
        self.exitCode = exitCode
    }
}

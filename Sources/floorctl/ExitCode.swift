/// A process exit status, named as sysexits.h and swift-argument-parser name them.
struct ExitCode: Hashable, Sendable {
    /// The status handed to `exit(3)`.
    var rawValue: Int32

    /// Everything worked.
    static let success = ExitCode(rawValue: 0)
    /// The operation ran and failed (the daemon said no, a check failed, the data was invalid).
    static let failure = ExitCode(rawValue: 1)
    /// The command line was wrong (`EX_USAGE`).
    static let usage = ExitCode(rawValue: 64)
    /// A service the command needs is not there (`EX_UNAVAILABLE`), e.g. the daemon.
    static let unavailable = ExitCode(rawValue: 69)
}

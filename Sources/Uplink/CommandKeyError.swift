/// The command key could not be used: which file, what is wrong, and how to make a good one.
public struct CommandKeyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The key file, or `(key)` for a key handed over in memory.
    public var path: String
    /// What is wrong with it.
    public var problem: String

    /// An error about the key at `path`.
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    /// The problem and how to make a good key.
    public var description: String {
        let file = path.hasPrefix("/") ? path : "/etc/floorlink/command.key"
        return "command key \(path) \(problem); create one with `openssl rand -hex 32 > \(file)`, readable only by "
            + "the floorlink user, and give the same bytes to the upstream that signs commands"
    }
}

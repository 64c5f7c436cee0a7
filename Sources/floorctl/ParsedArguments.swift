/// A command line after parsing: flags set, option values (defaults applied) and positional values by name.
struct ParsedArguments: Hashable, Sendable {
    var flags: Set<String> = []
    var options: [String: String] = [:]
    /// Every value of each repeatable option, in command-line order.
    var repeatedOptions: [String: [String]] = [:]
    var positionals: [String: [String]] = [:]

    /// Whether the flag `--name` was given.
    func flag(_ name: String) -> Bool {
        flags.contains(name)
    }

    /// The value of option `--name`, or its default; nil when absent without a default.
    func option(_ name: String) -> String? {
        options[name]
    }

    /// Every value given for the repeatable option `--name`, in order; empty when absent.
    func values(_ name: String) -> [String] {
        repeatedOptions[name] ?? []
    }

    /// The integer value of option `--name` (validated while parsing).
    func integer(_ name: String) -> Int? {
        options[name].flatMap { Int($0) }
    }

    /// The value of positional `<name>`; nil when an optional one was not given.
    func argument(_ name: String) -> String? {
        positionals[name]?.first
    }

    /// Every value of a variadic positional `<name> ...`.
    func arguments(_ name: String) -> [String] {
        positionals[name] ?? []
    }
}

/// What a value on the command line may be; checked while parsing so a bad value is a usage error.
enum ValueKind: Hashable, Sendable {
    /// Any text.
    case text
    /// A whole number in the range.
    case integer(ClosedRange<Int>)
    /// One of the listed words.
    case choice([String])

    /// Whether `text` is acceptable.
    func accepts(_ text: String) -> Bool {
        switch self {
        case .text: return true
        case .integer(let range): return Int(text).map { range.contains($0) } ?? false
        case .choice(let words): return words.contains(text)
        }
    }
}

/// A positional argument, shown as `<name>` in usage and help.
struct ArgumentSpec: Hashable, Sendable {
    /// The value name, e.g. `door`.
    var name: String
    var abstract: String
    var isOptional: Bool
    /// Takes every remaining positional value (only the last argument may).
    var isVariadic: Bool
    var kind: ValueKind

    init(_ name: String, _ abstract: String, optional: Bool = false, variadic: Bool = false, kind: ValueKind = .text) {
        self.name = name
        self.abstract = abstract
        self.isOptional = optional
        self.isVariadic = variadic
        self.kind = kind
    }

    /// `<door>`, `[<slot>]` or `<values> ...` as the usage line shows it.
    var synopsis: String {
        var text = "<\(name)>"
        if isVariadic { text += " ..." }
        return isOptional ? "[\(text)]" : text
    }
}

/// A named option (`--baud <baud>`) or flag (`--hex`), with an optional one-letter short name.
struct OptionSpec: Hashable, Sendable {
    /// The long name without dashes, e.g. `follow`.
    var long: String
    var short: Character?
    var abstract: String
    /// The value's name in help (`<baud>`); nil for a flag.
    var valueName: String?
    /// Shown as `(default: …)` and used when the option is absent.
    var defaultValue: String?
    var kind: ValueKind
    /// Whether the option may be given more than once, each value kept (`--type scan --type locker.*`).
    var isRepeatable = false

    /// A flag: present or absent.
    static func flag(_ long: String, short: Character? = nil, _ abstract: String) -> OptionSpec {
        OptionSpec(long: long, short: short, abstract: abstract, valueName: nil, defaultValue: nil, kind: .text)
    }

    /// An option that may be given more than once; every value is kept, in order (`ParsedArguments.values`).
    static func repeatable(
        _ long: String,
        short: Character? = nil,
        value: String? = nil,
        kind: ValueKind = .text,
        _ abstract: String
    ) -> OptionSpec {
        var option = option(long, short: short, value: value, kind: kind, abstract)
        option.isRepeatable = true
        return option
    }

    /// An option taking one value.
    static func option(
        _ long: String,
        short: Character? = nil,
        value: String? = nil,
        default defaultValue: String? = nil,
        kind: ValueKind = .text,
        _ abstract: String
    ) -> OptionSpec {
        OptionSpec(
            long: long,
            short: short,
            abstract: abstract,
            valueName: value ?? long,
            defaultValue: defaultValue,
            kind: kind
        )
    }

    var takesValue: Bool { valueName != nil }

    /// `--baud <baud>` (the preferred name only), as error messages show it.
    var synopsis: String {
        let name = "--\(long)"
        return valueName.map { "\(name) <\($0)>" } ?? name
    }

    /// `--baud <baud>`, or `--type <type> ...` for a repeatable option, as the usage line shows it.
    var usageSynopsis: String {
        isRepeatable ? synopsis + " ..." : synopsis
    }

    /// `-b, --baud <baud>` (every name), as the help's OPTIONS section shows it.
    var helpLabel: String {
        let names = (short.map { "-\($0), " } ?? "") + "--\(long)"
        return valueName.map { "\(names) <\($0)>" } ?? names
    }
}

/// What a command does with its parsed command line: an exit code, or a thrown `UsageError`/`CommandFailure`.
typealias CommandAction = @Sendable (CommandContext) async throws -> ExitCode

/// One node of the command tree: `floorctl`, `floorctl locker`, `floorctl locker open`.
struct Command: Sendable {
    /// The word typed on the command line.
    var name: String
    /// One line for OVERVIEW and the parent's SUBCOMMANDS list.
    var abstract: String
    /// Paragraphs printed after the abstract in help.
    var discussion: String
    var arguments: [ArgumentSpec]
    var options: [OptionSpec]
    var subcommands: [Command]
    /// Nil for a group: running a group prints its help.
    var action: CommandAction?

    init(
        _ name: String,
        abstract: String,
        discussion: String = "",
        arguments: [ArgumentSpec] = [],
        options: [OptionSpec] = [],
        subcommands: [Command] = [],
        action: CommandAction? = nil
    ) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.arguments = arguments
        self.options = options
        self.subcommands = subcommands
        self.action = action
    }

    /// The subcommand called `name`.
    func subcommand(named name: String) -> Command? {
        subcommands.first { $0.name == name }
    }
}

/// What a running command gets: where it sits in the tree and its parsed command line.
struct CommandContext: Sendable {
    /// Names from the root, e.g. `["floorctl", "locker", "open"]`.
    var commandPath: [String]
    var arguments: ParsedArguments

    /// A usage error for this command (exit 64 with its usage line).
    func usageError(_ message: String) -> UsageError {
        UsageError(commandPath: commandPath, message: message)
    }
}

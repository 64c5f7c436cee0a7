/// What a command line asks for, once parsed against the command tree.
enum ParseOutcome: Sendable {
    /// Run the last command of the stack with these arguments.
    case run(commandStack: [Command], arguments: ParsedArguments)
    /// Print the help of the last command of the stack (`-h`, `--help`, `help CMD`, or a group run bare).
    case help(commandStack: [Command])
    /// Print the version (`--version` on the root).
    case version
}

/// Parses a command line the way swift-argument-parser does: subcommand words first, then `--opt=value`,
/// `--opt value`, grouped short flags (`-fj`), positionals, and `--` ending the options.
struct ArgumentParser: Sendable {
    let root: Command

    /// Parses `arguments` (without the program name).
    func parse(_ arguments: [String]) throws(UsageError) -> ParseOutcome {
        if arguments.first == "help" { return try helpTarget(Array(arguments.dropFirst())) }
        var stack = [root]
        var index = 0
        while index < arguments.count, let current = stack.last, !current.subcommands.isEmpty {
            let word = arguments[index]
            if Self.isHelp(word) { return .help(commandStack: stack) }
            if word == "--version", stack.count == 1 { return .version }
            if word.count > 1, word.hasPrefix("-") {
                let name = word.split(separator: "=", maxSplits: 1).first.map(String.init) ?? word
                throw UsageError(commandPath: stack.map(\.name), message: "Unknown option '\(name)'")
            }
            guard let next = current.subcommand(named: word) else {
                throw UsageError(commandPath: stack.map(\.name), message: "Unknown subcommand '\(word)'")
            }
            stack.append(next)
            index += 1
        }
        guard let command = stack.last, command.subcommands.isEmpty else { return .help(commandStack: stack) }
        let rest = Array(arguments[index...])
        if rest.prefix(while: { $0 != "--" }).contains(where: Self.isHelp) { return .help(commandStack: stack) }
        var reader = LeafReader(command: command, path: stack.map(\.name))
        return .run(commandStack: stack, arguments: try reader.read(rest))
    }

    /// `help [CMD [SUBCMD]]`: the command whose help to print.
    private func helpTarget(_ words: [String]) throws(UsageError) -> ParseOutcome {
        var stack = [root]
        for word in words where !Self.isHelp(word) {
            guard let current = stack.last, let next = current.subcommand(named: word) else {
                throw UsageError(commandPath: stack.map(\.name), message: "Unknown subcommand '\(word)'")
            }
            stack.append(next)
        }
        return .help(commandStack: stack)
    }

    static func isHelp(_ word: String) -> Bool {
        word == "-h" || word == "--help"
    }
}

/// The walk over a leaf command's words.
private struct LeafReader {
    let command: Command
    let path: [String]
    var parsed = ParsedArguments()
    var positionals: [String] = []

    init(command: Command, path: [String]) {
        self.command = command
        self.path = path
    }

    mutating func read(_ words: [String]) throws(UsageError) -> ParsedArguments {
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            if word == "--" {
                positionals += words[index...]
                break
            }
            if word.hasPrefix("--") {
                try readLong(word, words, &index)
            } else if Self.looksLikeOption(word) {
                try readShortGroup(word, words, &index)
            } else {
                positionals.append(word)
            }
        }
        for option in command.options where option.takesValue && parsed.options[option.long] == nil {
            parsed.options[option.long] = option.defaultValue
        }
        try assignPositionals()
        return parsed
    }

    /// `--name`, `--name value` or `--name=value`.
    private mutating func readLong(_ word: String, _ words: [String], _ index: inout Int) throws(UsageError) {
        let body = word.dropFirst(2)
        let parts = body.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts.first ?? body)
        let inline = parts.count > 1 ? String(parts[1]) : nil
        guard let option = command.options.first(where: { $0.long == name }) else {
            throw error(unknownOptionMessage("--\(name)"))
        }
        guard option.takesValue else {
            if let inline {
                throw error("The option '--\(name)' does not take any value, but '\(inline)' was specified.")
            }
            parsed.flags.insert(option.long)
            return
        }
        if let inline {
            try store(inline, for: option, spelled: "--\(name)")
            return
        }
        guard index < words.count, !Self.looksLikeOption(words[index]), words[index] != "--" else {
            throw error("Missing value for '\(option.synopsis)'")
        }
        try store(words[index], for: option, spelled: "--\(name)")
        index += 1
    }

    /// `-f`, `-fj` (grouped flags), `-b 9600` or `-b9600`.
    private mutating func readShortGroup(_ word: String, _ words: [String], _ index: inout Int) throws(UsageError) {
        let letters = Array(word.dropFirst())
        for (position, letter) in letters.enumerated() {
            guard let option = command.options.first(where: { $0.short == letter }) else {
                throw error("Unknown option '-\(letter)'")
            }
            guard option.takesValue else {
                parsed.flags.insert(option.long)
                continue
            }
            let spelled = "-\(letter)"
            if position < letters.count - 1 {
                try store(String(letters[(position + 1)...]), for: option, spelled: spelled)
                return
            }
            guard index < words.count, !Self.looksLikeOption(words[index]), words[index] != "--" else {
                throw error("Missing value for '\(spelled) <\(option.valueName ?? option.long)>'")
            }
            try store(words[index], for: option, spelled: spelled)
            index += 1
        }
    }

    private mutating func store(_ value: String, for option: OptionSpec, spelled: String) throws(UsageError) {
        let valueName = option.valueName ?? option.long
        guard option.kind.accepts(value) else {
            throw error(
                "The value '\(value)' is invalid for '\(spelled) <\(valueName)>'" + Self.hint(for: option.kind, value)
            )
        }
        parsed.options[option.long] = value
        if option.isRepeatable {
            parsed.repeatedOptions[option.long, default: []].append(value)
        }
    }

    /// Required positionals take values first; optional ones take what is left over, left to right.
    private mutating func assignPositionals() throws(UsageError) {
        var remaining = positionals[...]
        var requiredLeft = command.arguments.filter { !$0.isOptional }.count
        for argument in command.arguments {
            var values: [String] = []
            if argument.isVariadic {
                values = Array(remaining)
                remaining = []
            } else if !argument.isOptional || remaining.count > requiredLeft, let value = remaining.popFirst() {
                values = [value]
            }
            if !argument.isOptional {
                requiredLeft -= 1
                if values.isEmpty { throw error("Missing expected argument '<\(argument.name)>'") }
            }
            for value in values where !argument.kind.accepts(value) {
                throw error(
                    "The value '\(value)' is invalid for '<\(argument.name)>'" + Self.hint(for: argument.kind, value)
                )
            }
            if !values.isEmpty { parsed.positionals[argument.name] = values }
        }
        switch remaining.count {
        case 0: return
        case 1: throw error("Unexpected argument '\(remaining[remaining.startIndex])'")
        default: throw error("\(remaining.count) unexpected arguments: '\(remaining.joined(separator: "', '"))'")
        }
    }

    private func unknownOptionMessage(_ name: String) -> String {
        let candidates = command.options.map { "--\($0.long)" } + ["--help"]
        let closest = candidates.map { ($0, EditDistance.between($0, name)) }.filter { $0.1 < 4 }
            .min { $0.1 < $1.1 }
        if let closest { return "Unknown option '\(name)'. Did you mean '\(closest.0)'?" }
        return "Unknown option '\(name)'"
    }

    private func error(_ message: String) -> UsageError {
        UsageError(commandPath: path, message: message)
    }

    /// What follows "The value … is invalid for …", as swift-argument-parser words it.
    private static func hint(for kind: ValueKind, _ value: String) -> String {
        switch kind {
        case .text: return ""
        case .integer(let range):
            guard Int(value) != nil else { return "" }
            return ": expected a whole number from \(range.lowerBound) to \(range.upperBound)"
        case .choice(let words):
            let quoted = words.map { "'\($0)'" }
            let list =
                quoted.count <= 2
                ? quoted.joined(separator: " and ")
                : quoted.dropLast().joined(separator: ", ") + " or " + (quoted.last ?? "")
            return ". Please provide one of \(list)."
        }
    }

    /// `-x`, `--x`, `-abc`, but not `-` (stdin by convention) or a negative number.
    static func looksLikeOption(_ word: String) -> Bool {
        word.count > 1 && word.hasPrefix("-") && Double(word) == nil
    }
}

/// Levenshtein distance, for "Did you mean …?".
enum EditDistance {
    static func between(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs)
        let b = Array(rhs)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for (i, left) in a.enumerated() {
            var current = [i + 1] + [Int](repeating: 0, count: b.count)
            for (j, right) in b.enumerated() {
                current[j + 1] = Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (left == right ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

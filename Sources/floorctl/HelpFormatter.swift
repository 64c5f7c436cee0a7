/// Help and usage text in swift-argument-parser's layout: OVERVIEW, USAGE, ARGUMENTS, OPTIONS, SUBCOMMANDS,
/// labels indented 2 and descriptions at column 26, wrapped to 80 columns.
struct HelpFormatter: Sendable {
    static let screenWidth = 80
    static let labelIndent = 2
    static let descriptionColumn = 26

    /// The commands from the root to the one being described.
    let commandStack: [Command]

    private var command: Command? { commandStack.last }
    private var isRoot: Bool { commandStack.count == 1 }
    private var names: [String] { commandStack.map(\.name) }

    /// `floorctl locker open <locker> <door> [--json]`, or `floorctl locker <subcommand>` for a group.
    var usage: String {
        guard let command else { return "" }
        var words = names
        if command.subcommands.isEmpty {
            words += command.arguments.map(\.synopsis)
            words += command.options.map { "[\($0.usageSynopsis)]" }
        } else {
            words.append("<subcommand>")
        }
        return words.joined(separator: " ")
    }

    /// The full help screen, ending with a newline (and, like swift-argument-parser, a blank line after
    /// the last section when there is no subcommand hint).
    var help: String {
        guard let command else { return "" }
        var text = ""
        if !command.abstract.isEmpty {
            text += Self.wrap("OVERVIEW: \(command.abstract)", indent: 0) + "\n\n"
        }
        if !command.discussion.isEmpty {
            let paragraphs = command.discussion.split(separator: "\n", omittingEmptySubsequences: false)
            text += paragraphs.map { Self.wrap(String($0), indent: 0) }.joined(separator: "\n") + "\n\n"
        }
        text += "USAGE: \(usage)\n\n"
        var sections: [String] = []
        if !command.arguments.isEmpty {
            sections.append(section("ARGUMENTS", command.arguments.map { ("<\($0.name)>", $0.abstract) }))
        }
        var options = command.options.map { option in
            (option.helpLabel, option.abstract + (option.defaultValue.map { " (default: \($0))" } ?? ""))
        }
        if isRoot { options.append(("--version", "Show the version.")) }
        options.append(("-h, --help", "Show help information."))
        sections.append(section("OPTIONS", options))
        if !command.subcommands.isEmpty {
            var entries = command.subcommands.map { ($0.name, $0.abstract) }
            if isRoot { entries.append(("help", "Show subcommand help information.")) }
            sections.append(section("SUBCOMMANDS", entries))
        }
        text += sections.joined(separator: "\n")
        if !command.subcommands.isEmpty {
            var helpNames = names
            helpNames.insert("help", at: 1)
            text += "\n  See '\(helpNames.joined(separator: " ")) <subcommand>' for detailed help."
        }
        return text + "\n"
    }

    /// The three lines a usage error prints after `Error: …`.
    var usageReminder: String {
        "Usage: \(usage)\n  See '\(names.joined(separator: " ")) --help' for more information.\n"
    }

    private func section(_ title: String, _ entries: [(label: String, abstract: String)]) -> String {
        var text = "\(title):\n"
        for entry in entries {
            let padded = String(repeating: " ", count: Self.labelIndent) + entry.label
            let description = Self.wrap(entry.abstract, indent: Self.descriptionColumn)
            if entry.abstract.isEmpty {
                text += padded + "\n"
            } else if padded.count < Self.descriptionColumn {
                text +=
                    padded + String(repeating: " ", count: Self.descriptionColumn - padded.count) + description
                    + "\n"
            } else {
                text += padded + "\n" + String(repeating: " ", count: Self.descriptionColumn) + description + "\n"
            }
        }
        return text
    }

    /// Word-wraps `text` to the screen width for text starting at column `indent`; continuation lines are
    /// indented by `indent`, the first line is returned without it.
    static func wrap(_ text: String, indent: Int) -> String {
        let width = max(screenWidth - indent, 20)
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += line.isEmpty ? String(word) : " " + word
        }
        lines.append(line)
        return lines.joined(separator: "\n" + String(repeating: " ", count: indent))
    }
}

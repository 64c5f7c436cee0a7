/// One log entry.
public struct LogEntry: Sendable, Hashable {
    public var level: Logger.Level
    public var label: String
    public var metadata: [String: String]
    public var message: String

    public init(level: Logger.Level, label: String, metadata: [String: String], message: String) {
        self.level = level
        self.label = label
        self.metadata = metadata
        self.message = message
    }

    /// One logfmt line: `level=… label=… msg=…` then the metadata, keys sorted. A value that is empty or holds a
    /// space, `"`, `=`, `\` or a control character is quoted, with `"` and `\` escaped and control characters
    /// written as `\n`, `\r`, `\t` or `\u{XX}`, so every line parses and stays one line.
    public var line: String {
        var text = "level=\(level) label=\(Self.quoted(label)) msg=\(Self.quoted(message))"
        for key in metadata.keys.sorted() {
            text += " \(Self.key(key))=\(Self.quoted(metadata[key] ?? ""))"
        }
        return text
    }

    /// `value` as a logfmt value: bare when it can be, quoted and escaped otherwise.
    static func quoted(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains {
                $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F
            }
        guard needsQuotes else { return value }
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                text += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }

    /// A metadata key as logfmt allows it: characters that would end a key become `_`.
    static func key(_ key: String) -> String {
        guard !key.isEmpty else { return "_" }
        return String(
            String.UnicodeScalarView(
                key.unicodeScalars.map {
                    $0 == " " || $0 == "\"" || $0 == "=" || $0.value < 0x21 || $0.value == 0x7F ? "_" : $0
                }
            )
        )
    }
}

/// Where log entries go.
public protocol LogHandler: Sendable {
    func write(_ entry: LogEntry)
}

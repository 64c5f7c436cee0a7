import Events

/// The canonical JSON of command args, byte for byte what Python writes with
/// `json.dumps(args, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`.
///
/// Object keys sorted by their UTF-8 bytes (= by code point) at every level; no whitespace; in strings `"` `\`
/// and the controls `\n` `\r` `\t` `\b` `\f` escaped with a backslash, other controls below U+0020 as `\u00xx`
/// (lowercase hex), everything else (including U+007F and non-ASCII) literal UTF-8; integers as digits.
enum CommandCanonicalJSON {
    /// The canonical text of `value`.
    static func text(_ value: JSONValue) -> String {
        var output = ""
        write(value, to: &output)
        return output
    }

    private static func write(_ value: JSONValue, to output: inout String) {
        switch value {
        case .null: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .int(let number): output += String(number)
        // Unreachable for a parsed `Command`, which refuses floats; written some fixed way all the same.
        case .double(let number): output += number.isFinite ? "\(number)" : "null"
        case .string(let string): writeString(string, to: &output)
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                write(element, to: &output)
            }
            output += "]"
        case .object(let members):
            let sorted = members.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
            output += "{"
            for (index, (key, member)) in sorted.enumerated() {
                if index > 0 { output += "," }
                writeString(key, to: &output)
                output += ":"
                write(member, to: &output)
            }
            output += "}"
        }
    }

    private static func writeString(_ string: String, to output: inout String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar.value {
            case 0x22: output += "\\\""
            case 0x5C: output += "\\\\"
            case 0x0A: output += "\\n"
            case 0x0D: output += "\\r"
            case 0x09: output += "\\t"
            case 0x08: output += "\\b"
            case 0x0C: output += "\\f"
            case 0x00..<0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}

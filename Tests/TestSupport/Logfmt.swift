/// A strict logfmt parser for tests: `key=value` pairs separated by single spaces, a value bare (no space, `"`,
/// `=`, `\` or control character) or double-quoted with `\"`, `\\`, `\n`, `\r`, `\t` and `\u{XX}` escapes.
/// Returns nil for anything else, so a test can assert that every line a program writes parses.
public enum Logfmt {
    public static func parse(_ line: String) -> [(key: String, value: String)]? {
        let scalars = Array(line.unicodeScalars)
        var index = 0
        var pairs: [(key: String, value: String)] = []
        func isBare(_ scalar: Unicode.Scalar) -> Bool {
            scalar != " " && scalar != "\"" && scalar != "=" && scalar != "\\" && scalar.value >= 0x20
                && scalar.value != 0x7F
        }
        while index < scalars.count {
            if !pairs.isEmpty {
                guard scalars[index] == " " else { return nil }
                index += 1
            }
            var key = ""
            while index < scalars.count, isBare(scalars[index]) {
                key.unicodeScalars.append(scalars[index])
                index += 1
            }
            guard !key.isEmpty, index < scalars.count, scalars[index] == "=" else { return nil }
            index += 1
            var value = ""
            if index < scalars.count, scalars[index] == "\"" {
                index += 1
                var closed = false
                while index < scalars.count {
                    let scalar = scalars[index]
                    index += 1
                    if scalar == "\"" {
                        closed = true
                        break
                    }
                    guard scalar.value >= 0x20, scalar.value != 0x7F else { return nil }
                    guard scalar == "\\" else {
                        value.unicodeScalars.append(scalar)
                        continue
                    }
                    guard index < scalars.count else { return nil }
                    let escaped = scalars[index]
                    index += 1
                    switch escaped {
                    case "\"": value += "\""
                    case "\\": value += "\\"
                    case "n": value += "\n"
                    case "r": value += "\r"
                    case "t": value += "\t"
                    case "u":
                        guard index < scalars.count, scalars[index] == "{",
                            let close = scalars[index...].firstIndex(of: "}"),
                            let code = UInt32(
                                String(String.UnicodeScalarView(scalars[(index + 1)..<close])),
                                radix: 16
                            ),
                            let decoded = Unicode.Scalar(code)
                        else { return nil }
                        value.unicodeScalars.append(decoded)
                        index = close + 1
                    default: return nil
                    }
                }
                guard closed else { return nil }
                guard index == scalars.count || scalars[index] == " " else { return nil }
            } else {
                while index < scalars.count, isBare(scalars[index]) {
                    value.unicodeScalars.append(scalars[index])
                    index += 1
                }
                guard !value.isEmpty else { return nil }
            }
            pairs.append((key, value))
        }
        return pairs.isEmpty ? nil : pairs
    }
}

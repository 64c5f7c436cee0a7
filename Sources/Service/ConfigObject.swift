import Events

/// Reads one JSON object of a config file, member by member, remembering which members were read so that
/// `finish()` can refuse unknown keys: a typo must not pass silently.
struct ConfigObject {
    let file: String
    let path: String
    private let members: [(String, JSONValue)]
    private var read: Set<String> = []

    init(_ value: JSONValue, file: String, path: String) throws(ConfigError) {
        guard case .object(let members) = value else {
            throw ConfigError(file: file, path: path, message: "expected an object, found \(value.kindName)")
        }
        self.file = file
        self.path = path
        self.members = members
    }

    func childPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    func error(_ key: String, _ message: String) -> ConfigError {
        ConfigError(file: file, path: childPath(key), message: message)
    }

    /// The member's value, or nil when absent or `null`.
    mutating func value(_ key: String) -> JSONValue? {
        read.insert(key)
        guard let value = members.first(where: { $0.0 == key })?.1, value != .null else { return nil }
        return value
    }

    mutating func required(_ key: String) throws(ConfigError) -> JSONValue {
        guard let value = value(key) else { throw error(key, "required, missing") }
        return value
    }

    mutating func string(_ key: String) throws(ConfigError) -> String {
        let value = try required(key)
        guard let text = value.stringValue else { throw error(key, "expected a string, found \(value.kindName)") }
        guard !text.isEmpty else { throw error(key, "expected a non-empty string") }
        return text
    }

    mutating func optionalString(_ key: String) throws(ConfigError) -> String? {
        guard let value = value(key) else { return nil }
        guard let text = value.stringValue else { throw error(key, "expected a string, found \(value.kindName)") }
        return text
    }

    mutating func int(
        _ key: String,
        in range: ClosedRange<Int>,
        default defaultValue: Int? = nil
    ) throws(ConfigError) -> Int {
        guard let value = value(key) else {
            if let defaultValue { return defaultValue }
            throw error(key, "required, missing")
        }
        guard let number = value.intValue, let int = Int(exactly: number) else {
            throw error(key, "expected an integer, found \(value.kindName)")
        }
        guard range.contains(int) else {
            throw error(key, "\(int) is out of range, expected \(range.lowerBound)...\(range.upperBound)")
        }
        return int
    }

    mutating func bool(_ key: String, default defaultValue: Bool) throws(ConfigError) -> Bool {
        guard let value = value(key) else { return defaultValue }
        guard case .bool(let flag) = value else { throw error(key, "expected true or false, found \(value.kindName)") }
        return flag
    }

    mutating func object(_ key: String) throws(ConfigError) -> ConfigObject? {
        guard let value = value(key) else { return nil }
        return try ConfigObject(value, file: file, path: childPath(key))
    }

    /// The elements of an array member with their paths (`doors[3]`); empty when absent.
    mutating func array(_ key: String) throws(ConfigError) -> [(path: String, value: JSONValue)] {
        guard let value = value(key) else { return [] }
        guard case .array(let elements) = value else {
            throw error(key, "expected an array, found \(value.kindName)")
        }
        return elements.enumerated().map { (childPath(key) + "[\($0.offset)]", $0.element) }
    }

    /// Refuses any member that was never read.
    func finish() throws(ConfigError) {
        if let unknown = members.first(where: { !read.contains($0.0) }) {
            throw error(unknown.0, "unknown key (check its spelling against the README)")
        }
    }
}

extension JSONValue {
    /// What kind of JSON value this is, for error messages.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .double: return "a number"
        case .string(let text): return "the string \"\(text)\""
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

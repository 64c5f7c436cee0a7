/// Builds JSON Schema (draft-07) documents as `JSONValue`s: the machine-readable contract of events and commands
/// that `floorctl schema` prints. Members keep the order they are given in, so the output is stable.
///
/// Draft-07 because AsyncAPI 3.0's default schema format is a superset of it, so the same schemas serve both the
/// AsyncAPI document and a stand-alone validator; only keywords draft-07 and 2020-12 share are used.
public enum JSONSchema {
    /// The `$schema` URI of the dialect every schema here is written in.
    public static let dialect = "http://json-schema.org/draft-07/schema#"

    /// One member of an object schema: its name, its schema and whether it is always present.
    public struct Member: Sendable {
        /// The member's name.
        public var name: String
        /// Its schema.
        public var schema: JSONValue
        /// True when every instance carries it.
        public var isRequired: Bool

        /// A member that is always present.
        public static func required(_ name: String, _ schema: JSONValue) -> Member {
            Member(name: name, schema: schema, isRequired: true)
        }

        /// A member that is present only sometimes.
        public static func optional(_ name: String, _ schema: JSONValue) -> Member {
            Member(name: name, schema: schema, isRequired: false)
        }
    }

    /// An object with `members`; others are allowed unless `closed` (the contract may grow new members).
    public static func object(_ description: String, _ members: [Member], closed: Bool = false) -> JSONValue {
        var schema: [(String, JSONValue)] = [("type", "object")]
        if !description.isEmpty { schema.append(("description", .string(description))) }
        schema.append(("properties", .object(members.map { ($0.name, $0.schema) })))
        let required = members.filter(\.isRequired).map { JSONValue.string($0.name) }
        if !required.isEmpty { schema.append(("required", .array(required))) }
        if closed { schema.append(("additionalProperties", false)) }
        return .object(schema)
    }

    /// A string, optionally restricted to a `pattern` (ECMA 262 regular expression).
    public static func string(_ description: String, pattern: String? = nil) -> JSONValue {
        var schema: [(String, JSONValue)] = [("type", "string"), ("description", .string(description))]
        if let pattern { schema.append(("pattern", .string(pattern))) }
        return .object(schema)
    }

    /// A UTC time with milliseconds, as every time in an event is written (`2026-12-03T10:55:21.123Z`).
    public static func utcTime(_ description: String) -> JSONValue {
        string(description, pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")
    }

    /// A string that is one of `values`.
    public static func oneOf(_ description: String, _ values: [String]) -> JSONValue {
        ["type": "string", "description": .string(description), "enum": .array(values.map(JSONValue.string))]
    }

    /// An integer of at least `minimum` when given.
    public static func integer(_ description: String, minimum: Int64? = nil) -> JSONValue {
        var schema: [(String, JSONValue)] = [("type", "integer"), ("description", .string(description))]
        if let minimum { schema.append(("minimum", .int(minimum))) }
        return .object(schema)
    }

    /// `true` or `false`.
    public static func boolean(_ description: String) -> JSONValue {
        ["type": "boolean", "description": .string(description)]
    }

    /// Exactly `value`.
    public static func constant(_ value: JSONValue) -> JSONValue {
        ["const": value]
    }

    /// `schema`'s type or `null`.
    public static func nullable(_ schema: JSONValue) -> JSONValue {
        guard case .object(var members) = schema, let index = members.firstIndex(where: { $0.0 == "type" }),
            case .string(let type) = members[index].1
        else { return ["anyOf": [schema, ["type": "null"]]] }
        members[index].1 = [.string(type), "null"]
        if let values = members.firstIndex(where: { $0.0 == "enum" }), case .array(var list) = members[values].1 {
            list.append(.null)
            members[values].1 = .array(list)
        }
        return .object(members)
    }

    /// An object of string members with names matching `keyPattern` (GS1 AI → value).
    public static func stringMap(_ description: String, keyPattern: String) -> JSONValue {
        [
            "type": "object", "description": .string(description),
            "propertyNames": ["pattern": .string(keyPattern)], "additionalProperties": ["type": "string"],
        ]
    }

    /// An array of strings.
    public static func strings(_ description: String) -> JSONValue {
        ["type": "array", "description": .string(description), "items": ["type": "string"]]
    }

    /// Any JSON value.
    public static func any(_ description: String) -> JSONValue {
        ["description": .string(description)]
    }
}

import Events

/// One member of a command's `args`: its name, whether it is needed, and its JSON Schema.
public struct CommandArgument: Sendable {
    /// When a command needs the argument.
    public enum Requirement: Sendable, Hashable {
        /// Always (a string argument: non-empty).
        case required
        /// Never.
        case optional
        /// Exactly one of the arguments in the named group.
        case oneOfGroup(String)
    }

    /// The member name in `args`.
    public var name: String
    /// When it must be present.
    public var requirement: Requirement
    /// Its JSON Schema.
    public var schema: JSONValue

    /// An argument with a schema.
    public init(_ name: String, _ requirement: Requirement, _ schema: JSONValue) {
        self.name = name
        self.requirement = requirement
        self.schema = schema
    }
}

extension CommandName {
    /// What the command does, one line.
    public var summary: String {
        switch self {
        case .ptlLight: return "Light a pick-to-light slot for a task."
        case .ptlClear: return "Turn off one slot of a pick-to-light module, or all of them."
        case .lockerAssign: return "Assign an order and its pickup code to a locker door."
        case .lockerRelease: return "Remove a door's order (the parcel was taken another way)."
        case .lockerOpen: return "Unlock one locker door now."
        case .deviceReset: return "Restart one device's I/O (a replugged reader); never erases locker orders."
        case .eventsReplay:
            return "Re-publish the stored events from…through (gap repair; device \"controller\"), at most "
                + "\(EventReplayRange.maximumCount)."
        }
    }

    /// The members of `args` the command reads; the command router checks required ones from this table (and
    /// `EventReplayRange` those of `events.replay`) and `floorctl schema` prints it.
    public var arguments: [CommandArgument] {
        let door = CommandArgument("door", .required, JSONSchema.string("The door id from the site config."))
        switch self {
        case .ptlLight:
            return [
                CommandArgument("slot", .required, JSONSchema.string("The slot id.")),
                CommandArgument(
                    "color",
                    .optional,
                    JSONSchema.string("A colour the slot's light has (default green).")
                ),
                CommandArgument("task", .optional, JSONSchema.string("The task id, echoed in ptl.* events.")),
            ]
        case .ptlClear:
            return [CommandArgument("slot", .optional, JSONSchema.string("The slot id; every slot when absent."))]
        case .lockerAssign:
            return [
                door,
                CommandArgument("order", .required, JSONSchema.string("The order id, echoed in locker.* events.")),
                CommandArgument(
                    "pickupCode",
                    .oneOfGroup("pickup code"),
                    JSONSchema.string("The pickup code in clear; hashed on arrival, never stored or published.")
                ),
                CommandArgument(
                    "pickupCodeDigest",
                    .oneOfGroup("pickup code"),
                    JSONSchema.string("The pickup code hashed upstream, instead of pickupCode.")
                ),
            ]
        case .lockerRelease:
            return [door]
        case .lockerOpen:
            return [
                door,
                CommandArgument(
                    "reason",
                    .optional,
                    JSONSchema.string("Why: deposit, collect, pickup-code or remote (the default).")
                ),
            ]
        case .deviceReset:
            return []
        case .eventsReplay:
            return [
                CommandArgument("from", .required, JSONSchema.integer("The first seq to re-publish.", minimum: 1)),
                CommandArgument(
                    "through",
                    .required,
                    JSONSchema.integer(
                        "The last seq to re-publish (inclusive; at most \(EventReplayRange.maximumCount) in all).",
                        minimum: 1
                    )
                ),
            ]
        }
    }

    /// JSON Schema (draft-07) of this command's `args`.
    public var argumentsSchema: JSONValue {
        let schema = JSONSchema.object(
            "The arguments of \(rawValue). Other members are ignored.",
            arguments.map { argument in
                // The router refuses an empty string where it needs a value.
                var schema = argument.schema
                if argument.requirement != .optional, case .object(let members) = schema, schema["type"] == "string" {
                    schema = .object(members + [("minLength", 1)])
                }
                return argument.requirement == .required
                    ? .required(argument.name, schema) : .optional(argument.name, schema)
            }
        )
        var groups: [(name: String, members: [String])] = []
        for argument in arguments {
            guard case .oneOfGroup(let group) = argument.requirement else { continue }
            if let index = groups.firstIndex(where: { $0.name == group }) {
                groups[index].members.append(argument.name)
            } else {
                groups.append((group, [argument.name]))
            }
        }
        let clauses: [JSONValue] = groups.map { group in
            ["oneOf": .array(group.members.map { ["required": [.string($0)]] })]
        }
        guard case .object(let members) = schema, let first = clauses.first else { return schema }
        // One group: its oneOf; several: all of them.
        return .object(members + (clauses.count == 1 ? first.objectMembers : [("allOf", .array(clauses))]))
    }

    /// JSON Schema (draft-07) of a whole payload carrying this command.
    public var payloadSchema: JSONValue {
        JSONSchema.object(
            summary,
            [
                .required("id", Command.idSchema),
                .required("command", JSONSchema.constant(.string(rawValue))),
                .required(
                    "device",
                    self == .eventsReplay
                        ? JSONSchema.constant("controller") : JSONSchema.string("The device id from the site config.")
                ),
                // A replay without its range is refused; the other commands' arguments are checked one by one.
                self == .eventsReplay ? .required("args", argumentsSchema) : .optional("args", argumentsSchema),
                .optional(
                    "issuedAt",
                    [
                        "type": ["string", "integer"],
                        "description": .string("When it was issued: \(CommandIssuedAt.expected)."),
                    ]
                ),
                .optional(
                    "signature",
                    JSONSchema.string(
                        "Lowercase hex HMAC-SHA256 over the canonical command (required when signing is on).",
                        pattern: "^[0-9a-f]{64}$"
                    )
                ),
            ]
        )
    }
}

extension Command {
    /// The schema of a command `id`.
    public static var idSchema: JSONValue {
        JSONSchema.string(
            "1–\(maximumIDLength) printable ASCII characters without spaces; a retry reuses it.",
            pattern: "^[!-~]{1,\(maximumIDLength)}$"
        )
    }

    /// JSON Schema (draft-07) of any command payload: one of the commands' payload schemas.
    public static var payloadSchema: JSONValue {
        [
            "description": "One command on MQTT .../commands or the control socket; at most 64 KiB.",
            "oneOf": .array(CommandName.allCases.map(\.payloadSchema)),
        ]
    }
}

extension JSONValue {
    /// The members of an object; empty for any other value.
    fileprivate var objectMembers: [(String, JSONValue)] {
        if case .object(let members) = self { return members }
        return []
    }
}

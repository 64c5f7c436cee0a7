import Events
import Outbox
import Uplink

/// The contract upstreams rely on, machine-readable: every event type with the schema of its `data`, the
/// commands with their arguments, the command result and the retained status, as an AsyncAPI 3.0 document.
///
/// Generated from the tables the code uses (`EventType.coreSchemas`, `EventType.outboxSchemas`,
/// `CommandName.arguments`), never written twice. Schemas are JSON Schema draft-07.
public enum ContractSchema {
    /// Every event type the daemon publishes, with its schema, in a stable order.
    public static var eventTypes: [EventTypeSchema] {
        EventType.coreSchemas + EventType.outboxSchemas
    }

    /// The entry for `type`; nil for a type the contract does not know.
    public static func eventType(_ type: EventType) -> EventTypeSchema? {
        eventTypes.first { $0.type == type }
    }

    /// JSON Schema of a `command.result` data object, also the payload on `.../commands/results`.
    public static var commandResultSchema: JSONValue {
        JSONSchema.object("The one answer to a command.", EventType.commandResultMembers)
    }

    /// The key under `components.schemas` of the `data` an `events.replay` result carries (ok or not).
    public static let replayResultDataKey = "command.result.data.events.replay"

    /// `schema` as a stand-alone document: `$schema` first.
    public static func standalone(_ schema: JSONValue) -> JSONValue {
        guard case .object(let members) = schema else { return schema }
        return .object([("$schema", .string(JSONSchema.dialect))] + members)
    }

    /// The AsyncAPI 3.0 document for the MQTT interface (`floorctl schema`).
    public static var asyncAPI: JSONValue {
        var channels: [(String, JSONValue)] = []
        var operations: [(String, JSONValue)] = []
        var schemas: [(String, JSONValue)] = [("event", Event.envelopeSchema)]
        var messages: [(String, JSONValue)] = []

        func channel(_ key: String, _ suffix: String, _ description: String, messageKeys: [String]) {
            channels.append(
                (
                    key,
                    [
                        "address": .string("floorlink/{site}/{controller}/\(suffix)"),
                        "description": .string(description),
                        "parameters": [
                            "site": ["description": "The site id."],
                            "controller": ["description": "The controller id."],
                        ],
                        "messages": .object(messageKeys.map { ($0, ["$ref": .string("#/components/messages/\($0)")]) }),
                    ]
                )
            )
        }
        func operation(
            _ key: String,
            _ action: String,
            _ channelKey: String,
            messageKeys: [String],
            retain: Bool = false
        ) {
            operations.append(
                (
                    key,
                    [
                        "action": .string(action),
                        "channel": ["$ref": .string("#/channels/\(channelKey)")],
                        "messages": .array(
                            messageKeys.map { ["$ref": .string("#/channels/\(channelKey)/messages/\($0)")] }
                        ),
                        "bindings": ["mqtt": ["qos": 1, "retain": .bool(retain)]],
                    ]
                )
            )
        }
        func message(_ key: String, _ title: String, _ summary: String, schema: String) {
            messages.append(
                (
                    key,
                    [
                        "name": .string(title),
                        "title": .string(title),
                        "summary": .string(summary),
                        "contentType": "application/json",
                        "payload": ["$ref": .string("#/components/schemas/\(schema)")],
                    ]
                )
            )
        }

        for entry in eventTypes {
            let name = entry.type.rawValue
            schemas.append(("event.\(name)", entry.eventSchema))
            message("event.\(name)", name, entry.summary, schema: "event.\(name)")
            channel("events.\(name)", "events/\(name)", "Every \(name) event.", messageKeys: ["event.\(name)"])
            operation("publish.\(name)", "send", "events.\(name)", messageKeys: ["event.\(name)"])
        }
        schemas.append(("status", MQTTUplink.statusSchema))
        message("status", "status", "online with version and start time, or offline.", schema: "status")
        channel("status", "status", "The retained controller status.", messageKeys: ["status"])
        operation("publish.status", "send", "status", messageKeys: ["status"], retain: true)

        var commandKeys: [String] = []
        for command in CommandName.allCases {
            let key = "command.\(command.rawValue)"
            schemas.append((key, command.payloadSchema))
            message(key, command.rawValue, command.summary, schema: key)
            commandKeys.append(key)
        }
        schemas.append(("command", Command.payloadSchema))
        channel(
            "commands",
            "commands",
            "Commands to this controller, each answered by one result.",
            messageKeys: commandKeys
        )
        operation("receive.commands", "receive", "commands", messageKeys: commandKeys)

        schemas.append(("command.result", commandResultSchema))
        // The `data` a result carries, per command that returns some.
        schemas.append((replayResultDataKey, EventReplayReport.schema))
        message("command.result", "command.result", "The answer to one command.", schema: "command.result")
        channel(
            "commandResults",
            "commands/results",
            "One result per command payload.",
            messageKeys: ["command.result"]
        )
        operation("publish.commandResult", "send", "commandResults", messageKeys: ["command.result"])

        return [
            "asyncapi": "3.0.0",
            "info": [
                "title": "Floorlink",
                "version": .string(FloorlinkVersion.current),
                "description": .string(
                    "Events, status and commands of a Floorlink edge controller over MQTT 3.1.1 (QoS 1). Payload "
                        + "schemas are JSON Schema draft-07. The webhook posts the same events as {\"events\":[…]}."
                ),
            ],
            "defaultContentType": "application/json",
            "channels": .object(channels),
            "operations": .object(operations),
            "components": ["schemas": .object(schemas), "messages": .object(messages)],
        ]
    }
}

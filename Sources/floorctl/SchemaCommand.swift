import Events
import Service

/// `schema [--type T]`: the machine-readable contract (AsyncAPI 3.0, JSON Schema draft-07), without the daemon.
enum SchemaCommand {
    static var command: Command {
        Command(
            "schema",
            abstract: "Print the events, status and commands contract as an AsyncAPI 3.0 document.",
            discussion: "Every MQTT topic (events per type, status, commands, command results) with a JSON Schema "
                + "(draft-07) of the event envelope, each event type's data, each command and its result. With "
                + "--type, only that event type's schema. Generated from the tables floorlinkd itself uses.",
            options: [
                .option("type", value: "type", "Print only the JSON Schema of one event type (e.g. scan)."),
                FloorctlCommands.jsonFlag,
            ]
        ) { context in
            let document: JSONValue
            if let name = context.arguments.option("type") {
                guard let entry = ContractSchema.eventType(EventType(rawValue: name)) else {
                    let known = ContractSchema.eventTypes.map(\.type.rawValue).joined(separator: ", ")
                    throw context.usageError("Unknown event type '\(name)'; known types: \(known)")
                }
                document = ContractSchema.standalone(entry.eventSchema)
            } else {
                document = ContractSchema.asyncAPI
            }
            Console.line(context.arguments.flag("json") ? document.jsonText : document.prettyText)
            return .success
        }
    }
}

extension JSONValue {
    /// JSON text indented by two spaces per level, members in order (for people reading the schema).
    var prettyText: String {
        var output = ""
        writePretty(to: &output, indent: "")
        return output
    }

    private func writePretty(to output: inout String, indent: String) {
        let inner = indent + "  "
        switch self {
        case .array(let values) where !values.isEmpty:
            output += "[\n"
            for (index, value) in values.enumerated() {
                output += inner
                value.writePretty(to: &output, indent: inner)
                output += index == values.count - 1 ? "\n" : ",\n"
            }
            output += indent + "]"
        case .object(let members) where !members.isEmpty:
            output += "{\n"
            for (index, (key, value)) in members.enumerated() {
                output += inner + JSONValue.string(key).jsonText + ": "
                value.writePretty(to: &output, indent: inner)
                output += index == members.count - 1 ? "\n" : ",\n"
            }
            output += indent + "}"
        default:
            output += jsonText
        }
    }
}

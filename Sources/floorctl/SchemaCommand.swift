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

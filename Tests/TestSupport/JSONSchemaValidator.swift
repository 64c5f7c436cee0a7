import Events
import Foundation
import Glibc

/// Validates JSON messages against `floorctl schema`'s AsyncAPI document with an independent validator: python3's
/// `jsonschema` (Debian package python3-jsonschema), Draft7Validator with format checks off.
public enum JSONSchemaValidator {
    /// Whether python3 with the jsonschema module is installed (Debian's python3-jsonschema, or pip's).
    public static var isInstalled: Bool {
        guard access("/usr/bin/python3", X_OK) == 0 else { return false }
        let roots = ["/usr/lib/python3/dist-packages", "/usr/local/lib"]
        return roots.contains { root in
            if access("\(root)/jsonschema/__init__.py", R_OK) == 0 { return true }
            let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
            return versions.contains { version in
                ["dist-packages", "site-packages"].contains {
                    access("\(root)/\(version)/\($0)/jsonschema/__init__.py", R_OK) == 0
                }
            }
        }
    }

    /// One message to check: the topic suffix after `floorlink/{site}/{controller}/` and its payload.
    public struct Message: Sendable {
        /// `events/scan`, `status`, `commands`, `commands/results`.
        public var topic: String
        /// The payload as sent.
        public var payload: String

        /// A message on `topic` (relative to the controller's prefix) with `payload`.
        public init(topic: String, payload: String) {
            self.topic = topic
            self.payload = payload
        }
    }

    /// The script: the message schema comes from the AsyncAPI channel whose address matches the topic; a topic
    /// without a channel, an unparsable payload or a schema violation is a line on stdout and exit 1.
    static let script = #"""
        import json, sys
        from jsonschema import Draft7Validator
        document = json.load(open(sys.argv[1]))
        schemas = document["components"]["schemas"]
        prefix = "floorlink/{site}/{controller}/"
        by_topic = {}
        for channel in document["channels"].values():
            for message in channel["messages"].values():
                name = message["$ref"].split("/")[-1]
                ref = document["components"]["messages"][name]["payload"]["$ref"]
                by_topic.setdefault(channel["address"][len(prefix):], []).append(schemas[ref.split("/")[-1]])
        for schema in schemas.values():
            Draft7Validator.check_schema(schema)
        failures = 0
        for number, line in enumerate(open(sys.argv[2]), 1):
            message = json.loads(line)
            topic = message["topic"]
            candidates = by_topic.get(topic)
            if not candidates:
                print(f"{number}: {topic}: no schema for this topic")
                failures += 1
                continue
            try:
                payload = json.loads(message["payload"])
            except ValueError as error:
                print(f"{number}: {topic}: not JSON: {error}")
                failures += 1
                continue
            errors = [list(Draft7Validator(schema).iter_errors(payload)) for schema in candidates]
            if all(errors):
                failures += 1
                for error in errors[0]:
                    path = "/".join(str(part) for part in error.absolute_path)
                    print(f"{number}: {topic}: /{path}: {error.message} in {message['payload']}")
        sys.exit(1 if failures else 0)
        """#

    /// Checks each sample's `data` against its type's schema in `schemas` (a type without one is a failure), in a
    /// temporary directory; returns the validator's exit status and report as `validate` does.
    public static func validate(
        data samples: [(type: EventType, data: JSONValue)],
        schemas: [EventTypeSchema]
    ) async throws -> (status: Int32?, report: String) {
        let prefix = "floorlink/{site}/{controller}/"
        var channels: [(String, JSONValue)] = []
        var messages: [(String, JSONValue)] = []
        var components: [(String, JSONValue)] = []
        for entry in schemas {
            let name = entry.type.rawValue
            channels.append(
                (
                    name,
                    [
                        "address": .string("\(prefix)events/\(name)"),
                        "messages": [name: ["$ref": .string("#/components/messages/\(name)")]],
                    ]
                )
            )
            messages.append((name, ["payload": ["$ref": .string("#/components/schemas/\(name)")]]))
            components.append((name, entry.data))
        }
        let document: JSONValue = [
            "channels": .object(channels),
            "components": ["messages": .object(messages), "schemas": .object(components)],
        ]
        let template = Array("\(FileManager.default.temporaryDirectory.path)/schema-XXXXXX".utf8CString)
        var buffer = template
        guard let made = mkdtemp(&buffer) else { throw HarnessError("mkdtemp failed: errno \(errno)") }
        let directory = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await validate(
            samples.map { Message(topic: "events/\($0.type.rawValue)", payload: $0.data.jsonText) },
            against: document,
            directory: directory
        )
    }

    /// Checks `messages` against `document`; returns the validator's report (empty when every message is valid)
    /// and its exit status. Files go to `directory`.
    public static func validate(
        _ messages: [Message],
        against document: JSONValue,
        directory: String
    ) async throws -> (status: Int32?, report: String) {
        let documentPath = "\(directory)/asyncapi.json"
        let messagesPath = "\(directory)/messages.jsonl"
        let scriptPath = "\(directory)/validate.py"
        let reportPath = "\(directory)/validation.txt"
        try TestFile.write(document.jsonText, to: documentPath)
        let lines = messages.map { message in
            JSONValue.object([("topic", .string(message.topic)), ("payload", .string(message.payload))]).jsonText + "\n"
        }
        try TestFile.write(lines.joined(), to: messagesPath)
        try TestFile.write(script, to: scriptPath)
        let child = try ChildProcess(
            "/usr/bin/python3",
            [scriptPath, documentPath, messagesPath],
            outputPath: reportPath,
            errorPath: reportPath,
            truncating: true
        )
        let status = await child.waitForExit(timeout: .seconds(120))
        if status == nil { child.stop(signal: SIGKILL) }
        let report = (try? String(contentsOfFile: reportPath, encoding: .utf8)) ?? ""
        return (status, report)
    }
}

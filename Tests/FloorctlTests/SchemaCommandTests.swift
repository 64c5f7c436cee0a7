import Events
import Service
import Testing

@Suite("floorctl schema")
struct SchemaCommandTests {
    @Test("floorctl schema prints an AsyncAPI 3.0 document with a channel per event type, status and commands")
    func asyncAPIDocument() async throws {
        let run = try await FloorctlProcess.run(["schema"])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let document = try JSONValue(parsing: Array(run.standardOutput.utf8))
        #expect(document["asyncapi"] == "3.0.0")
        let channels = try #require(document["channels"])
        for entry in ContractSchema.eventTypes {
            let address = channels["events.\(entry.type.rawValue)"]?["address"]?.stringValue
            #expect(address == "floorlink/{site}/{controller}/events/\(entry.type.rawValue)")
        }
        #expect(channels["status"]?["address"] == "floorlink/{site}/{controller}/status")
        #expect(channels["commands"]?["address"] == "floorlink/{site}/{controller}/commands")
        #expect(channels["commandResults"]?["address"] == "floorlink/{site}/{controller}/commands/results")
        // --json prints the same document on one line.
        let compact = try await FloorctlProcess.run(["schema", "--json"])
        #expect(compact.standardOutput == document.jsonText + "\n")
    }

    @Test("floorctl schema --type T prints that event type's schema", arguments: ContractSchema.eventTypes.map(\.type))
    func oneType(type: EventType) async throws {
        let run = try await FloorctlProcess.run(["schema", "--type", type.rawValue])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let schema = try JSONValue(parsing: Array(run.standardOutput.utf8))
        #expect(schema["$schema"]?.stringValue == JSONSchema.dialect)
        #expect(schema["properties"]?["type"]?["const"]?.stringValue == type.rawValue)
    }

    @Test("an unknown --type is a usage error (exit 64) that lists the known types")
    func unknownType() async throws {
        let run = try await FloorctlProcess.run(["schema", "--type", "scna"])
        #expect(run.status == 64)
        #expect(run.standardOutput.isEmpty)
        let known = ContractSchema.eventTypes.map(\.type.rawValue).joined(separator: ", ")
        #expect(
            run.standardError
                == "Error: Unknown event type 'scna'; known types: \(known)\n"
                + "Usage: floorctl schema [--type <type>] [--json]\n"
                + "  See 'floorctl schema --help' for more information.\n"
        )
    }
}

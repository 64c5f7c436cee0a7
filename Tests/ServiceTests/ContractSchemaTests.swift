import Events
import Foundation
import Service
import Testing
import Uplink

/// Every event type declared anywhere in Sources (`static let x: EventType = "…"`), read from the source text so
/// that a new declaration without a schema fails the test below.
enum DeclaredEventTypes {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources").path

    static let all: [EventType] = {
        let pattern = #/static\s+let\s+\w+\s*:\s*EventType\s*=\s*"([^"]+)"/#
        var found: [EventType] = []
        let files = FileManager.default.enumerator(atPath: sources)?.compactMap { $0 as? String } ?? []
        for file in files.sorted() where file.hasSuffix(".swift") {
            guard let text = try? String(contentsOfFile: "\(sources)/\(file)", encoding: .utf8) else { continue }
            for match in text.matches(of: pattern) { found.append(EventType(rawValue: String(match.1))) }
        }
        return found
    }()
}

@Suite("The machine-readable contract (floorctl schema)")
struct ContractSchemaTests {
    @Test("the source scan finds the declared event types (so the test below is not vacuous)")
    func scanFindsDeclarations() {
        #expect(DeclaredEventTypes.all.count >= 24, "\(DeclaredEventTypes.all)")
        #expect(DeclaredEventTypes.all.contains(.scan))
        #expect(DeclaredEventTypes.all.contains(EventType(rawValue: "outbox.quota")))
    }

    @Test("every declared event type has a schema", arguments: DeclaredEventTypes.all)
    func declaredTypeHasSchema(type: EventType) throws {
        let entry = try #require(ContractSchema.eventType(type), "\(type) has no EventTypeSchema entry")
        #expect(entry.data["type"] == "object")
        #expect(!entry.summary.isEmpty)
    }

    @Test("every schema entry is a declared type, listed once")
    func noStrayOrDuplicateEntries() {
        let listed = ContractSchema.eventTypes.map(\.type)
        #expect(Set(listed).count == listed.count, "\(listed)")
        #expect(Set(listed) == Set(DeclaredEventTypes.all))
    }

    @Test("each event type's schema is the envelope with its type fixed", arguments: ContractSchema.eventTypes)
    func eventSchema(entry: EventTypeSchema) {
        let schema = entry.eventSchema
        #expect(schema["properties"]?["type"]?["const"]?.stringValue == entry.type.rawValue)
        #expect(schema["properties"]?["data"] == entry.data)
        #expect(schema["required"] == Event.envelopeSchema["required"])
    }

    @Test("the contract has events.replay, the schema of its result's data, and lastSeq in the status")
    func replayInContract() throws {
        let schemas = try #require(ContractSchema.asyncAPI["components"]?["schemas"])
        let replay = try #require(schemas["command.events.replay"])
        #expect(replay["properties"]?["device"]?["const"] == "controller")
        guard case .array(let required)? = replay["required"] else {
            Issue.record("events.replay's payload schema lists no required members")
            return
        }
        #expect(required.contains("args"))
        let args = try #require(replay["properties"]?["args"])
        #expect(args["properties"]?["from"]?["type"] == "integer")
        #expect(args["properties"]?["from"]?["minLength"] == nil)
        #expect(schemas[ContractSchema.replayResultDataKey] == EventReplayReport.schema)
        let data = EventReplayReport.schema["properties"]
        for member in ["from", "through", "replayed", "notRetained", "beyondNewest", "unreadable"] {
            #expect(data?[member] != nil, "\(member)")
        }
        guard case .array(let statuses)? = schemas["status"]?["oneOf"], let online = statuses.first else {
            Issue.record("the status schema is not oneOf online, offline")
            return
        }
        #expect(online["properties"]?["lastSeq"]?["type"] == "integer")
    }

    @Test("every command has a payload schema with its arguments", arguments: CommandName.allCases)
    func commandSchema(command: CommandName) throws {
        let payload = command.payloadSchema
        #expect(payload["properties"]?["command"]?["const"]?.stringValue == command.rawValue)
        let args = try #require(payload["properties"]?["args"])
        let names = command.arguments.map(\.name)
        #expect(
            args["properties"].map { value -> [String] in
                guard case .object(let members) = value else { return [] }
                return members.map(\.0)
            } == names
        )
        let required = command.arguments.filter { $0.requirement == .required }.map { JSONValue.string($0.name) }
        #expect((args["required"] ?? []) == .array(required))
        let document = ContractSchema.asyncAPI
        #expect(document["components"]?["schemas"]?["command.\(command.rawValue)"] == payload)
        #expect(document["channels"]?["commands"]?["messages"]?["command.\(command.rawValue)"] != nil)
    }
}

extension EventTypeSchema: CustomTestStringConvertible {
    public var testDescription: String { type.rawValue }
}

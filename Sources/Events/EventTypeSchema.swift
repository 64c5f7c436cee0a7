/// The documented shape of one event type: its name, what it means and a JSON Schema of its `data`.
///
/// Each module that declares event types lists them with their schemas next to the declarations
/// (`EventType.coreSchemas` here, `EventType.outboxSchemas` in Outbox); `floorctl schema` prints them, and a
/// test fails when a declared type has no entry.
public struct EventTypeSchema: Sendable {
    /// The type this describes.
    public var type: EventType
    /// One line: when the event is published.
    public var summary: String
    /// JSON Schema (draft-07) of the event's `data` object.
    public var data: JSONValue

    /// A type's summary and the members of its `data` (others may be added later: consumers must ignore them).
    public init(_ type: EventType, _ summary: String, _ members: [JSONSchema.Member]) {
        self.type = type
        self.summary = summary
        self.data = JSONSchema.object("", members)
    }

    /// JSON Schema (draft-07) of a whole event of this type: the envelope with `type` fixed and `data` described.
    public var eventSchema: JSONValue {
        guard case .object(var members) = Event.envelopeSchema else { return Event.envelopeSchema }
        members.insert(("title", .string(type.rawValue)), at: 0)
        if let index = members.firstIndex(where: { $0.0 == "description" }) {
            members[index].1 = .string(summary)
        }
        if let index = members.firstIndex(where: { $0.0 == "properties" }),
            case .object(var properties) = members[index].1
        {
            for position in properties.indices {
                switch properties[position].0 {
                case "type": properties[position].1 = JSONSchema.constant(.string(type.rawValue))
                case "data": properties[position].1 = data
                default: break
                }
            }
            members[index].1 = .object(properties)
        }
        return .object(members)
    }
}

/// An event with its wire JSON exactly as the outbox stored it: the uplinks send these bytes as they are, where
/// encoding the event again for MQTT and again for the webhook cost two encodings per event.
public struct StoredEvent: Sendable {
    public let event: Event
    /// The event's wire JSON (`event.jsonBytes`): the payload of its outbox record.
    public let json: [UInt8]

    public init(event: Event, json: [UInt8]) {
        self.event = event
        self.json = json
    }

    /// Encodes `event`, for a log that keeps no encoding of its own.
    public init(_ event: Event) {
        self.init(event: event, json: event.jsonBytes)
    }
}

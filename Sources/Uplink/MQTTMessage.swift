/// An application message: topic, payload, QoS and the retain flag (a last will, a status, an event).
public struct MQTTMessage: Hashable, Sendable {
    /// The topic name (no wildcards).
    public var topic: String
    /// The application payload.
    public var payload: [UInt8]
    /// The delivery guarantee.
    public var qos: MQTTQoS
    /// Whether the broker keeps it for later subscribers.
    public var retain: Bool

    /// A message with a binary payload.
    public init(topic: String, payload: [UInt8], qos: MQTTQoS = .atLeastOnce, retain: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }

    /// A message whose payload is `text` as UTF-8.
    public init(topic: String, text: String, qos: MQTTQoS = .atLeastOnce, retain: Bool = false) {
        self.init(topic: topic, payload: Array(text.utf8), qos: qos, retain: retain)
    }
}

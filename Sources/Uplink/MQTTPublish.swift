/// The contents of a PUBLISH packet (MQTT 3.1.1 §3.3): a message plus its packet id and DUP flag.
public struct MQTTPublish: Hashable, Sendable {
    /// The topic name.
    public var topic: String
    /// The application payload.
    public var payload: [UInt8]
    /// The QoS level (bits 2–1 of the fixed header).
    public var qos: MQTTQoS
    /// The RETAIN flag.
    public var retain: Bool
    /// Set when this may be a re-delivery of an earlier attempt; always false at QoS 0.
    public var dup: Bool
    /// Present (non-zero) exactly when `qos` is above 0.
    public var packetID: UInt16?

    /// A PUBLISH with these fields.
    public init(
        topic: String,
        payload: [UInt8],
        qos: MQTTQoS = .atMostOnce,
        retain: Bool = false,
        dup: Bool = false,
        packetID: UInt16? = nil
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.dup = dup
        self.packetID = packetID
    }
}

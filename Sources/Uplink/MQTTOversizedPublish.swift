/// A PUBLISH larger than the decoder's limit: its header was read, its payload skipped as it arrived (never
/// buffered), so the client can still acknowledge it and say why it was not delivered.
public struct MQTTOversizedPublish: Hashable, Sendable {
    /// The topic name.
    public var topic: String
    /// The QoS level the broker sent it at.
    public var qos: MQTTQoS
    /// The RETAIN flag.
    public var retain: Bool
    /// The DUP flag.
    public var dup: Bool
    /// Present exactly when `qos` is above 0: what the acknowledgement must carry.
    public var packetID: UInt16?
    /// How many payload bytes were skipped.
    public var payloadByteCount: Int
    /// The size of the whole packet, fixed header included.
    public var packetByteCount: Int

    /// An oversized PUBLISH with these fields.
    public init(
        topic: String,
        qos: MQTTQoS,
        retain: Bool = false,
        dup: Bool = false,
        packetID: UInt16? = nil,
        payloadByteCount: Int,
        packetByteCount: Int
    ) {
        self.topic = topic
        self.qos = qos
        self.retain = retain
        self.dup = dup
        self.packetID = packetID
        self.payloadByteCount = payloadByteCount
        self.packetByteCount = packetByteCount
    }
}

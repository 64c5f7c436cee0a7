/// One topic filter in a SUBSCRIBE packet with the maximum QoS asked for.
public struct MQTTSubscription: Hashable, Sendable {
    /// The filter, wildcards allowed (`+`, `#`).
    public var topicFilter: String
    /// The highest QoS asked for.
    public var qos: MQTTQoS

    /// A subscription to `topicFilter` at up to `qos`.
    public init(topicFilter: String, qos: MQTTQoS) {
        self.topicFilter = topicFilter
        self.qos = qos
    }
}

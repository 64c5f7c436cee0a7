/// An MQTT quality-of-service level.
public enum MQTTQoS: UInt8, Hashable, Sendable, Comparable {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2

    /// Lower guarantees order first.
    public static func < (lhs: MQTTQoS, rhs: MQTTQoS) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// An MQTT 3.1.1 control packet, as the client sends and receives them (QoS 2 flows are not supported).
public enum MQTTPacket: Hashable, Sendable {
    case connect(MQTTConnect)
    case connack(sessionPresent: Bool, returnCode: MQTTConnectReturnCode)
    case publish(MQTTPublish)
    case puback(packetID: UInt16)
    case subscribe(packetID: UInt16, subscriptions: [MQTTSubscription])
    /// Return codes: the granted QoS 0–2, or 0x80 for a refused filter.
    case suback(packetID: UInt16, returnCodes: [UInt8])
    case unsubscribe(packetID: UInt16, topicFilters: [String])
    case unsuback(packetID: UInt16)
    case pingreq
    case pingresp
    case disconnect

    /// The largest remaining length the 4-byte varint can express (268,435,455).
    public static let maximumRemainingLength = 268_435_455

    /// The control packet type in the high nibble of the first byte.
    var typeNibble: UInt8 {
        switch self {
        case .connect: return 1
        case .connack: return 2
        case .publish: return 3
        case .puback: return 4
        case .subscribe: return 8
        case .suback: return 9
        case .unsubscribe: return 10
        case .unsuback: return 11
        case .pingreq: return 12
        case .pingresp: return 13
        case .disconnect: return 14
        }
    }

    /// The packet type's name as the specification writes it (CONNACK, PUBLISH, …).
    public var typeName: String {
        switch self {
        case .connect: return "CONNECT"
        case .connack: return "CONNACK"
        case .publish: return "PUBLISH"
        case .puback: return "PUBACK"
        case .subscribe: return "SUBSCRIBE"
        case .suback: return "SUBACK"
        case .unsubscribe: return "UNSUBSCRIBE"
        case .unsuback: return "UNSUBACK"
        case .pingreq: return "PINGREQ"
        case .pingresp: return "PINGRESP"
        case .disconnect: return "DISCONNECT"
        }
    }
}

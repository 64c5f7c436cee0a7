/// The CONNACK return code (MQTT 3.1.1 §3.2.2.3): 0 accepted, 1–5 refusals, the rest reserved.
public struct MQTTConnectReturnCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The byte on the wire.
    public let rawValue: UInt8

    /// Any return code byte, reserved ones included.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// 0: connection accepted.
    public static let accepted = MQTTConnectReturnCode(rawValue: 0)
    /// 1: the broker does not speak MQTT 3.1.1.
    public static let unacceptableProtocolVersion = MQTTConnectReturnCode(rawValue: 1)
    /// 2: the client id is not allowed.
    public static let identifierRejected = MQTTConnectReturnCode(rawValue: 2)
    /// 3: the MQTT service is unavailable.
    public static let serverUnavailable = MQTTConnectReturnCode(rawValue: 3)
    /// 4: bad user name or password.
    public static let badUsernameOrPassword = MQTTConnectReturnCode(rawValue: 4)
    /// 5: the client is not authorised.
    public static let notAuthorized = MQTTConnectReturnCode(rawValue: 5)

    /// The meaning and what to check.
    public var description: String {
        switch rawValue {
        case 0: return "accepted"
        case 1: return "unacceptable protocol version (the broker does not speak MQTT 3.1.1)"
        case 2: return "identifier rejected (check clientId)"
        case 3: return "server unavailable (try again later)"
        case 4: return "bad user name or password (check username and passwordFile)"
        case 5: return "not authorized (check the broker's ACL for this client)"
        default: return "reserved return code \(rawValue)"
        }
    }
}

/// The contents of a CONNECT packet (MQTT 3.1.1 §3.1).
public struct MQTTConnect: Hashable, Sendable {
    /// The client identifier.
    public var clientID: String
    /// False asks the broker to keep the session across connections.
    public var cleanSession: Bool
    /// Keep-alive in seconds; 0 turns keep-alive off.
    public var keepAlive: UInt16
    /// The last will, published by the broker if the connection dies.
    public var will: MQTTMessage?
    /// The user name, if any.
    public var username: String?
    /// The password bytes; only with a user name.
    public var password: [UInt8]?

    /// A CONNECT with these fields.
    public init(
        clientID: String,
        cleanSession: Bool,
        keepAlive: UInt16,
        will: MQTTMessage? = nil,
        username: String? = nil,
        password: [UInt8]? = nil
    ) {
        self.clientID = clientID
        self.cleanSession = cleanSession
        self.keepAlive = keepAlive
        self.will = will
        self.username = username
        self.password = password
    }
}

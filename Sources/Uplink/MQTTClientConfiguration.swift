/// How an `MQTTClient` connects: broker, identity, keep-alive, will, subscriptions, window and backoff.
public struct MQTTClientConfiguration: Sendable {
    /// The broker to connect to.
    public var broker: MQTTBrokerURL
    /// The MQTT client identifier (the config's `clientId`).
    public var clientID: String
    /// False keeps the broker-side session (subscriptions, queued QoS 1 messages) across reconnects.
    public var cleanSession = false
    /// The user name, if the broker wants one.
    public var username: String?
    /// The password bytes (the caller reads them from `passwordFile`).
    public var password: [UInt8]?
    /// Keep-alive in seconds: PINGREQ every half of it; silence for 1.5 times it drops the connection.
    public var keepAlive: UInt16 = 30
    /// The last will, published by the broker when the connection dies without DISCONNECT.
    public var will: MQTTMessage?
    /// Published after every CONNACK (e.g. the retained `online` status).
    public var birth: MQTTMessage?
    /// Subscribed after every CONNACK (QoS 2 is requested as QoS 1: the client does not implement QoS 2).
    public var subscriptions: [MQTTSubscription] = []
    /// TLS settings; used when `broker.usesTLS` (nil then means the system trust store).
    public var tls: MQTTTLSConfiguration?
    /// At most this many QoS 1 publishes await PUBACK; `publish` waits while the window is full.
    public var inflightWindow = 32
    /// Bound on TCP connect, TLS handshake and CONNACK together.
    public var connectTimeout: Duration = .seconds(10)
    /// The first reconnect delay; doubled per failed attempt up to `maximumReconnectDelay`, with jitter.
    public var reconnectDelay: Duration = .milliseconds(500)
    /// The cap on the reconnect delay.
    public var maximumReconnectDelay: Duration = .seconds(30)
    /// The largest packet kept from the broker; a larger PUBLISH is skipped unbuffered and reported to the
    /// oversized-message handler, any other larger packet closes the connection.
    public var maximumPacketSize = MQTTPacketDecoder.defaultMaximumPacketSize
    /// Where the client's own tasks run (the connection's reader and writer, keep-alive, message delivery): the
    /// daemon passes its I/O loop, so a PUBACK is read and handled on the thread that waited for it; nil: the
    /// global pool.
    public var taskExecutor: (any TaskExecutor)?

    /// Defaults for everything but the broker and client id.
    public init(broker: MQTTBrokerURL, clientID: String) {
        self.broker = broker
        self.clientID = clientID
    }
}

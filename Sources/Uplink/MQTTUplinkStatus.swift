/// What `floorctl status` shows for the MQTT uplink.
public struct MQTTUplinkStatus: Hashable, Sendable {
    /// The uplink's name (its cursor in the outbox).
    public var name: String
    /// The client's connection state.
    public var state: MQTTConnectionState
    /// The highest sequence number acknowledged by the broker and recorded in the outbox cursor.
    public var acknowledgedSeq: UInt64
    /// The highest sequence number handed to the MQTT client (published or waiting to be).
    public var publishedSeq: UInt64
    /// The most recent error (connection, TLS, protocol, outbox), nil if none yet.
    public var lastError: String?

    /// Whether a broker connection is up.
    public var isConnected: Bool { state == .connected }

    /// Events not yet acknowledged, given the newest sequence number in the outbox.
    public func lag(outboxHead: UInt64) -> UInt64 {
        outboxHead > acknowledgedSeq ? outboxHead - acknowledgedSeq : 0
    }
}

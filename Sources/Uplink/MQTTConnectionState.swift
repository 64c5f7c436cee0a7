/// Where an `MQTTClient` is in its connection cycle.
public enum MQTTConnectionState: String, Hashable, Sendable {
    case disconnected
    case connecting
    case connected
    case stopped
}

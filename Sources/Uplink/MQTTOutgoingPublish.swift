/// A QoS 1 publish in the in-flight window: its receipt, the packet (with its packet id), and whether it was
/// ever written (a resend after reconnect then carries DUP).
struct MQTTOutgoingPublish: Sendable {
    let receipt: UInt64
    var publish: MQTTPublish
    var sent: Bool
}

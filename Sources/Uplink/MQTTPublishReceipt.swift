/// Identifies one publish handed to `MQTTClient.publish`, to wait for or ask about its PUBACK; receipts
/// increase in the order the publishes were made.
public struct MQTTPublishReceipt: Hashable, Comparable, Sendable {
    /// Increases by one per publish on a client.
    public let id: UInt64

    /// A receipt for publish number `id`.
    public init(id: UInt64) {
        self.id = id
    }

    /// Earlier publishes order first.
    public static func < (lhs: MQTTPublishReceipt, rhs: MQTTPublishReceipt) -> Bool { lhs.id < rhs.id }
}

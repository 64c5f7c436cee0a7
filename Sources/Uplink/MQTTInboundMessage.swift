/// A PUBLISH received from the broker, queued for the message handler with the connection it came on.
struct MQTTInboundMessage: Sendable {
    /// The PUBLISH; its payload is empty when it was oversized.
    let publish: MQTTPublish
    /// For a PUBLISH over the packet limit: how many payload bytes were skipped unread.
    let skippedPayloadBytes: Int?
    let generation: UInt64
}

/// A PUBLISH received from the broker, queued for the message handler with the connection it came on.
struct MQTTInboundMessage: Sendable {
    let publish: MQTTPublish
    let generation: UInt64
}

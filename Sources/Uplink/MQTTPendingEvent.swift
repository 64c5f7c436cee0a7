/// An event handed to the MQTT client, waiting for its PUBACK before the cursor may pass it; no receipt means
/// it could not be published (the error is recorded) and it does not hold the cursor back.
struct MQTTPendingEvent: Sendable {
    let receipt: MQTTPublishReceipt?
    let seq: UInt64
    /// When it was handed to the client: the start of its publish latency.
    var handedOver = ContinuousClock.now
}

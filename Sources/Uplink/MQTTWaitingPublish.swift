/// A publish waiting for room in the in-flight window, resumed in arrival order.
struct MQTTWaitingPublish: Sendable {
    let receipt: UInt64
    let message: MQTTMessage
    let continuation: CheckedContinuation<Result<Void, MQTTError>, Never>
}

import Glibc
import TestSupport
import Uplink

// mqtt-bench: QoS 1 throughput and publish-to-receive latency through MQTTClient against a local mosquitto.
// Usage: mqtt-bench [N]   (default 20000)

/// Waits until `condition` holds, polling every millisecond, at most `seconds`.
func waitUntil(seconds: Double, _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return await condition()
}

/// A payload about the size of an event's JSON: the send time, then padding.
func payload(sequence: Int) -> [UInt8] {
    let stamp = "\(LatencyRecorder.monotonicNanoseconds()) seq=\(sequence) "
    return Array(stamp.utf8) + [UInt8](repeating: 0x78, count: max(0, 300 - stamp.utf8.count))
}

func run(count: Int) async throws {
    let broker = try await Mosquitto()
    defer { broker.remove() }
    let url = MQTTBrokerURL(host: "127.0.0.1", port: broker.port, usesTLS: false)
    let topic = "floorlink/bench/dock-03/events/scan"

    let loaded = LatencyRecorder(capacity: count)
    let unloaded = LatencyRecorder(capacity: 1000)
    let phase = Phase()
    var subscriberConfiguration = MQTTClientConfiguration(broker: url, clientID: "bench-subscriber")
    subscriberConfiguration.subscriptions = [MQTTSubscription(topicFilter: "floorlink/bench/#", qos: .atLeastOnce)]
    let subscriber = MQTTClient(configuration: subscriberConfiguration) { _, payload in
        if await phase.isWarm { await loaded.record(payload) } else { await unloaded.record(payload) }
    }
    let publisher = MQTTClient(configuration: MQTTClientConfiguration(broker: url, clientID: "bench-publisher"))
    let subscriberTask = Task { await subscriber.run() }
    let publisherTask = Task { await publisher.run() }
    defer {
        subscriberTask.cancel()
        publisherTask.cancel()
    }
    let connected = await waitUntil(seconds: 5) {
        let subscriberState = await subscriber.state
        let publisherState = await publisher.state
        return subscriberState == .connected && publisherState == .connected
    }
    guard connected else { throw BenchError("clients did not connect") }
    try await Task.sleep(for: .milliseconds(200))  // SUBACK

    // Unloaded latency: one message at a time.
    let single = 1000
    for sequence in 0..<single {
        try await publisher.publish(MQTTMessage(topic: topic, payload: payload(sequence: sequence)))
        _ = await waitUntil(seconds: 2) { await unloaded.count > sequence }
    }

    // Throughput: N messages as fast as the in-flight window allows.
    await phase.warm()
    let start = ContinuousClock.now
    var last: MQTTPublishReceipt?
    for sequence in 0..<count {
        last = try await publisher.publish(MQTTMessage(topic: topic, payload: payload(sequence: sequence)))
    }
    if let last { try await publisher.waitForAcknowledgement(last) }
    let acknowledged = ContinuousClock.now - start
    guard await waitUntil(seconds: 60, { await loaded.count >= count }) else {
        throw BenchError("only \(await loaded.count) of \(count) messages arrived")
    }
    let received = ContinuousClock.now - start
    func perSecond(_ duration: Duration) -> Int {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return Int(Double(count) / seconds)
    }
    print("mqtt-bench: \(count) QoS 1 messages of 300 bytes, window 32, mosquitto on loopback")
    print("  published+acked  \(perSecond(acknowledged)) msg/s  (\(acknowledged))")
    print("  received         \(perSecond(received)) msg/s  (\(received))")
    let loadedP50 = await loaded.percentile(0.5)
    let loadedP99 = await loaded.percentile(0.99)
    let unloadedP50 = await unloaded.percentile(0.5)
    let unloadedP99 = await unloaded.percentile(0.99)
    print("  latency under load   p50 \(Int(loadedP50)) µs  p99 \(Int(loadedP99)) µs")
    print("  latency one-by-one   p50 \(Int(unloadedP50)) µs  p99 \(Int(unloadedP99)) µs  (\(single) messages)")
    await publisher.stop()
    await subscriber.stop()
}

let count = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 20_000
do {
    try await run(count: count)
} catch {
    print("mqtt-bench: \(error)")
    exit(1)
}

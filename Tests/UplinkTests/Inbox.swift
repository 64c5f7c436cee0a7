/// Messages a test subscriber received, in arrival order.
actor Inbox {
    private(set) var messages: [(topic: String, payload: String)] = []

    func add(topic: String, payload: [UInt8]) {
        messages.append((topic, String(decoding: payload, as: UTF8.self)))
    }

    var count: Int { messages.count }

    /// Payloads received on `topic`.
    func payloads(on topic: String) -> [String] {
        messages.filter { $0.topic == topic }.map(\.payload)
    }

    /// The `seq` of every event payload, in arrival order (duplicates included).
    func eventSeqs() -> [UInt64] {
        messages.compactMap { $0.topic.contains("/events/") ? TestSupport.seq(in: $0.payload) : nil }
    }
}

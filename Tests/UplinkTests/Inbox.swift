/// Messages a test subscriber received, in arrival order.
actor Inbox {
    private(set) var messages: [(topic: String, payload: String)] = []
    /// The `seq` of each event payload, read once as it arrives: tests poll these every 20 ms, and re-reading
    /// 10,000 payloads per poll kept this actor (and so the subscriber feeding it) busy under a sanitizer.
    private var seqs: [UInt64] = []
    private var distinctSeqs: Set<UInt64> = []

    func add(topic: String, payload: [UInt8]) {
        let text = String(decoding: payload, as: UTF8.self)
        messages.append((topic, text))
        if topic.contains("/events/"), let seq = TestSupport.seq(in: text) {
            seqs.append(seq)
            distinctSeqs.insert(seq)
        }
    }

    var count: Int { messages.count }

    /// Payloads received on `topic`.
    func payloads(on topic: String) -> [String] {
        messages.filter { $0.topic == topic }.map(\.payload)
    }

    /// The `seq` of every event payload, in arrival order (duplicates included).
    func eventSeqs() -> [UInt64] { seqs }

    /// How many event payloads arrived, duplicates included.
    var eventCount: Int { seqs.count }

    /// How many different events arrived.
    var distinctEventCount: Int { distinctSeqs.count }
}

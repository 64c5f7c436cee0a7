import Events
import TestSupport
import Uplink

/// An in-memory `EventLog`: `events(after:limit:)` polls every 5 ms while there are none.
actor WebhookEventLog: EventLog {
    private var stored: [Event] = []
    private var cursors: [String: UInt64] = [:]

    init(events: [Event] = []) {
        stored = events
    }

    func append(_ events: [Event]) {
        stored += events
    }

    func events(after seq: UInt64, limit: Int) async throws -> [Event] {
        while true {
            let found = stored.filter { $0.seq > seq }.prefix(limit)
            if !found.isEmpty { return Array(found) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func cursor(for uplink: String) async throws -> UInt64 {
        cursors[uplink] ?? 0
    }

    func newestEvent() async throws -> Event? { stored.last }

    func acknowledge(_ uplink: String, through seq: UInt64) async throws {
        cursors[uplink] = seq
    }

    /// Waits until `uplink` acknowledged through `seq` or `timeout` passed; true when it did.
    func waitForCursor(_ uplink: String, _ seq: UInt64, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (cursors[uplink] ?? 0) >= seq { return true }
            guard await Poll.pause(.milliseconds(10)) else { break }
        }
        return (cursors[uplink] ?? 0) >= seq
    }
}

enum WebhookFixtures {
    static let secret = Array("webhook-secret-0123456789abcdef".utf8)
    static let now = EventTime(millisecondsSinceEpoch: 1_795_341_600_000)

    /// Events with seq `range`, ids in time order.
    static func events(_ range: ClosedRange<UInt64>) -> [Event] {
        range.map { seq in
            Event(
                id: EventID(high: 0x0193_A1C2_0000_7000 | seq, low: 0x8000_0000_0000_0000 | seq),
                seq: seq,
                site: "ams-1",
                controller: "dock-03",
                device: "scanner-1",
                type: .scan,
                time: EventTime(millisecondsSinceEpoch: now.millisecondsSinceEpoch - 10_000 + Int64(seq)),
                data: ["text": .string("item-\(seq)")]
            )
        }
    }
}

extension WebhookTestServer {
    /// The server's URL as the uplink takes it.
    var endpoint: HTTPURL {
        // A literal URL with a valid port: parsing cannot fail.
        try! HTTPURL(parsing: url)
    }
}

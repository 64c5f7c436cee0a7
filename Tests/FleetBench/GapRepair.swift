import Events
import Locking
import Uplink

/// The order service's gap repair (README, "Detect gaps by seq"): per controller, a seq missing below the highest
/// one seen (or below the `lastSeq` of the controller's retained status) for `grace` while the controller is
/// online is asked for again with a signed `events.replay`, one replay at a time per controller, in ranges of at
/// most `EventReplayRange.maximumCount`. A seq still missing 10 s after it was asked for is asked for again.
final class GapRepair: Sendable {
    private struct State {
        var statuses: [String: ControllerStatus] = [:]
        /// When each status arrived (wall milliseconds).
        var statusArrived: [String: Int64] = [:]
        /// Per controller, when each missing seq was first noticed missing.
        var noticed: [String: [UInt64: Int64]] = [:]
        /// Per controller, when each seq was last asked for.
        var asked: [String: [UInt64: Int64]] = [:]
        /// Per controller, the replay in flight: its command id and when it was sent.
        var outstanding: [String: (id: String, sent: Int64)] = [:]
        var requests = 0
        var nextID = 0
        /// Result codes of the replays (`ok` for a success), counted.
        var results: [String: Int] = [:]
        var replayedByController = 0
    }
    private let state = Locked(State())
    private let key: [UInt8]
    private let site: String
    private let received: Received
    /// Publishes the commands (a client of its own, clean session).
    let client: MQTTClient

    /// Repair for the controllers of `site`, signing with `key`, publishing with `client`.
    init(site: String, key: [UInt8], received: Received, client: MQTTClient) {
        self.site = site
        self.key = key
        self.received = received
        self.client = client
    }

    /// A retained status arrived.
    func status(_ status: ControllerStatus) {
        state.withLock { state in
            state.statuses[status.controller] = status
            state.statusArrived[status.controller] = wallMilliseconds()
        }
    }

    /// A message on `.../commands/results`: ends the controller's replay in flight when it answers it.
    func result(topic: String, payload: [UInt8]) {
        let levels = topic.split(separator: "/")
        guard levels.count == 5, let json = try? JSONValue(parsing: payload),
            let id = json["command"]?.stringValue
        else { return }
        let controller = String(levels[2])
        state.withLock { state in
            guard state.outstanding[controller]?.id == id else { return }
            state.outstanding[controller] = nil
            let code = json["ok"] == true ? "ok" : (json["error"]?.stringValue ?? "unknown")
            state.results[code, default: 0] += 1
            state.replayedByController += Int(json["data"]?["replayed"]?.intValue ?? 0)
        }
    }

    /// Replays sent so far.
    var requests: Int { state.withLock { $0.requests } }
    /// Replays still waiting for their result.
    var outstanding: Int { state.withLock { $0.outstanding.count } }
    /// Result codes counted (`ok`, `not-retained`, `beyond-newest`, …).
    var results: [String: Int] { state.withLock { $0.results } }
    /// The events the controllers said they re-published, summed over the results.
    var republished: Int { state.withLock { $0.replayedByController } }

    /// How many of `controllers` have a status that arrived at or after `since` (wall milliseconds).
    func freshStatuses(_ controllers: [String], since: Int64) -> Int {
        state.withLock { state in controllers.filter { (state.statusArrived[$0] ?? 0) >= since }.count }
    }

    /// One pass over `controllers`: for each online one without a replay in flight, the first range of seqs
    /// missing for at least `grace` is asked for. Returns how many replays were sent.
    func round(_ controllers: [String], grace: Duration) async -> Int {
        let now = wallMilliseconds()
        let graceMilliseconds = grace.components.seconds * 1000 + grace.components.attoseconds / 1_000_000_000_000_000
        var sends: [(controller: String, range: EventReplayRange)] = []
        for controller in controllers {
            let status = state.withLock { $0.statuses[controller] }
            let upper = max(received.highest(controller), status?.lastSeq ?? 0)
            let missing = received.missing(controller, through: upper)
            let range = state.withLock { state -> EventReplayRange? in
                // A reply lost with a broker restart must not block the controller forever.
                if let outstanding = state.outstanding[controller], now - outstanding.sent < 30_000 { return nil }
                state.outstanding[controller] = nil
                var noticed = state.noticed[controller] ?? [:]
                let missingSet = Set(missing)
                noticed = noticed.filter { missingSet.contains($0.key) }
                for seq in missing where noticed[seq] == nil { noticed[seq] = now }
                state.noticed[controller] = noticed
                guard status?.isOnline == true else { return nil }
                let asked = state.asked[controller] ?? [:]
                let due = missing.filter { seq in
                    guard let since = noticed[seq], now - since >= graceMilliseconds else { return false }
                    return asked[seq].map { now - $0 >= 10_000 } ?? true
                }
                guard let first = due.first else { return nil }
                var last = first
                for seq in due.dropFirst() {
                    guard seq == last + 1, seq - first < EventReplayRange.maximumCount else { break }
                    last = seq
                }
                return EventReplayRange(from: first, through: last)
            }
            if let range { sends.append((controller, range)) }
        }
        for (controller, range) in sends { await send(controller, range) }
        return sends.count
    }

    /// Publishes a signed `events.replay` for `range` to `controller`.
    private func send(_ controller: String, _ range: EventReplayRange) async {
        let now = wallMilliseconds()
        let id = state.withLock { state -> String in
            state.nextID += 1
            state.requests += 1
            for seq in range.from...range.through { state.asked[controller, default: [:]][seq] = now }
            let id = "replay-\(controller)-\(state.nextID)"
            state.outstanding[controller] = (id, now)
            return id
        }
        received.requested(controller, range.from...range.through)
        var members: [(String, JSONValue)] = [
            ("id", .string(id)), ("command", .string(CommandName.eventsReplay.rawValue)), ("device", "controller"),
            ("args", range.json), ("issuedAt", .int(now / 1000)),
        ]
        guard let command = try? Command(json: .object(members)),
            let signature = CommandSigning.signature(for: command, key: key)
        else {
            print("fleet-bench: cannot sign the replay for \(controller)")
            return
        }
        members.append(("signature", .string(signature)))
        let topic = "floorlink/\(site)/\(controller)/commands"
        _ = try? await client.publish(MQTTMessage(topic: topic, text: JSONValue.object(members).jsonText))
    }
}

import Events
import Locking

/// What the consumer group received: each event's id once, duplicates, the latency of first arrivals, and per
/// controller the seqs seen (the order service's gap detection), including which arrived only after a replay of
/// them was requested.
final class Received: Sendable {
    private struct State {
        var ids: Set<String> = []
        var duplicates = 0
        var latenciesMilliseconds: [Double] = []
        var perController: [String: Set<UInt64>] = [:]
        /// Per controller, the highest seq below which every seq arrived (gap scans start above it).
        var complete: [String: UInt64] = [:]
        var highest: [String: UInt64] = [:]
        /// Per controller, seqs asked for with `events.replay` that had not arrived when asked.
        var requested: [String: Set<UInt64>] = [:]
        var replayed = 0
        /// The latency of the events that arrived only through a replay (kept apart: they waited out the grace).
        var replayLatenciesMilliseconds: [Double] = []
    }
    private let state = Locked(State())

    func record(_ payload: [UInt8]) {
        let arrived = wallMilliseconds()
        guard let event = try? JSONValue(parsing: payload), let id = event["id"]?.stringValue,
            let controller = event["controller"]?.stringValue, let seq = event["seq"]?.intValue,
            let time = event["time"]?.stringValue.flatMap(EventTime.init(parsing:))
        else { return }
        let number = UInt64(seq)
        state.withLock { state in
            guard state.ids.insert(id).inserted else {
                state.duplicates += 1
                return
            }
            state.perController[controller, default: []].insert(number)
            state.highest[controller] = max(state.highest[controller] ?? 0, number)
            let latency = Double(arrived - time.millisecondsSinceEpoch)
            if state.requested[controller]?.remove(number) != nil {
                state.replayed += 1
                state.replayLatenciesMilliseconds.append(latency)
            } else {
                state.latenciesMilliseconds.append(latency)
            }
        }
    }

    var unique: Int { state.withLock { $0.ids.count } }
    var duplicates: Int { state.withLock { $0.duplicates } }
    /// Latencies of the events that arrived without a replay, sorted.
    var latencies: [Double] { state.withLock { $0.latenciesMilliseconds }.sorted() }
    /// Latencies of the events that arrived only through a replay, sorted.
    var replayLatencies: [Double] { state.withLock { $0.replayLatenciesMilliseconds }.sorted() }
    /// Events that arrived only after a replay of them was requested.
    var replayed: Int { state.withLock { $0.replayed } }

    /// The highest seq of `controller` seen so far (0 before any).
    func highest(_ controller: String) -> UInt64 {
        state.withLock { $0.highest[controller] ?? 0 }
    }

    /// Seqs 1...last of `controller` that have not arrived (yet).
    func missing(_ controller: String, through last: UInt64) -> [UInt64] {
        guard last > 0 else { return [] }
        return state.withLock { state in
            let seen = state.perController[controller] ?? []
            var complete = state.complete[controller] ?? 0
            while seen.contains(complete + 1) { complete += 1 }
            state.complete[controller] = complete
            guard complete < last else { return [] }
            return (complete + 1...last).filter { !seen.contains($0) }
        }
    }

    /// Records that `seqs` of `controller` were asked for with `events.replay`; those that arrive afterwards count
    /// as replayed.
    func requested(_ controller: String, _ seqs: ClosedRange<UInt64>) {
        state.withLock { state in
            let seen = state.perController[controller] ?? []
            for seq in seqs where !seen.contains(seq) { state.requested[controller, default: []].insert(seq) }
        }
    }
}

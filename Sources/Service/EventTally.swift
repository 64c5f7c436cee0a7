import Events
import Locking

/// Counts of the events the hub has stored since start, for `/metrics` and the status page: by type and
/// device, device faults by reason, command results, and the most recent events.
public final class EventTally: Sendable {
    /// A copy of the counts at one moment.
    public struct Snapshot: Sendable, Equatable {
        /// Events by (type, device).
        public var events: [Key: Int] = [:]
        /// `device.fault` events by (device, reason).
        public var faults: [Key: Int] = [:]
        /// `command.result` events by result: `ok` or the error code.
        public var commands: [String: Int] = [:]
        /// The last `recentCapacity` events, oldest first.
        public var recent: [Event] = []

        public init() {}
    }

    /// A pair of label values.
    public struct Key: Hashable, Sendable, Comparable {
        public var first: String
        public var second: String

        public init(_ first: String, _ second: String) {
            self.first = first
            self.second = second
        }

        public static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.first, lhs.second) < (rhs.first, rhs.second)
        }
    }

    /// How many recent events are kept.
    public static let recentCapacity = 50

    private let state = Locked(Snapshot())

    public init() {}

    /// Counts `event`.
    public func record(_ event: Event) {
        state.withLock { state in
            state.events[Key(event.type.rawValue, event.device), default: 0] += 1
            switch event.type {
            case .deviceFault:
                state.faults[Key(event.device, event.data["reason"]?.stringValue ?? "unknown"), default: 0] += 1
            case .commandResult:
                let ok = event.data["ok"] == .bool(true)
                state.commands[ok ? "ok" : (event.data["error"]?.stringValue ?? "error"), default: 0] += 1
            default:
                break
            }
            // Trimmed in halves: up to twice the capacity is kept, so an event moves the others once per
            // `recentCapacity` events, not all of them on every one.
            state.recent.append(event)
            if state.recent.count > 2 * Self.recentCapacity {
                state.recent.removeFirst(state.recent.count - Self.recentCapacity)
            }
        }
    }

    /// The counts now.
    public var snapshot: Snapshot {
        state.withLock { state in
            var snapshot = state
            snapshot.recent = Array(state.recent.suffix(Self.recentCapacity))
            return snapshot
        }
    }
}

import HAL
import Locking

/// A clock that moves only when a test (or the demo simulator) advances it: time-based behaviour is
/// tested without sleeping. Like swift-nio's `EmbeddedEventLoop`, but for Swift concurrency.
public final class ManualClock: Clock {
    private struct Sleeper {
        var id: UInt64
        var deadline: ClockInstant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Watcher {
        var id: UInt64
        var count: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now: ClockInstant
        var nextID: UInt64 = 0
        var sleepers: [Sleeper] = []
        var watchers: [Watcher] = []
    }

    private let state: Locked<State>

    public init(now: ClockInstant = .zero) {
        state = Locked(State(now: now))
    }

    public var now: ClockInstant {
        state.withLock { $0.now }
    }

    /// The number of tasks suspended in `sleep(until:)` right now.
    public var sleeperCount: Int {
        state.withLock { $0.sleepers.count }
    }

    /// The earliest deadline anyone is sleeping until.
    public var nextDeadline: ClockInstant? {
        state.withLock { $0.sleepers.map(\.deadline).min() }
    }

    public func sleep(until deadline: ClockInstant) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Bool = state.withLock { state in
                    if deadline <= state.now || Task.isCancelled { return true }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    Self.notifyWatchers(&state)
                    return false
                }
                if resumeNow {
                    if Task.isCancelled {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        continuation.resume()
                    }
                }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration`, waking every sleeper whose deadline has come, earliest first.
    public func advance(by duration: Duration) {
        advance(to: now + duration)
    }

    /// Moves time to `instant` (never backwards), waking every sleeper whose deadline has come, earliest first.
    public func advance(to instant: ClockInstant) {
        let due = state.withLock { state -> [Sleeper] in
            if instant > state.now { state.now = instant }
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due {
            sleeper.continuation.resume()
        }
    }

    /// Suspends until at least `count` tasks are sleeping on this clock: the test's way to know that the code
    /// under test has reached its next wait before time is advanced. Returns early when its task is cancelled, so a
    /// task that drives time (see `runVirtualTime` in the tests) can be cancelled while nothing sleeps.
    public func waitForSleepers(_ count: Int = 1) async {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if state.sleepers.count >= count || Task.isCancelled { return true }
                    state.watchers.append(Watcher(id: id, count: count, continuation: continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let watcher = state.withLock { state -> Watcher? in
                guard let index = state.watchers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.watchers.remove(at: index)
            }
            watcher?.continuation.resume()
        }
    }

    private static func notifyWatchers(_ state: inout State) {
        let sleeping = state.sleepers.count
        let ready = state.watchers.filter { $0.count <= sleeping }
        state.watchers.removeAll { $0.count <= sleeping }
        for watcher in ready {
            watcher.continuation.resume()
        }
    }
}

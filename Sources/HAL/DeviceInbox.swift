import Locking

/// The single queue a driver's loop reads: edges, bytes and commands go in from any task, and the loop takes
/// them one at a time, or learns that its next deadline came first. One consumer keeps a driver's state
/// single-threaded and its tests deterministic under a `ManualClock`. Simulated hardware hands its edge events
/// to the awaiting code through one too (with no deadline).
public final class DeviceInbox<Input: Sendable>: Sendable {
    /// What `next(until:)` returns.
    public enum Delivery: Sendable {
        case input(Input)
        /// The deadline passed with nothing queued.
        case deadline
        /// The inbox was closed, or the waiting task cancelled.
        case closed
    }

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Delivery, Never>
        var timer: Task<Void, Never>?
    }

    private struct State {
        var queue: [Input] = []
        var head = 0
        var waiter: Waiter?
        var nextID: UInt64 = 0
        var closed = false
    }

    private let clock: any Clock
    private let state = Locked(State())

    public init(clock: any Clock) {
        self.clock = clock
    }

    /// Queues `input` for the loop; dropped once the inbox is closed.
    public func send(_ input: Input) {
        let waiter = state.withLock { state -> Waiter? in
            guard !state.closed else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.queue.append(input)
            return nil
        }
        if let waiter {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: .input(input))
        }
    }

    /// Ends the loop: the waiting `next` returns `.closed`, and so does every later one once the queue is empty.
    public func close() {
        let waiter = state.withLock { state -> Waiter? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.timer?.cancel()
        waiter?.continuation.resume(returning: .closed)
    }

    /// The next queued input without waiting, or nil when none is queued: how a loop that is ending hands back
    /// what was still waiting.
    public func takeQueued() -> Input? {
        state.withLock { state -> Input? in
            guard state.head < state.queue.count else { return nil }
            let input = state.queue[state.head]
            state.head += 1
            if state.head == state.queue.count {
                state.queue.removeAll(keepingCapacity: true)
                state.head = 0
            }
            return input
        }
    }

    /// The next input, or `.deadline` when `deadline` (if any) passes first. One consumer only.
    public func next(until deadline: ClockInstant?) async -> Delivery {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Delivery, Never>) in
                let immediate = state.withLock { state -> Delivery? in
                    if state.head < state.queue.count {
                        let input = state.queue[state.head]
                        state.head += 1
                        if state.head == state.queue.count {
                            state.queue.removeAll(keepingCapacity: true)
                            state.head = 0
                        }
                        return .input(input)
                    }
                    if state.closed || Task.isCancelled { return .closed }
                    if let deadline, deadline <= clock.now { return .deadline }
                    var timer: Task<Void, Never>?
                    if let deadline {
                        timer = Task { [clock] in
                            guard (try? await clock.sleep(until: deadline)) != nil else { return }
                            self.finish(waiter: id, with: .deadline)
                        }
                    }
                    state.waiter = Waiter(id: id, continuation: continuation, timer: timer)
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            finish(waiter: id, with: .closed)
        }
    }

    private func finish(waiter id: UInt64, with delivery: Delivery) {
        let waiter = state.withLock { state -> Waiter? in
            guard let waiter = state.waiter, waiter.id == id else { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.timer?.cancel()
        waiter?.continuation.resume(returning: delivery)
    }
}

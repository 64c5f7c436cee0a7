/// A request one task waits for: kept until the next wait when nobody waits (one at most: a second request adds
/// nothing), and a cancelled wait loses nothing, unlike an `AsyncStream`, which a cancelled iteration finishes for good
/// (`device.reset` for a device supervisor, `stop` for the webhook uplink).
public final class RequestSignal: Sendable {
    private let state = Locked<(pending: Bool, waiter: CheckedContinuation<Bool, Never>?)>((false, nil))

    public init() {}

    /// Wakes the waiter, or keeps the request for the next wait.
    public func request() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: true)
    }

    /// True once a request comes (or one was kept); false when the task is cancelled first.
    public func wait() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now = state.withLock { state -> Bool? in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    if Task.isCancelled { return false }
                    state.waiter = continuation
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: false)
        }
    }
}

import Locking

/// The promise an append returns at once: it resolves when the event's group commit has synced it, or with the
/// error that lost it (a failed sync; the seq is then reused). Waiting is optional and can happen any time later.
public final class DurabilityTicket: Sendable {
    /// Told the ticket's result when it resolves, on the resolving thread; must not block.
    public typealias Observer = @Sendable (Result<Void, OutboxError>) -> Void

    private enum State {
        case pending(waiters: [CheckedContinuation<Result<Void, OutboxError>, Never>], observers: [Observer])
        case resolved(Result<Void, OutboxError>)
    }

    private let state = Locked(State.pending(waiters: [], observers: []))

    init() {}

    /// Returns once the event is durable; throws the error that kept it from becoming so.
    public func wait() async throws(OutboxError) {
        let result = await withCheckedContinuation { continuation in
            let resolved = state.withLock { state -> Result<Void, OutboxError>? in
                switch state {
                case .pending(let waiters, let observers):
                    state = .pending(waiters: waiters + [continuation], observers: observers)
                    return nil
                case .resolved(let result):
                    return result
                }
            }
            if let resolved { continuation.resume(returning: resolved) }
        }
        try result.get()
    }

    /// Calls `observer` with the result once the ticket resolves (at once when it already has), without a task
    /// waiting for it: the event hub counts and logs a lost event this way for every event nobody waits on.
    public func whenResolved(_ observer: @escaping Observer) {
        let resolved = state.withLock { state -> Result<Void, OutboxError>? in
            switch state {
            case .pending(let waiters, let observers):
                state = .pending(waiters: waiters, observers: observers + [observer])
                return nil
            case .resolved(let result):
                return result
            }
        }
        if let resolved { observer(resolved) }
    }

    /// Settles the ticket once; later calls are ignored.
    func resolve(_ result: Result<Void, OutboxError>) {
        let pending = state.withLock {
            state -> ([CheckedContinuation<Result<Void, OutboxError>, Never>], [Observer]) in
            guard case .pending(let waiters, let observers) = state else { return ([], []) }
            state = .resolved(result)
            return (waiters, observers)
        }
        for observer in pending.1 { observer(result) }
        for waiter in pending.0 { waiter.resume(returning: result) }
    }
}

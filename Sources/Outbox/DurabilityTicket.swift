import Locking

/// The promise an append returns at once: it resolves when the event's group commit has synced it, or with the
/// error that lost it (a failed sync; the seq is then reused). Waiting is optional and can happen any time later.
public final class DurabilityTicket: Sendable {
    private enum State {
        case pending([CheckedContinuation<Result<Void, OutboxError>, Never>])
        case resolved(Result<Void, OutboxError>)
    }

    private let state = Locked(State.pending([]))

    init() {}

    /// Returns once the event is durable; throws the error that kept it from becoming so.
    public func wait() async throws(OutboxError) {
        let result = await withCheckedContinuation { continuation in
            let resolved = state.withLock { state -> Result<Void, OutboxError>? in
                switch state {
                case .pending(let waiters):
                    state = .pending(waiters + [continuation])
                    return nil
                case .resolved(let result):
                    return result
                }
            }
            if let resolved { continuation.resume(returning: resolved) }
        }
        try result.get()
    }

    /// Settles the ticket once; later calls are ignored.
    func resolve(_ result: Result<Void, OutboxError>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Result<Void, OutboxError>, Never>] in
            guard case .pending(let waiters) = state else { return [] }
            state = .resolved(result)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }
}

/// The first request of a sync that failed and why; the requests before it succeeded.
struct SyncFailure: Error, Sendable {
    var requestIndex: Int
    var error: OutboxError
}

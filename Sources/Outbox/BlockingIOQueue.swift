import Dispatch

/// Runs blocking file work (syncs, cursor writes, recovery scans) on one serial dispatch queue, so the
/// cooperative thread pool never waits on the disk.
final class BlockingIOQueue: Sendable {
    private let queue = DispatchQueue(label: "floorlink.outbox.io")

    /// Runs `body` on the queue, without waiting for it.
    func submit(_ body: @escaping @Sendable () -> Void) {
        queue.async(execute: body)
    }

    /// Runs `body` on the queue and returns its result.
    func run<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }

    /// Runs throwing `body` on the queue and returns its result or rethrows its error.
    func run<Value: Sendable>(
        throwing body: @escaping @Sendable () throws(OutboxError) -> Value
    ) async throws(OutboxError) -> Value {
        let result: Result<Value, OutboxError> = await run { Result { () throws(OutboxError) in try body() } }
        return try result.get()
    }
}

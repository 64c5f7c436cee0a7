import IOEngine
import Locking

/// A long-running part of the daemon: `run()` returns when it has stopped, after the task is cancelled (or
/// because it failed).
public protocol LifecycleService: Sendable {
    var name: String { get }
    func run() async throws
}

/// A service made of a closure, for small parts of the daemon.
public struct ClosureService: LifecycleService {
    public let name: String
    private let body: @Sendable () async throws -> Void

    public init(name: String, _ body: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.body = body
    }

    public func run() async throws { try await body() }
}

/// Runs services started in order and stops them in reverse order (swift-service-lifecycle's ServiceGroup):
/// on the shutdown trigger, or when any service ends by itself, the last-started service is cancelled first and
/// awaited up to `gracefulTimeout` before the next one is cancelled.
public struct ServiceGroup: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// The shutdown trigger fired.
        case shutdownRequested
        /// A service returned or threw on its own; its name and error.
        case serviceEnded(name: String, error: String?)
    }

    public let services: [any LifecycleService]
    public let gracefulTimeout: Duration
    /// Where the services' tasks run (the daemon's I/O loop); nil: the global pool.
    public let taskExecutor: (any TaskExecutor)?
    private let logger: Logger

    public init(
        services: [any LifecycleService],
        gracefulTimeout: Duration = .seconds(10),
        taskExecutor: (any TaskExecutor)? = nil,
        logger: Logger
    ) {
        self.services = services
        self.gracefulTimeout = gracefulTimeout
        self.taskExecutor = taskExecutor
        self.logger = logger
    }

    /// Runs until `shutdown` yields (or finishes) or a service ends, then stops everything in reverse order.
    public func run<Trigger: AsyncSequence & Sendable>(until shutdown: Trigger) async -> Outcome
    where Trigger.Element: Sendable {
        let (endings, ending) = AsyncStream<Outcome>.makeStream()
        var tasks: [(name: String, task: Task<Void, Never>)] = []
        for service in services {
            logger.debug("starting", ["service": service.name])
            let task = Task(executorPreference: taskExecutor) {
                do {
                    try await service.run()
                    if !Task.isCancelled { ending.yield(.serviceEnded(name: service.name, error: nil)) }
                } catch {
                    if !Task.isCancelled { ending.yield(.serviceEnded(name: service.name, error: "\(error)")) }
                }
            }
            tasks.append((service.name, task))
        }
        let trigger = Task {
            do {
                for try await _ in shutdown { break }
            } catch {}
            ending.yield(.shutdownRequested)
        }
        var outcome = Outcome.shutdownRequested
        for await first in endings {
            outcome = first
            break
        }
        trigger.cancel()
        if case .serviceEnded(let name, let error) = outcome {
            logger.error("service ended unexpectedly; stopping the rest", ["service": name, "error": error ?? "none"])
        }
        for (name, task) in tasks.reversed() {
            logger.debug("stopping", ["service": name])
            task.cancel()
            if await !finishes(task, within: gracefulTimeout) {
                logger.warning("did not stop within \(gracefulTimeout); moving on", ["service": name])
            }
        }
        ending.finish()
        return outcome
    }

    /// Whether `task` completes within `timeout` (real time: shutdown bounds are about the real world). A task
    /// group would wait for the stuck task anyway, so the two waits race through one continuation.
    private func finishes(_ task: Task<Void, Never>, within timeout: Duration) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let resumed = Locked(false)
            let resume = { @Sendable (finished: Bool) in
                let first = resumed.withLock { done -> Bool in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: finished) }
            }
            Task {
                await task.value
                resume(true)
            }
            Task {
                await IOLoop.sleep(for: timeout)
                resume(false)
            }
        }
    }
}

import Devices
import Events
import HAL
import Locking

/// Runs one device's loop for the life of the daemon: a loop that fails or ends by itself is reported as a
/// `device.fault` and restarted with backoff, without touching the other devices; `device.reset` restarts it
/// at once.
public final class DeviceSupervisor: LifecycleService {
    public let name: String
    private let body: @Sendable () async throws -> Void
    private let events: any EventSink
    private let clock: any Clock
    private let logger: Logger
    private let restarts = RestartSignal()

    private enum Outcome: Sendable {
        case ended(String?)
        case restartRequested
        case cancelled
    }

    public init(
        device: String,
        events: any EventSink,
        clock: any Clock,
        logger: Logger,
        body: @escaping @Sendable () async throws -> Void
    ) {
        name = device
        self.body = body
        self.events = events
        self.clock = clock
        self.logger = logger
    }

    /// Asks for the device's loop to be stopped and started again (`device.reset`).
    public func restart() {
        restarts.request()
    }

    public func run() async throws {
        var backoff = Backoff(initial: .seconds(1), maximum: .seconds(60), jitter: 0.2)
        let restarts = restarts
        while !Task.isCancelled {
            let outcome = await withTaskGroup(of: Outcome.self) { group -> Outcome in
                group.addTask { [body] in
                    do {
                        try await body()
                        return .ended(nil)
                    } catch {
                        return .ended("\(error)")
                    }
                }
                group.addTask { await restarts.wait() ? .restartRequested : .cancelled }
                let first = await group.next() ?? .cancelled
                group.cancelAll()
                return first
            }
            if Task.isCancelled { return }
            switch outcome {
            case .restartRequested:
                logger.notice("device restarted on request", ["device": name])
                backoff.reset()
            case .ended(let error):
                let detail = error ?? "the device loop stopped"
                logger.error("device failed; restarting with backoff", ["device": name, "error": detail])
                await events.emit(
                    .deviceFault,
                    device: name,
                    data: ["reason": "device-failed", "detail": .string(detail), "count": 1]
                )
                guard (try? await clock.sleep(for: backoff.nextDelay())) != nil else { return }
            case .cancelled:
                return
            }
        }
    }
}

/// `device.reset` requests for one supervisor. Not an `AsyncStream`: a stream ends for good when a task waiting on it
/// is cancelled, and the supervisor cancels its wait whenever the device's loop ends first, so the next wait found
/// the stream finished, took it for the daemon stopping, and ended the supervisor (the daemon then stopped).
private final class RestartSignal: Sendable {
    private let state = Locked<(pending: Bool, waiter: CheckedContinuation<Bool, Never>?)>((false, nil))

    /// Wakes the waiter, or keeps the request for the next wait (one at most: a second request adds nothing).
    func request() {
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

    /// True once a restart is requested; false when the task is cancelled first (a later request is kept).
    func wait() async -> Bool {
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

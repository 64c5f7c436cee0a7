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
    /// `device.reset` requests. Not an `AsyncStream`: a stream ends for good when a task waiting on it is cancelled,
    /// and the supervisor cancels its wait whenever the device's loop ends first.
    private let restarts = RequestSignal()

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

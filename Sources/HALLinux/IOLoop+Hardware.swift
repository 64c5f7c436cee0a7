import HAL
import IOEngine

/// How a wait on the I/O engine ended, its failure told as the hardware layer's `HALError`.
package enum HardwareWait: Sendable, Equatable {
    /// The descriptor is ready; `hangup` when the kernel reported `EPOLLHUP`/`EPOLLERR`.
    case ready(hangup: Bool)
    case timedOut
    case cancelled
    /// The descriptor was removed with `forget(_:)` while a task waited on it.
    case closed
    case failed(HALError)
}

extension IOLoop {
    /// The process's loop (`IOLoop.shared()`), its start-up failure as a `HALError`.
    package static func sharedForHardware() throws(HALError) -> IOLoop {
        do {
            return try IOLoop.shared()
        } catch {
            throw HALError(error)
        }
    }

    /// Waits as `wait(for:on:deadline:)` does, with the deadline on HAL's `SystemClock` (the same
    /// `CLOCK_MONOTONIC` timeline as `IOLoop.now`).
    package func wait(for interest: Interest, on fd: Int32, until deadline: ClockInstant?) async -> HardwareWait {
        switch await wait(for: interest, on: fd, deadline: deadline?.sinceOrigin) {
        case .ready(let hangup): return .ready(hangup: hangup)
        case .timedOut: return .timedOut
        case .cancelled: return .cancelled
        case .closed: return .closed
        case .failed(let error): return .failed(HALError(error))
        }
    }
}

extension HALError {
    /// The hardware layer's error for an I/O engine failure: errno mapped as `SystemCall.error` maps it.
    package init(_ error: IOError) {
        switch error {
        case .failed(let operation, let target, let code):
            self = SystemCall.error(operation, path: target, errno: code)
        case .timedOut(let operation, let target, let after):
            self = .timedOut(path: target, operation: operation, after: after)
        case .cancelled(let operation, let target):
            self = .cancelled(path: target, operation: operation)
        case .closed(let target):
            self = .closed(path: target)
        case .nameResolution(let host, let detail):
            self = .notFound(path: host, detail: detail)
        case .tlsConfiguration, .tls, .certificateRejected:
            self = .invalidConfiguration(path: "tls", detail: error.description)
        }
    }
}

import CLinuxIO
import Glibc
import Locking

/// The I/O engine's one thread: it waits in `epoll_wait` on every descriptor a task is waiting for (serial
/// ports, GPIO lines, the control socket, TCP and TLS connections) and resumes that task when the descriptor
/// is ready, hung up, or its deadline passed. Reads and writes themselves are non-blocking and run in the
/// waiting task; only the wait lives here, so the cooperative thread pool never blocks and no connection needs
/// a thread of its own.
///
/// Deadlines are `CLOCK_MONOTONIC` readings (`IOLoop.now`), the clock HAL's `SystemClock` reads too.
public final class IOLoop: Sendable {
    /// What a waiter waits for.
    public enum Interest: Sendable {
        case readable
        case writable

        var mask: UInt32 {
            switch self {
            case .readable: return EPOLLIN.rawValue
            case .writable: return EPOLLOUT.rawValue
            }
        }
    }

    /// How a wait ended.
    public enum Outcome: Sendable, Equatable {
        /// The descriptor is ready; `hangup` when the kernel reported `EPOLLHUP`/`EPOLLERR`.
        case ready(hangup: Bool)
        case timedOut
        case cancelled
        /// The descriptor was removed with `forget(_:)` while a task waited on it.
        case closed
        case failed(IOError)
    }

    private struct Waiter {
        var fd: Int32
        var interest: Interest
        var deadline: Duration?
        var continuation: CheckedContinuation<Outcome, Never>
    }

    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        var registered: Set<Int32> = []
        var nextID: UInt64 = 0
    }

    private static let sharedLoop = Locked<Result<IOLoop, IOError>?>(nil)

    /// The process's loop, started on first use.
    public static func shared() throws(IOError) -> IOLoop {
        let result = sharedLoop.withLock { shared -> Result<IOLoop, IOError> in
            if let shared { return shared }
            let made: Result<IOLoop, IOError>
            do throws(IOError) {
                made = .success(try IOLoop())
            } catch {
                made = .failure(error)
            }
            shared = made
            return made
        }
        return try result.get()
    }

    private let epollFD: Int32
    private let wakeFD: Int32
    private let state = Locked(State())

    /// The current `CLOCK_MONOTONIC` reading: deadlines are this plus a timeout.
    public static var now: Duration {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }

    private init() throws(IOError) {
        epollFD = try SystemCall.retrying("epoll_create1", target: "epoll") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        do throws(IOError) {
            wakeFD = try SystemCall.retrying("eventfd", target: "epoll") {
                eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
            }
        } catch {
            SystemCall.closeQuietly(epollFD)
            throw error
        }
        try SystemCall.retrying("epoll_ctl", target: "eventfd") {
            floorlink_epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, EPOLLIN.rawValue)
        }
        try startThread()
    }

    private func startThread() throws(IOError) {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(
            &thread,
            nil,
            { context in
                guard let context else { return nil }
                Unmanaged<IOLoop>.fromOpaque(context).takeRetainedValue().run()
                return nil
            },
            context
        )
        guard result == 0 else {
            Unmanaged<IOLoop>.fromOpaque(context).release()
            throw .failed(operation: "pthread_create", target: "io-thread", errno: result)
        }
        pthread_detach(thread)
    }

    /// Suspends until `fd` is ready for `interest`, hangs up, or `deadline` (an `IOLoop.now` reading) passes.
    public func wait(for interest: Interest, on fd: Int32, deadline: Duration?) async -> Outcome {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                let immediate = state.withLock { state -> Outcome? in
                    if Task.isCancelled { return .cancelled }
                    state.waiters[id] = Waiter(
                        fd: fd,
                        interest: interest,
                        deadline: deadline,
                        continuation: continuation
                    )
                    if let error = arm(fd, in: &state) {
                        state.waiters[id] = nil
                        return .failed(error)
                    }
                    return nil
                }
                if let immediate {
                    continuation.resume(returning: immediate)
                } else if deadline != nil {
                    wake()
                }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(returning: .cancelled)
        }
    }

    /// Stops watching `fd` before it is closed (its number may be reused); its waiters get `.closed`.
    public func forget(_ fd: Int32) {
        let waiters = state.withLock { state -> [Waiter] in
            if state.registered.remove(fd) != nil {
                _ = floorlink_epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, 0)
            }
            let ids = state.waiters.filter { $0.value.fd == fd }.map(\.key)
            return ids.compactMap { state.waiters.removeValue(forKey: $0) }
        }
        for waiter in waiters {
            waiter.continuation.resume(returning: .closed)
        }
    }

    /// Registers or re-arms `fd` (one-shot) for the union of what its waiters want.
    private func arm(_ fd: Int32, in state: inout State) -> IOError? {
        var mask: UInt32 = 0
        for waiter in state.waiters.values where waiter.fd == fd {
            mask |= waiter.interest.mask
        }
        guard mask != 0 else { return nil }
        mask |= EPOLLONESHOT.rawValue
        let operation = state.registered.contains(fd) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD
        if floorlink_epoll_ctl(epollFD, operation, fd, mask) != 0 {
            return .failed(operation: "epoll_ctl", target: "fd \(fd)", errno: errno)
        }
        state.registered.insert(fd)
        return nil
    }

    private func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, MemoryLayout<UInt64>.size)
    }

    private func run() {
        let capacity: Int32 = 64
        var events = [epoll_event](repeating: epoll_event(), count: Int(capacity))
        while true {
            let timeout = state.withLock { nextTimeout(in: $0) }
            let count = events.withUnsafeMutableBufferPointer { buffer -> Int32 in
                // Swift 6.0's Glibc takes a non-optional pointer here, later ones an optional: unwrap for both.
                guard let base = buffer.baseAddress else { return 0 }
                return epoll_wait(epollFD, base, capacity, timeout)
            }
            if count < 0, errno != EINTR {
                // Only a broken epoll descriptor fails here; back off rather than spin.
                usleep(10_000)
            }
            var resumptions: [(CheckedContinuation<Outcome, Never>, Outcome)] = []
            state.withLock { state in
                for index in 0..<max(0, Int(count)) {
                    let fd = floorlink_epoll_event_fd(&events[index])
                    let mask = floorlink_epoll_event_mask(&events[index])
                    if fd == wakeFD {
                        var value: UInt64 = 0
                        _ = Glibc.read(wakeFD, &value, MemoryLayout<UInt64>.size)
                        continue
                    }
                    let hangup = mask & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0
                    for (id, waiter) in state.waiters where waiter.fd == fd {
                        if hangup || mask & waiter.interest.mask != 0 {
                            state.waiters[id] = nil
                            resumptions.append((waiter.continuation, .ready(hangup: hangup)))
                        }
                    }
                    if let error = arm(fd, in: &state) {
                        for (id, waiter) in state.waiters where waiter.fd == fd {
                            state.waiters[id] = nil
                            resumptions.append((waiter.continuation, .failed(error)))
                        }
                    }
                }
                let now = Self.now
                for (id, waiter) in state.waiters {
                    if let deadline = waiter.deadline, deadline <= now {
                        state.waiters[id] = nil
                        resumptions.append((waiter.continuation, .timedOut))
                    }
                }
            }
            for (continuation, outcome) in resumptions {
                continuation.resume(returning: outcome)
            }
        }
    }

    /// Milliseconds until the earliest deadline (rounded up), or -1 to wait for readiness alone.
    private func nextTimeout(in state: State) -> Int32 {
        guard let earliest = state.waiters.values.compactMap(\.deadline).min() else { return -1 }
        let remaining = earliest - Self.now
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }
}

import CLinuxIO
import Glibc
import Locking

/// The I/O engine's one thread: it waits in `epoll_wait` on every descriptor a task is waiting for (serial
/// ports, GPIO lines, the control socket, TCP and TLS connections) and resumes that task when the descriptor
/// is ready, hung up, or its deadline passed. Reads and writes themselves are non-blocking and run in the
/// waiting task; only the wait lives here, so the cooperative thread pool never blocks and no connection needs
/// a thread of its own.
///
/// The loop is also a `TaskExecutor` (see `IOLoop+TaskExecutor.swift`): a task that prefers it runs on this
/// thread between two `epoll_wait`s, so a wait it resumes costs no other thread a wake-up.
///
/// Deadlines are `CLOCK_MONOTONIC` readings (`IOLoop.now`), the clock HAL's `SystemClock` reads too. They are
/// kept by one `timerfd` that the loop waits on like any descriptor: a task that waits with a deadline sets the
/// timer itself when its deadline is the earliest, so a read with a timeout never wakes the loop thread just to
/// shorten its `epoll_wait`, and an idle loop with no deadline sleeps until something happens.
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

    /// A task waiting in the loop. Its continuation is resumed exactly once, by whoever removes the waiter from
    /// `State` under its lock (a ready descriptor, the timer, `forget`, or cancellation). It stays a checked one:
    /// an unsafe continuation's `resume` is inlined here and writes the result into the task's frame, and
    /// ThreadSanitizer, which cannot see the runtime's hand-off of the task to the thread that resumes it, reported
    /// that write as a race with the task's next one (once in two CI runs).
    private struct Waiter {
        /// nil for a sleep: only the deadline ends it.
        var fd: Int32?
        var interest: Interest
        var deadline: Duration?
        var continuation: CheckedContinuation<Outcome, Never>
    }

    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        /// The ids waiting on each descriptor, so a ready descriptor costs its own waiters, not a walk of all.
        var waitersByFD: [Int32: [UInt64]] = [:]
        var registered: Set<Int32> = []
        var nextID: UInt64 = 0
        /// When the timer is set to fire; nil while it is disarmed (or has fired and was not set again).
        var timerDeadline: Duration?
        /// Setting the timer failed once: deadlines are then checked on every wake, not only when it fires.
        var timerUnreliable = false

        mutating func insert(_ waiter: Waiter, id: UInt64) {
            waiters[id] = waiter
            if let fd = waiter.fd { waitersByFD[fd, default: []].append(id) }
        }

        /// Removes waiter `id`. Its descriptor's list is edited in place and kept when empty (until `forget`), so
        /// the next wait on that descriptor, the common case, allocates nothing.
        @discardableResult
        mutating func removeWaiter(_ id: UInt64) -> Waiter? {
            guard let waiter = waiters.removeValue(forKey: id) else { return nil }
            if let fd = waiter.fd, let index = waitersByFD.index(forKey: fd) {
                waitersByFD.values[index].removeAll { $0 == id }
            }
            return waiter
        }

        /// Removes the waiters `ids` and queues each one's resumption with `outcome` (run after the lock is released).
        mutating func remove(
            _ ids: [UInt64],
            with outcome: Outcome,
            into resumptions: inout [(CheckedContinuation<Outcome, Never>, Outcome)]
        ) {
            for id in ids {
                if let waiter = removeWaiter(id) { resumptions.append((waiter.continuation, outcome)) }
            }
        }
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
    private let timerFD: Int32
    /// Written by `enqueue` when the loop sleeps in `epoll_wait` and a job arrives from another thread.
    let wakeFD: Int32
    /// Jobs of tasks that prefer this loop as their executor, run on the loop thread in arrival order.
    let jobs = Locked(JobQueue())
    /// The loop as the serial executor of actors that live on it (see `ActorExecutor`).
    public let actorExecutor: LoopActorExecutor
    /// The loop thread, once it runs.
    private let thread = Locked<pthread_t?>(nil)
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
            timerFD = try SystemCall.retrying("timerfd_create", target: "epoll") { floorlink_timerfd_create() }
        } catch {
            SystemCall.closeQuietly(epollFD)
            throw error
        }
        do throws(IOError) {
            wakeFD = try SystemCall.retrying("eventfd", target: "epoll") {
                eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
            }
        } catch {
            SystemCall.closeQuietly(timerFD)
            SystemCall.closeQuietly(epollFD)
            throw error
        }
        actorExecutor = LoopActorExecutor(jobs: jobs, wakeFD: wakeFD, thread: thread)
        try SystemCall.retrying("epoll_ctl", target: "timerfd") {
            floorlink_epoll_ctl(epollFD, EPOLL_CTL_ADD, timerFD, EPOLLIN.rawValue)
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
        await suspend(on: fd, for: interest, deadline: deadline)
    }

    /// Suspends until `deadline` (an `IOLoop.now` reading) passes: `.timedOut` then, `.cancelled` when the task is
    /// cancelled first. The loop's timer wakes it, so a sleeping task costs no thread and no Dispatch timer (which
    /// wakes Dispatch's timer thread every second for as long as any sleep is pending).
    public func sleep(until deadline: Duration) async -> Outcome {
        await suspend(on: nil, for: .readable, deadline: deadline)
    }

    /// Sleeps for `duration` on the shared loop's timer, returning early when the task is cancelled. The daemon's
    /// sleeps use this, not `Task.sleep`: no Dispatch timer thread, and no new descriptor. libdispatch creates its
    /// timer descriptor when its first timer is armed, and a process that arms it out of descriptors dies there
    /// (SIGILL; measured with a program whose first `Task.sleep` came at EMFILE), as an accept backing off at EMFILE
    /// would. Only if the loop cannot start does this fall back to `Task.sleep`.
    public static func sleep(for duration: Duration) async {
        guard let loop = try? shared() else {
            try? await Task.sleep(for: duration)
            return
        }
        _ = await loop.sleep(until: now + duration)
    }

    private func suspend(on fd: Int32?, for interest: Interest, deadline: Duration?) async -> Outcome {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                let immediate = state.withLock { state -> Outcome? in
                    if Task.isCancelled { return .cancelled }
                    state.insert(
                        Waiter(fd: fd, interest: interest, deadline: deadline, continuation: continuation),
                        id: id
                    )
                    if let fd, let error = arm(fd, in: &state) {
                        state.removeWaiter(id)
                        return .failed(error)
                    }
                    if let deadline { setTimer(before: deadline, in: &state) }
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.removeWaiter(id) }
            waiter?.continuation.resume(returning: .cancelled)
        }
    }

    /// Stops watching `fd` before it is closed (its number may be reused); its waiters get `.closed`.
    public func forget(_ fd: Int32) {
        let waiters = state.withLock { state -> [Waiter] in
            if state.registered.remove(fd) != nil {
                _ = floorlink_epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, 0)
            }
            let ids = state.waitersByFD.removeValue(forKey: fd) ?? []
            return ids.compactMap { state.removeWaiter($0) }
        }
        for waiter in waiters {
            waiter.continuation.resume(returning: .closed)
        }
    }

    /// Registers or re-arms `fd` (one-shot) for the union of what its waiters want.
    private func arm(_ fd: Int32, in state: inout State) -> IOError? {
        var mask: UInt32 = 0
        for id in state.waitersByFD[fd] ?? [] {
            mask |= state.waiters[id]?.interest.mask ?? 0
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

    /// Sets the timer to fire at `deadline` unless it already fires earlier. A timer left set for a waiter that
    /// has gone fires once for nothing and is set again for the earliest deadline still waiting.
    private func setTimer(before deadline: Duration, in state: inout State) {
        if let current = state.timerDeadline, current <= deadline { return }
        let (seconds, attoseconds) = deadline.components
        if floorlink_timerfd_fire_at(timerFD, seconds, Int(attoseconds / 1_000_000_000)) == 0 {
            state.timerDeadline = deadline
        } else {
            state.timerUnreliable = true
        }
    }

    /// Whether the caller runs on the loop's thread (a task that prefers the loop does).
    public var isCurrentThread: Bool { actorExecutor.isCurrent }

    /// The loop thread's name, as `top -H` and `/proc/PID/task/TID/comm` show it: it inherits its creator's
    /// otherwise (a Dispatch worker's, "com.apple.root…"), which says nothing about the thread doing the work.
    public static let threadName = "floorlink-loop"

    private func run() {
        _ = floorlink_thread_set_name(Self.threadName)
        thread.withLock { $0 = pthread_self() }
        let capacity: Int32 = 64
        var events = [epoll_event](repeating: epoll_event(), count: Int(capacity))
        // Reused from wake to wake, so a wake allocates nothing for its bookkeeping.
        var resumptions: [(CheckedContinuation<Outcome, Never>, Outcome)] = []
        var ready: [UInt64] = []
        var batch: [LoopJob] = []
        while true {
            // Jobs waiting: only look at what is ready now, then run them.
            let timeout: Int32 = jobs.withLock { $0.prepareToSleep() } ? -1 : 0
            let count = events.withUnsafeMutableBufferPointer { buffer -> Int32 in
                // Swift 6.0's Glibc takes a non-optional pointer here, later ones an optional: unwrap for both.
                guard let base = buffer.baseAddress else { return 0 }
                return epoll_wait(epollFD, base, capacity, timeout)
            }
            jobs.withLock { $0.awake() }
            if count < 0, errno != EINTR {
                // Only a broken epoll descriptor fails here; back off rather than spin.
                usleep(10_000)
            }
            state.withLock { state in
                var timerFired = state.timerUnreliable
                for index in 0..<max(0, Int(count)) {
                    let fd = floorlink_epoll_event_fd(&events[index])
                    let mask = floorlink_epoll_event_mask(&events[index])
                    if fd == timerFD {
                        var expirations: UInt64 = 0
                        _ = Glibc.read(timerFD, &expirations, MemoryLayout<UInt64>.size)
                        state.timerDeadline = nil
                        timerFired = true
                        continue
                    }
                    if fd == wakeFD {
                        var value: UInt64 = 0
                        _ = Glibc.read(wakeFD, &value, MemoryLayout<UInt64>.size)
                        continue
                    }
                    let hangup = mask & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0
                    ready.removeAll(keepingCapacity: true)
                    for id in state.waitersByFD[fd] ?? [] {
                        if let waiter = state.waiters[id], hangup || mask & waiter.interest.mask != 0 {
                            ready.append(id)
                        }
                    }
                    state.remove(ready, with: .ready(hangup: hangup), into: &resumptions)
                    if let error = arm(fd, in: &state) {
                        state.remove(state.waitersByFD[fd] ?? [], with: .failed(error), into: &resumptions)
                    }
                }
                // The timer is always set for the earliest deadline, so deadlines need a look only when it fired.
                guard timerFired else { return }
                let now = Self.now
                var earliest: Duration?
                var expired: [UInt64] = []
                for (id, waiter) in state.waiters {
                    guard let deadline = waiter.deadline else { continue }
                    if deadline <= now {
                        expired.append(id)
                    } else {
                        earliest = min(earliest ?? deadline, deadline)
                    }
                }
                state.remove(expired, with: .timedOut, into: &resumptions)
                if let earliest { setTimer(before: earliest, in: &state) }
            }
            for (continuation, outcome) in resumptions {
                continuation.resume(returning: outcome)
            }
            resumptions.removeAll(keepingCapacity: true)
            runJobs(using: &batch)
        }
    }
}

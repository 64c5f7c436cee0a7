import Dispatch
import Glibc
import Locking

/// Where an actor of the event path (the outbox, the MQTT uplink and its client) runs its jobs. Given the loop as
/// task executor (the daemon), they all live on the loop as one serial executor: a call from one of them to another
/// is then a plain call on the loop thread, where two default actors cost a job on the loop for every hop (measured
/// with `daemon-bench`: about a tenth of the loop thread's CPU at 20 scans/s). Anything else (tests, tools without
/// a loop) gets a serial Dispatch queue of its own, the behaviour of a default actor.
public enum ActorExecutor {
    /// The loop's actor executor when `taskExecutor` is an `IOLoop`, otherwise a queue labelled `label`.
    public static func preferring(_ taskExecutor: (any TaskExecutor)?, label: String) -> any SerialExecutor {
        if let loop = taskExecutor as? IOLoop { return loop.actorExecutor }
        return QueueActorExecutor(label: label)
    }
}

/// The loop as a serial executor: its jobs run on the loop thread between two `epoll_wait`s, isolated to every
/// actor that returns this executor (one thread runs one job at a time, so they exclude each other).
///
/// The loop thread runs nothing else at the same time, so whatever runs on it (a job of a task that prefers the loop,
/// a closure posted with `execute`) is isolated to these actors as well: `checkIsolated` says so, and such
/// code may enter an actor with `assumeIsolated` instead of hopping to its executor and back (two jobs).
public final class LoopActorExecutor: SerialExecutor {
    private let jobs: Locked<JobQueue>
    private let wakeFD: Int32
    private let thread: Locked<pthread_t?>

    init(jobs: Locked<JobQueue>, wakeFD: Int32, thread: Locked<pthread_t?>) {
        self.jobs = jobs
        self.wakeFD = wakeFD
        self.thread = thread
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        IOLoop.post(.actor(UnownedJob(job)), to: jobs, waking: wakeFD)
    }

    /// Whether the caller runs on the loop thread, and so is isolated to the actors on this executor.
    public var isCurrent: Bool {
        guard let loopThread = thread.withLock({ $0 }) else { return false }
        return pthread_equal(loopThread, pthread_self()) != 0
    }

    /// Runs `body` on the loop thread after the jobs queued before it, isolated to the actors on this executor,
    /// without a task: where work done on another thread (a sync) reports back to such an actor, this costs one
    /// closure instead of a task and its hop to the actor.
    public func execute(_ body: @escaping @Sendable () -> Void) {
        IOLoop.post(.closure(body), to: jobs, waking: wakeFD)
    }

    /// Called by the runtime for `assumeIsolated` outside a job of this executor: off the loop thread that is a
    /// data race in the making, and the process stops here rather than run it.
    public func checkIsolated() {
        precondition(isCurrent, "code isolated to an actor on the I/O loop ran off the loop's thread")
    }
}

/// A serial executor on a Dispatch queue of its own, drained by the global queue's threads (a serial queue of its
/// own would be overcommitting: a thread of its own whenever the others are busy, so a thread per connection).
final class QueueActorExecutor: SerialExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, target: .global())
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}

import Dispatch
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
public final class LoopActorExecutor: SerialExecutor {
    private let jobs: Locked<JobQueue>
    private let wakeFD: Int32

    init(jobs: Locked<JobQueue>, wakeFD: Int32) {
        self.jobs = jobs
        self.wakeFD = wakeFD
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        IOLoop.post(LoopJob(job: UnownedJob(job), isolated: true), to: jobs, waking: wakeFD)
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

import Glibc
import Locking

/// The loop as the executor of the tasks that prefer it (`withTaskExecutorPreference(loop)`,
/// `Task(executorPreference: loop)`, the default actors they call): their jobs run on the loop thread between two
/// `epoll_wait`s. A serial read, the outbox append it leads to and the MQTT publish after it then follow one
/// another on one thread: a descriptor that becomes ready resumes its task with no other thread woken, where the
/// global pool would wake one of its threads for every resumed task and every actor hop. This is swift-nio's
/// event loop: the daemon's work is small and mostly waits, and on a two-core board the thread hand-offs cost
/// more CPU than the work.
///
/// A task that prefers the loop must never block its thread: a blocking call (a sync, `getaddrinfo`) goes to a
/// Dispatch queue and resumes the task when done, as the outbox's syncs and `NameResolver` do.
extension IOLoop: TaskExecutor {
    /// Queues `job` to run on the loop thread; wakes the loop when it sleeps in `epoll_wait`.
    public func enqueue(_ job: consuming ExecutorJob) {
        Self.post(.task(UnownedJob(job)), to: jobs, waking: wakeFD)
    }

    /// Appends `job` to `jobs`, writing `wakeFD` when the loop sleeps and no wake-up is on its way.
    static func post(_ job: LoopJob, to jobs: Locked<JobQueue>, waking wakeFD: Int32) {
        if jobs.withLock({ $0.append(job) }) {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, MemoryLayout<UInt64>.size)
        }
    }

    /// At most this many jobs run between two looks at the descriptors, so a busy task cannot starve the I/O.
    static let jobsPerPass = 256

    /// Runs queued jobs in order, and the jobs they queue in turn (a task hopping to an actor and back queues one
    /// each time), until none is left or `jobsPerPass` ran; what is left runs after the next look at the
    /// descriptors.
    /// `batch` is the caller's spare buffer, kept from pass to pass so that taking the queue allocates nothing.
    func runJobs(using batch: inout [LoopJob]) {
        let executor = asUnownedTaskExecutor()
        let serial = actorExecutor.asUnownedSerialExecutor()
        var ran = 0
        while ran < Self.jobsPerPass {
            jobs.withLock { $0.takeAll(into: &batch) }
            if batch.isEmpty { return }
            for entry in batch {
                switch entry {
                case .task(let job): job.runSynchronously(on: executor)
                case .actor(let job): job.runSynchronously(isolatedTo: serial, taskExecutor: executor)
                case .closure(let body): body()
                }
            }
            ran += batch.count
        }
    }
}

/// Work for the loop thread: a job of a task that prefers the loop, a job of an actor that lives on the loop, or a
/// closure posted with `LoopActorExecutor.execute`.
enum LoopJob: Sendable {
    case task(UnownedJob)
    case actor(UnownedJob)
    case closure(@Sendable () -> Void)
}

/// The loop's queue of jobs, and whether the loop sleeps and must be woken for a new one.
struct JobQueue: Sendable {
    private var jobs: [LoopJob] = []
    /// The loop is in (or about to enter) an `epoll_wait` without a timeout.
    private var sleeping = false
    /// A wake-up was written and the loop has not yet come out of `epoll_wait`.
    private var wakePending = false

    /// Adds `job`; true when the caller must wake the loop (it sleeps and no wake-up is on its way).
    mutating func append(_ job: LoopJob) -> Bool {
        jobs.append(job)
        guard sleeping, !wakePending else { return false }
        wakePending = true
        return true
    }

    /// True when nothing is queued: the loop may then sleep until a descriptor, the timer or a wake-up.
    mutating func prepareToSleep() -> Bool {
        sleeping = jobs.isEmpty
        return sleeping
    }

    /// The loop came out of `epoll_wait`.
    mutating func awake() {
        sleeping = false
        wakePending = false
    }

    /// Moves the queued jobs into `batch` (emptied first) and keeps `batch`'s old storage for the next ones: the
    /// two buffers trade places, so neither is allocated again from one pass to the next.
    mutating func takeAll(into batch: inout [LoopJob]) {
        batch.removeAll(keepingCapacity: true)
        swap(&jobs, &batch)
    }
}

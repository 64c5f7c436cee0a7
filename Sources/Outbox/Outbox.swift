import Events
import Glibc
import IOEngine

/// The durable append-only event log: segment files of CRC-checked records under `<dataDir>/outbox/`, one
/// acknowledged cursor per uplink, a disk quota with alarms, and live streams for local subscribers.
public actor Outbox: EventLog {
    /// Zeros written ahead of the records at a time (see `preallocate`): one inode write per this many bytes.
    static let preallocationBytes = 64 << 10
    /// A group-commit batch is synced at once when its records reach this many bytes.
    static let groupCommitMaxBytes = 1 << 20
    /// Events a local subscriber may fall behind by before the oldest are dropped from its stream.
    static let subscriberBufferSize = 1024
    /// The `device` of the outbox's own events.
    static let reportDevice = "outbox"

    let outboxPath: String
    let site: String
    let controller: String
    let uplinks: [String]
    let policy: FsyncPolicy
    let segmentBytes: Int
    let quotaBytes: Int
    /// Room below the quota kept for the outbox's own alarm and fault events: 2 % of it, 1–64 KiB.
    let reserveBytes: Int
    let io: BlockingIOQueue
    /// Where the outbox's own tasks run (a sync's completion, its timers): the daemon's I/O loop, so that a sync
    /// resolves its tickets on the thread the appenders wait on; nil: the global pool.
    let taskExecutor: (any TaskExecutor)?
    /// Where the outbox's own jobs run: on the loop, with the uplinks, when `taskExecutor` is the loop (a hop between
    /// them is then a call), otherwise on a queue of its own (see `ActorExecutor`).
    let executor: any SerialExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    /// How the outbox waits out its timers (the cursor store interval, a group-commit window).
    let sleep: Sleep
    let directoryDescriptor: Int32
    let lockDescriptor: Int32

    /// Ascending by `firstSeq`; the last one is the active segment unless `needsNewSegment`.
    var segments: [Segment]
    /// The seq the next appended event gets.
    var nextSeq: UInt64
    /// Readers and subscribers see events up to here: everything at or below it is on disk.
    var durableSeq: UInt64
    /// Each uplink's acknowledged seq (in memory; written to its file within `cursorStoreInterval`).
    var cursors: [String: UInt64]
    /// The cursors as last written to their files (segments are removed only behind these).
    var storedCursors: [String: UInt64]
    /// Per cursor file in the two-line format, the line its next store writes (see `CursorFile`).
    var cursorNextLines: [String: Int]
    /// Cursor files held open for in-place stores, opened at their first store.
    var cursorDescriptors: [String: Int32] = [:]
    var lastCursorStore: ContinuousClock.Instant?
    var cursorStoreTimer: Task<Void, Never>?
    var deferredCursorFailure: OutboxError?
    var acknowledgementsInFlight = 0
    var usedBytes: Int
    /// The last segment was abandoned after a failure; the next append opens a new one.
    var needsNewSegment = false

    var pending: [PendingAppend] = []
    var pendingBytes = 0
    var flushInFlight = false
    var flushDue = false
    var flushTimer: Task<Void, Never>?
    var flushGeneration = 0
    /// Syncs issued so far (tests compare policies with it).
    var syncCount = 0
    var idleWaiters: [CheckedContinuation<Void, Never>] = []

    var readers: [Int: CheckedContinuation<Void, Never>] = [:]
    /// The newest durable events, contiguous by seq: uplinks following the tail read them from here instead of
    /// scanning a segment from its nearest checkpoint for every event.
    var recentEvents: [StoredEvent] = []
    /// At least this many and at most twice as many are kept, each with its JSON: an uplink following the tail
    /// is a few events behind (at 20 scans/s the webhook's 200 ms batch is 4); one further back reads the disk.
    static let recentEventsCapacity = 64
    var subscribers: [Int: AsyncStream<Event>.Continuation] = [:]
    var nextWaiterID = 0

    var idMillisecond: Int64 = 0
    var idSequence: UInt16 = 0
    var random = SystemRandom()

    var quotaLevel: QuotaLevel
    /// How long each group commit's syncs took (`fdatasync` of the segments, `fsync` of the directory).
    public internal(set) var fsyncLatency = LatencyHistogram()
    var fullReported = false
    /// The outbox's own events not yet written (a write failed; retried before the next append).
    var pendingReports: [(type: EventType, data: JSONValue)] = []
    var drainingReports = false
    var reportedDamage: Set<String> = []
    var recoveredRecords: Int
    var droppedRecords: Int
    var droppedBytes: Int
    var evictedSegments = 0
    var closed = false
    /// Told of each of the outbox's own events (quota alarms, recovery, damage) as it is queued, so the service
    /// can log them at their severity; they are stored as events as well.
    let reportObserver: ReportObserver?

    /// Test seam: errno values the next data syncs fail with instead of running.
    var injectedSyncFailures: [Int32] = []
    /// Test seam: errno values the next record writes fail with instead of running.
    var injectedWriteFailures: [Int32] = []

    private init(
        recovered: RecoveredLog,
        site: String,
        controller: String,
        uplinks: [String],
        policy: FsyncPolicy,
        segmentBytes: Int,
        quotaBytes: Int,
        io: BlockingIOQueue,
        taskExecutor: (any TaskExecutor)?,
        sleep: @escaping Sleep,
        reportObserver: ReportObserver?
    ) {
        outboxPath = recovered.outboxPath
        self.site = site
        self.controller = controller
        self.uplinks = uplinks
        self.policy = policy
        self.segmentBytes = segmentBytes
        self.quotaBytes = quotaBytes
        reserveBytes = Self.reserveBytes(quotaBytes: quotaBytes)
        self.io = io
        self.taskExecutor = taskExecutor
        executor = ActorExecutor.preferring(taskExecutor, label: "floorlink.outbox")
        self.sleep = sleep
        directoryDescriptor = recovered.directoryDescriptor
        lockDescriptor = recovered.lockDescriptor
        segments = recovered.segments
        nextSeq = recovered.nextSeq
        durableSeq = recovered.nextSeq - 1
        cursors = recovered.cursors
        storedCursors = recovered.cursors
        cursorNextLines = recovered.cursorNextLines
        usedBytes = recovered.segments.reduce(0) { $0 + $1.size }
        quotaLevel = QuotaLevel(usedBytes: usedBytes, quotaBytes: quotaBytes)
        recoveredRecords = recovered.recoveredRecords
        droppedRecords = recovered.droppedRecords
        droppedBytes = recovered.droppedBytes
        self.reportObserver = reportObserver
    }

    deinit {
        guard !closed else { return }
        for segment in segments {
            if let descriptor = segment.descriptor { FileSystem.closeFile(descriptor) }
        }
        for descriptor in cursorDescriptors.values { FileSystem.closeFile(descriptor) }
        FileSystem.closeFile(directoryDescriptor)
        FileSystem.closeFile(lockDescriptor)
    }

    /// Receives the type and data of each of the outbox's own events (`outbox.quota`, `outbox.recovered`,
    /// `outbox.corrupt`) when it is raised.
    public typealias ReportObserver = @Sendable (_ type: EventType, _ data: JSONValue) -> Void

    /// Waits `duration` (returning early when the task is cancelled).
    public typealias Sleep = @Sendable (_ duration: Duration) async -> Void

    /// Opens (creating if needed) the outbox in `<directory>/outbox/`, recovering after a crash: a torn or
    /// corrupt last record is dropped and reported with an `outbox.recovered` event. `taskExecutor` is where the
    /// outbox's own tasks run (nil: the global pool); `sleep` how its timers wait (the daemon sleeps on the I/O
    /// loop's timer; `Task.sleep` leaves Dispatch's timer thread waking every second from then on).
    public static func open(
        directory: String,
        site: String,
        controller: String,
        uplinks: [String],
        policy: FsyncPolicy = .groupCommit(maxDelay: .milliseconds(5)),
        segmentBytes: Int = 8 << 20,
        quotaBytes: Int = 256 << 20,
        taskExecutor: (any TaskExecutor)? = nil,
        sleep: @escaping Sleep = { try? await Task.sleep(for: $0) },
        reportObserver: ReportObserver? = nil
    ) async throws(OutboxError) -> Outbox {
        for uplink in uplinks where !isValidUplinkName(uplink) {
            throw OutboxError.invalidUplinkName(uplink)
        }
        guard Set(uplinks).count == uplinks.count else {
            throw OutboxError.invalidConfiguration("uplinks \(uplinks): expected each name once")
        }
        guard segmentBytes >= 512, segmentBytes <= Int(UInt32.max) else {
            throw OutboxError.invalidConfiguration("segmentBytes \(segmentBytes): expected 512 up to 4 GiB")
        }
        let reserve = reserveBytes(quotaBytes: quotaBytes)
        guard quotaBytes >= 2 * segmentBytes + 2 * reserve else {
            throw OutboxError.invalidConfiguration(
                "quotaBytes \(quotaBytes): expected at least two segments of \(segmentBytes) plus \(2 * reserve) bytes"
            )
        }
        if case .groupCommit(let delay) = policy, delay < .zero {
            throw OutboxError.invalidConfiguration("groupCommit maxDelay \(delay): expected zero or more")
        }
        let io = BlockingIOQueue()
        let recovered = try await io.run { () throws(OutboxError) -> RecoveredLog in
            try LogRecovery.recover(dataDirectory: directory, uplinks: uplinks)
        }
        let outbox = Outbox(
            recovered: recovered,
            site: site,
            controller: controller,
            uplinks: uplinks,
            policy: policy,
            segmentBytes: segmentBytes,
            quotaBytes: quotaBytes,
            io: io,
            taskExecutor: taskExecutor,
            sleep: sleep,
            reportObserver: reportObserver
        )
        await outbox.reportRecovery(recovered.reports)
        return outbox
    }

    /// The room kept below `quotaBytes` for the outbox's own events: small enough that 95 % is reachable.
    static func reserveBytes(quotaBytes: Int) -> Int {
        min(max(quotaBytes / 50, 1 << 10), 64 << 10)
    }

    /// 1–64 letters, digits, `.`, `_` or `-`, not starting with `.`: safe inside a cursor file name.
    static func isValidUplinkName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), bytes[0] != UInt8(ascii: ".") else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    private func reportRecovery(_ reports: [JSONValue]) {
        for report in reports {
            appendReport(.outboxRecovered, data: report)
        }
    }

    /// Where the outbox stands: depth, oldest undelivered event, disk use, cursors, recovery counts.
    public var status: OutboxStatus {
        let slowest = uplinks.isEmpty ? durableSeq : (cursors.values.min() ?? 0)
        let depth = durableSeq > slowest ? durableSeq - slowest : 0
        var oldest: EventTime?
        if depth > 0 {
            oldest = (try? readEvents(after: slowest, limit: 1, reportDamage: false))?.first?.time
        }
        return OutboxStatus(
            depth: depth,
            oldestUndeliveredTime: oldest,
            usedBytes: usedBytes,
            quotaBytes: quotaBytes,
            cursors: cursors,
            lastSeq: durableSeq,
            segmentCount: segments.count,
            recoveredRecords: recoveredRecords,
            droppedRecords: droppedRecords,
            droppedBytes: droppedBytes,
            evictedSegments: evictedSegments
        )
    }

    /// A live stream of events as they become durable, for local subscribers; a subscriber that falls more
    /// than `subscriberBufferSize` events behind loses the oldest, so it never stalls appends.
    public func subscribe() -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: Event.self,
            bufferingPolicy: .bufferingNewest(Self.subscriberBufferSize)
        )
        guard !closed else {
            continuation.finish()
            return stream
        }
        let id = nextWaiterID
        nextWaiterID += 1
        subscribers[id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.removeSubscriber(id) }
        }
        return stream
    }

    private func removeSubscriber(_ id: Int) {
        subscribers[id] = nil
    }

    /// Syncs what was appended, waits for running cursor writes, closes the files and ends waiting readers
    /// and subscriber streams. Appends after this throw `OutboxError.closed`.
    public func close() async {
        guard !closed else { return }
        closed = true
        try? await storeCursors()
        await waitUntilIdle()
        for index in segments.indices { closeSegmentFile(at: index) }
        for descriptor in cursorDescriptors.values { FileSystem.closeFile(descriptor) }
        cursorDescriptors = [:]
        FileSystem.closeFile(directoryDescriptor)
        FileSystem.closeFile(lockDescriptor)
        for reader in readers.values { reader.resume() }
        readers = [:]
        for subscriber in subscribers.values { subscriber.finish() }
        subscribers = [:]
    }

    /// Syncs everything written so far at once and waits until that and any running cursor write are done.
    func waitUntilIdle() async {
        while flushInFlight || !pending.isEmpty || acknowledgementsInFlight > 0 {
            flushDue = true
            if !flushInFlight && !pending.isEmpty { startFlush() }
            await withCheckedContinuation { idleWaiters.append($0) }
        }
    }

    /// Resumes `waitUntilIdle()` once no sync, pending append or cursor write is left.
    func notifyIfIdle() {
        guard !flushInFlight, pending.isEmpty, acknowledgementsInFlight == 0 else { return }
        let waiters = idleWaiters
        idleWaiters = []
        for waiter in waiters { waiter.resume() }
    }
}

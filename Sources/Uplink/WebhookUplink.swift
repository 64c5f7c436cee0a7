import Events
import HAL
import IOEngine
import Locking
import Logging

/// Delivers outbox events to an HTTPS endpoint in batches, at least once and in order, never skipping any.
/// Requests go through `HTTPClient` on the I/O engine (one kept-alive connection, TLS over OpenSSL).
///
/// Each request: `POST url` with body `{"events":[…]}`, `Content-Type: application/json`,
/// `Idempotency-Key: <first id>..<last id>` (the same for every retry of that batch),
/// `X-Floorlink-Timestamp` and `X-Floorlink-Signature` (see `WebhookSigning`).
/// - 2xx: the batch is acknowledged in the outbox under `name`.
/// - network error, 5xx, 429: retried with exponential backoff and jitter; `Retry-After` (seconds or HTTP
///   date) is honoured up to `WebhookBackoff.maximumRetryAfter`.
/// - a redirect is not followed: it is held like a refusal, with the `Location` in the error.
/// - any other status: the receiver refused the batch; the status and the first 200 bytes of its answer go to
///   `status` and the log, and the same batch is tried again after `WebhookBackoff.rejectedRetryInterval`.
public actor WebhookUplink {
    private let url: HTTPURL
    private let secret: [UInt8]?
    private let log: any EventLog
    private let name: String
    private let batchSize: Int
    private let batchDelay: Duration
    private let backoff: WebhookBackoff
    private let requestTimeout: Duration
    private let now: @Sendable () -> EventTime
    private let clock: any HAL.Clock
    private let logger: Logger
    /// The failure last logged at warning level, so a retry that fails the same way is logged at debug only.
    private var loggedProblem: String?
    private let client: HTTPClient
    /// On the loop with the outbox, its HTTP client and the MQTT uplink when `taskExecutor` is the loop: a call
    /// between them is then a call, not two jobs (see `ActorExecutor`).
    public nonisolated var unownedExecutor: UnownedSerialExecutor { client.unownedExecutor }
    private var current = WebhookStatus()
    /// How long each delivering POST took (request sent to 2xx answer), for `/metrics`.
    public private(set) var publishLatency = LatencyHistogram()
    private var random = SystemRandom()
    /// Set by `stop`: what `run` delivers at once before it returns, and how long it may take.
    private var stopRequest: (target: UInt64, timeout: Duration)?
    /// `run`'s wait for `stop`.
    private let stopSignal = RequestSignal()
    /// `stop` calls waiting for `run` to return.
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []
    private var isRunning = false

    /// A webhook uplink reading `log` under the cursor `name`; nothing is sent until `run()`. A batch that would go
    /// out with fewer than `batchSize` events first waits `batchDelay` for the events that follow (a Kafka producer's
    /// linger): a steady trickle then costs a POST per `batchDelay`, not one per event; a backlog goes out in full
    /// batches at once. `tls` verifies an `https://` receiver (nil: the system trust store); `requestTimeout`
    /// bounds each wait for the receiver.
    /// `logger` receives each state change once: a failure (with the HTTP status that holds a batch and the next
    /// retry delay) when it starts or changes, and the recovery. `now` stamps lag figures; `clock` times the
    /// waits between attempts (a `ManualClock` in tests). `taskExecutor` is where `run` is called from (the
    /// daemon's loop).
    public init(
        url: HTTPURL,
        secret: [UInt8]?,
        log: any EventLog,
        name: String = "webhook",
        batchSize: Int = 100,
        batchDelay: Duration = .zero,
        backoff: WebhookBackoff = WebhookBackoff(),
        requestTimeout: Duration = .seconds(30),
        tls: TLSContext? = nil,
        now: @escaping @Sendable () -> EventTime = { EventTime.now() },
        clock: any HAL.Clock = SystemClock(),
        logger: Logger = Logger(label: "webhook", handler: DiscardingLogHandler()),
        taskExecutor: (any TaskExecutor)? = nil
    ) {
        self.url = url
        self.secret = secret
        self.log = log
        self.name = name
        self.batchSize = max(1, batchSize)
        self.batchDelay = max(.zero, batchDelay)
        self.backoff = backoff
        self.requestTimeout = requestTimeout
        self.now = now
        self.clock = clock
        self.logger = logger
        client = HTTPClient(
            configuration: HTTPClient.Configuration(
                connectTimeout: min(requestTimeout, .seconds(10)),
                readTimeout: requestTimeout,
                tls: tls
            ),
            taskExecutor: taskExecutor
        )
    }

    /// The current delivery state, lag included.
    public var status: WebhookStatus {
        var status = current
        if let oldest = status.oldestUndelivered {
            status.lagMilliseconds = max(0, now().millisecondsSinceEpoch - oldest.millisecondsSinceEpoch)
        }
        return status
    }

    /// Delivers events until the task is cancelled, or until `stop` asks for the last ones and they are delivered;
    /// returns only then (closing the connection).
    public func run() async {
        isRunning = true
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.deliverUntilCancelled() }
            group.addTask { [stopSignal] in _ = await stopSignal.wait() }
            await group.next()
            group.cancelAll()
        }
        if let request = stopRequest, !Task.isCancelled {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.deliverPending(through: request.target) }
                group.addTask { [clock] in try? await clock.sleep(for: request.timeout) }
                await group.next()
                group.cancelAll()
            }
        }
        await client.close()
        isRunning = false
        for waiter in stopWaiters { waiter.resume() }
        stopWaiters = []
    }

    /// Ends the delivery `run` does (a batch lingering in `batchDelay` with it), and has `run` deliver what the
    /// outbox holds through `target` (its head when the daemon was asked to stop) at once, so the last events
    /// (`controller.stopping`) reach the receiver before the daemon exits; returns once `run` has. `run` gives up
    /// after `drainTimeout` by the uplink's clock: a receiver that is down or failing is not waited for, and what it
    /// did not acknowledge stays in the outbox for the next start.
    public func stop(drainTimeout: Duration = .seconds(5), deliveringThrough target: UInt64) async {
        if stopRequest == nil {
            stopRequest = (target, drainTimeout)
            stopSignal.request()
        }
        guard isRunning else { return }
        await withCheckedContinuation { stopWaiters.append($0) }
    }

    /// Delivers the events after this uplink's cursor through `target` in full batches, with no linger; returns
    /// when they are acknowledged or the task is cancelled.
    private func deliverPending(through target: UInt64) async {
        guard var cursor = await storedCursor() else { return }
        while cursor < target {
            let limit = Int(clamping: min(UInt64(batchSize), target - cursor))
            guard
                let events = await retrying(
                    "read the outbox",
                    { [log, cursor] in try await log.storedEvents(after: cursor, limit: limit) }
                ),
                let last = events.last?.event, await send(events)
            else { return }
            cursor = last.seq
        }
    }

    /// This uplink's cursor in the outbox, retried until read; nil when cancelled first.
    private func storedCursor() async -> UInt64? {
        await retrying("read the \(name) cursor", { [log, name] in try await log.cursor(for: name) })
    }

    private func deliverUntilCancelled() async {
        guard var cursor = await storedCursor() else { return }
        current.acknowledgedSeq = cursor
        while let events = await nextEvents(after: cursor), let last = events.last?.event {
            guard await send(events) else { return }
            cursor = last.seq
        }
    }

    /// POSTs `events` until a 2xx and moves the cursor past them; false when cancelled first.
    private func send(_ events: [StoredEvent]) async -> Bool {
        guard let first = events.first?.event, let last = events.last?.event else { return true }
        current.oldestUndelivered = first.time
        guard await deliver(WebhookBatch(events: events)), await acknowledge(through: last.seq) else { return false }
        current.acknowledgedSeq = last.seq
        current.oldestUndelivered = nil
        current.lagMilliseconds = 0
        return true
    }

    /// The next batch after `cursor` (waiting while there is none; a short one waits `batchDelay` once for more);
    /// nil when cancelled.
    private func nextEvents(after cursor: UInt64) async -> [StoredEvent]? {
        let read: @Sendable () async throws -> [StoredEvent] = { [log, batchSize] in
            try await log.storedEvents(after: cursor, limit: batchSize)
        }
        while !Task.isCancelled {
            guard let events = await retrying("read the outbox", read) else { return nil }
            if events.isEmpty { continue }
            guard batchDelay > .zero, events.count < batchSize else { return events }
            do {
                try await clock.sleep(for: batchDelay)
            } catch {
                return nil
            }
            // The same events and those stored meanwhile: the cursor has not moved.
            return await retrying("read the outbox", read)
        }
        return nil
    }

    /// Moves this uplink's cursor to `seq`, retrying; false when cancelled first.
    private func acknowledge(through seq: UInt64) async -> Bool {
        let write: @Sendable () async throws -> Void = { [log, name] in try await log.acknowledge(name, through: seq) }
        return await retrying("acknowledge through \(seq)", write) != nil
    }

    /// Sends `batch` until a 2xx; false when cancelled first.
    private func deliver(_ batch: WebhookBatch) async -> Bool {
        var attempt = 0
        while !Task.isCancelled {
            let delay: Duration
            let posted = ContinuousClock.now
            switch await post(batch) {
            case .delivered(let code):
                publishLatency.record(ContinuousClock.now - posted)
                if current.state != .connected {
                    logger.notice("delivering", ["url": "\(url)", "status": "\(code)"])
                }
                loggedProblem = nil
                current.state = .connected
                current.lastHTTPStatus = code
                current.lastError = nil
                current.nextAttempt = nil
                current.delivered += 1
                return true
            case .retry(let code, let retryAfter, let problem, let rejection):
                delay = retryAfter.map(backoff.honouring) ?? backoff.delay(attempt: attempt, using: &random)
                attempt += 1
                fail(code: code, problem: problem, delay: delay, rejection: rejection)
            case .rejected(let code, let answer):
                delay = backoff.rejectedRetryInterval
                attempt = 0
                let problem =
                    "HTTP \(code) from \(url): the receiver refused batch \(batch.idempotencyKey) "
                    + "(answer: \(answer)); fix the receiver or its configuration, the batch is kept and sent again"
                fail(code: code, problem: problem, delay: delay)
            }
            do {
                try await clock.sleep(for: delay)
            } catch {
                return false
            }
        }
        return false
    }

    private func fail(code: Int?, problem: String, delay: Duration, rejection: CertificateRejection? = nil) {
        current.state = .failing
        current.lastHTTPStatus = code
        current.lastError = problem
        current.failures += 1
        let milliseconds = delay.wholeMilliseconds
        current.nextAttempt = EventTime(millisecondsSinceEpoch: now().millisecondsSinceEpoch + milliseconds)
        var metadata = ["url": "\(url)", "reason": problem, "retry_in_ms": "\(milliseconds)"]
        if let code { metadata["status"] = "\(code)" }
        // One warning per kind of failure (an HTTP status, or one network error), not one per retry.
        let kind = code.map { "HTTP \($0)" } ?? problem
        guard kind != loggedProblem else {
            logger.debug("batch still held", metadata)
            return
        }
        loggedProblem = kind
        if let rejection {
            metadata["reason"] = rejection.reason
            if let subject = rejection.subject { metadata["subject"] = subject }
            logger.error("TLS verification failed", metadata)
            return
        }
        logger.warning(code.map { "HTTP \($0) holds the batch" } ?? "cannot deliver", metadata)
    }

    /// A receiver certificate that did not verify: its subject (when presented) and OpenSSL's reason.
    private struct CertificateRejection {
        var subject: String?
        var reason: String
    }

    private enum Outcome {
        case delivered(Int)
        case retry(Int?, retryAfter: Duration?, String, CertificateRejection? = nil)
        case rejected(Int, String)
    }

    private func post(_ batch: WebhookBatch) async -> Outcome {
        let timestamp = now().millisecondsSinceEpoch / 1000
        var headers = [
            HTTPHeader("Content-Type", "application/json"),
            HTTPHeader("Idempotency-Key", batch.idempotencyKey),
            HTTPHeader("X-Floorlink-Timestamp", String(timestamp)),
        ]
        if let secret {
            guard let signature = WebhookSigning.signature(secret: secret, timestamp: timestamp, body: batch.body)
            else { return .retry(nil, retryAfter: nil, "libcrypto could not sign the batch") }
            headers.append(HTTPHeader("X-Floorlink-Signature", signature))
        }
        let response: HTTPResponse
        do {
            response = try await client.send(HTTPRequest(method: "POST", headers: headers, body: batch.body), to: url)
        } catch {
            if case .redirectRefused(let code, _) = error {
                return .rejected(code, "\(error)")
            }
            let problem =
                "POST \(url) failed: \(error); check the URL, DNS, the network, the CA and that the receiver is up"
            if case .connection(.certificateRejected(_, let subject, let reason)) = error {
                return .retry(nil, retryAfter: nil, problem, CertificateRejection(subject: subject, reason: reason))
            }
            return .retry(nil, retryAfter: nil, problem)
        }
        let code = response.status
        switch code {
        case 200..<300:
            return .delivered(code)
        case 429, 500..<600:
            let retryAfter = response.headers.first("Retry-After").flatMap { WebhookRetryAfter.delay($0, now: now()) }
            return .retry(code, retryAfter: retryAfter, "HTTP \(code) from \(url); retrying")
        default:
            let answer = String(decoding: response.body.prefix(200), as: UTF8.self)
                .unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : String($0) }.joined()
            return .rejected(code, answer)
        }
    }

    /// Runs `operation` until it succeeds, backing off between failures; nil when cancelled first.
    private func retrying<T: Sendable>(
        _ what: String,
        _ operation: @Sendable () async throws -> T
    ) async -> T? {
        var attempt = 0
        while !Task.isCancelled {
            do {
                return try await operation()
            } catch {
                if Task.isCancelled || error is CancellationError { return nil }
                let delay = backoff.delay(attempt: attempt, using: &random)
                attempt += 1
                let metadata = ["reason": "\(error)", "retry_in_ms": "\(delay.wholeMilliseconds)"]
                if attempt == 1 {
                    logger.warning("cannot \(what)", metadata)
                } else {
                    logger.debug("still cannot \(what)", metadata)
                }
                do {
                    try await clock.sleep(for: delay)
                } catch {
                    return nil
                }
            }
        }
        return nil
    }
}

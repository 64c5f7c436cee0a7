import Events
import HAL
import Logging

/// Delivers the outbox to an MQTT broker: reads events after its cursor, publishes each at QoS 1 to
/// `floorlink/{site}/{controller}/events/{type}`, and advances the cursor only over events the broker has
/// acknowledged, in order. Keeps a retained status (`online` with version and start time; the last will says
/// `offline`) and takes commands from `.../commands`. On request (`events.replay`) it re-publishes a range of stored
/// events without moving its cursor (`replay(_:)`).
public actor MQTTUplink {
    /// The uplink's name: its cursor in the outbox.
    public nonisolated let name: String
    /// The client underneath (for diagnostics and tests).
    public nonisolated let client: MQTTClient
    /// The client's executor: the uplink and its client are one (with the outbox, on the loop in the daemon).
    public nonisolated var unownedExecutor: UnownedSerialExecutor { client.unownedExecutor }
    /// `floorlink/{site}/{controller}`.
    public nonisolated let topicPrefix: String
    /// `floorlink/{site}/{controller}/events/`: each event's topic is this and its type, joined without formatting.
    nonisolated let eventTopicPrefix: String
    let log: any EventLog
    let logger: Logger
    /// The time seam for the stop's drain and the pause after an outbox failure (shared with the client).
    let clock: any HAL.Clock
    let batchSize = 256

    var pending: [MQTTPendingEvent] = []
    var pendingHead = 0
    var pendingWaiter: CheckedContinuation<Bool, Never>?
    var acknowledgedSeq: UInt64 = 0
    var publishedSeq: UInt64 = 0
    /// An outbox failure (or an event that cannot be published); cleared when that outbox operation succeeds.
    var localError: String?
    var stopping = false
    /// True while an `events.replay` runs: one at a time (see `replay(_:)`).
    var replaying = false
    /// From handing an event to the client to its PUBACK, for `/metrics`.
    public private(set) var publishLatency = LatencyHistogram()
    let version: String
    let started: EventTime
    /// How often, at most, the retained status is refreshed with the backlog and the last event's time.
    let statusInterval: Duration
    /// What the last refresh published, and on which connection: republished only when it changed, or after a
    /// reconnect (whose birth message replaced it with the plain online status).
    var refreshedStatus: (text: String, connection: Int)?

    /// The retained status payload after every connect, and (with `backlog`, `lastEvent` and `lastSeq`) as
    /// refreshed while connected: `backlog` is how many stored events the broker has not acknowledged yet,
    /// `lastEvent` the time of the newest one and `lastSeq` its seq (so a consumer sees a gap at the tail too).
    public static func onlineStatus(
        version: String,
        started: EventTime,
        backlog: UInt64? = nil,
        lastEvent: EventTime? = nil,
        lastSeq: UInt64? = nil
    ) -> String {
        var members: [(String, JSONValue)] = [
            ("state", "online"), ("version", .string(version)), ("started", .string(started.description)),
        ]
        if let backlog { members.append(("backlog", .int(Int64(clamping: backlog)))) }
        if let lastEvent { members.append(("lastEvent", .string(lastEvent.description))) }
        if let lastSeq { members.append(("lastSeq", .int(Int64(clamping: lastSeq)))) }
        return JSONValue.object(members).jsonText
    }

    /// The retained status payload the broker publishes as the last will, and a clean stop publishes too.
    public static let offlineStatus = #"{"state":"offline"}"#

    /// An uplink to `url` (`mqtt://host:port` or `mqtts://host:port`) for `site`/`controller`, reading `log`.
    /// `onCommand` receives each payload sent to `.../commands`; `onOversizedCommand` the payload size of each
    /// one over the client's packet limit (skipped unread and acknowledged, so it is never redelivered);
    /// `logger` receives the connection's state changes and outbox failures, each once; `clock` times keep-alive,
    /// reconnects, the stop's drain and the status refresh (every `statusInterval` while connected);
    /// `configure` adjusts the client (window, backoff, timeouts) after the defaults are set.
    public init(
        url: String,
        clientID: String,
        username: String? = nil,
        password: String? = nil,
        keepAlive: UInt16 = 30,
        tls: MQTTTLSConfiguration? = nil,
        site: String,
        controller: String,
        log: any EventLog,
        name: String = "mqtt",
        version: String = "dev",
        started: EventTime = .now(),
        statusInterval: Duration = .seconds(10),
        onCommand: (@Sendable ([UInt8]) async -> Void)? = nil,
        onOversizedCommand: (@Sendable (Int) async -> Void)? = nil,
        logger: Logger = Logger(label: "mqtt", handler: DiscardingLogHandler()),
        clock: any HAL.Clock = SystemClock(),
        configure: (inout MQTTClientConfiguration) -> Void = { _ in }
    ) throws(MQTTError) {
        let prefix = "floorlink/\(site)/\(controller)"
        var configuration = MQTTClientConfiguration(broker: try MQTTBrokerURL(parsing: url), clientID: clientID)
        configuration.cleanSession = false
        configuration.username = username
        configuration.password = password.map { Array($0.utf8) }
        configuration.keepAlive = keepAlive
        configuration.tls = tls
        configuration.will = MQTTMessage(topic: "\(prefix)/status", text: Self.offlineStatus, retain: true)
        configuration.birth = MQTTMessage(
            topic: "\(prefix)/status",
            text: Self.onlineStatus(version: version, started: started),
            retain: true
        )
        let commandsTopic = "\(prefix)/commands"
        if onCommand != nil {
            configuration.subscriptions = [MQTTSubscription(topicFilter: commandsTopic, qos: .atLeastOnce)]
        }
        configure(&configuration)
        self.name = name
        self.topicPrefix = prefix
        eventTopicPrefix = prefix + "/events/"
        self.version = version
        self.started = started
        self.statusInterval = statusInterval
        self.log = log
        self.logger = logger
        self.clock = clock
        self.client = MQTTClient(
            configuration: configuration,
            logger: logger,
            clock: clock,
            onMessage: { topic, payload in
                if topic == commandsTopic, let onCommand { await onCommand(payload) }
            },
            onOversizedMessage: { topic, byteCount in
                if topic == commandsTopic, let onOversizedCommand { await onOversizedCommand(byteCount) }
            }
        )
    }

    /// Runs until `stop()` or cancellation: the client's connection loop, the publisher and the acknowledger.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.client.run() }
            group.addTask { await self.publishLoop() }
            group.addTask { await self.acknowledgeLoop() }
            group.addTask { await self.statusLoop() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Stops reading new events, waits up to `drainTimeout` for what is in flight to be acknowledged (and the
    /// cursor advanced), then stops the client cleanly. With `target` (the outbox head when the daemon was asked
    /// to stop), events through it are first published and acknowledged while the broker is connected, so the
    /// last events (`controller.stopping`) reach it; an unreachable broker is not waited for.
    public func stop(drainTimeout: Duration = .seconds(5), deliveringThrough target: UInt64? = nil) async {
        let deadline = clock.now + drainTimeout
        if let target {
            while acknowledgedSeq < target, clock.now < deadline, await client.state == .connected {
                try? await clock.sleep(for: .milliseconds(10))
            }
        }
        stopping = true
        while acknowledgedSeq < publishedSeq, clock.now < deadline {
            try? await clock.sleep(for: .milliseconds(20))
        }
        await client.stop()
        pendingWaiter?.resume(returning: false)
        pendingWaiter = nil
    }

    /// Publishes a command result (JSON) to `.../commands/results` at QoS 1.
    @discardableResult
    public func publishCommandResult(_ json: String) async throws(MQTTError) -> MQTTPublishReceipt {
        try await client.publish(MQTTMessage(topic: "\(topicPrefix)/commands/results", text: json))
    }

    /// Connection state, cursor and last error.
    public func status() async -> MQTTUplinkStatus {
        let state = await client.state
        let clientError = await client.lastError
        return MQTTUplinkStatus(
            name: name,
            state: state,
            acknowledgedSeq: acknowledgedSeq,
            publishedSeq: publishedSeq,
            lastError: localError ?? clientError?.description
        )
    }

    /// Every `statusInterval` while connected: the retained status with the backlog and the last event's time, when
    /// either changed (or the connection is new), so a fleet view sees each controller's backlog without asking it.
    private func statusLoop() async {
        while !Task.isCancelled && !stopping {
            guard (try? await clock.sleep(for: statusInterval)) != nil, !stopping else { return }
            guard await client.state == .connected else { continue }
            let connection = await client.connectionCount
            guard let newest = try? await log.newestEvent() else { continue }
            let backlog = newest.seq > acknowledgedSeq ? newest.seq - acknowledgedSeq : 0
            let text = Self.onlineStatus(
                version: version,
                started: started,
                backlog: backlog,
                lastEvent: newest.time,
                lastSeq: newest.seq
            )
            if let refreshedStatus, refreshedStatus.text == text, refreshedStatus.connection == connection { continue }
            // Checked again after the awaits above: once a stop began, its offline status must be the last word.
            guard !stopping else { return }
            // QoS 0: a refresh lost with its connection is replaced by the next one; it must never wait for the
            // window that events fill.
            let message = MQTTMessage(topic: "\(topicPrefix)/status", text: text, qos: .atMostOnce, retain: true)
            if (try? await client.publish(message)) != nil { refreshedStatus = (text, connection) }
        }
    }

    /// Reads the outbox after the cursor and hands each event to the client, in order.
    private func publishLoop() async {
        while !Task.isCancelled && !stopping {
            do {
                acknowledgedSeq = try await log.cursor(for: name)
                publishedSeq = acknowledgedSeq
                recovered()
                break
            } catch {
                report("outbox cursor for '\(name)': \(error)")
                try? await clock.sleep(for: .seconds(1))
            }
        }
        while !Task.isCancelled && !stopping {
            let events: [StoredEvent]
            do {
                events = try await log.storedEvents(after: publishedSeq, limit: batchSize)
                recovered()
            } catch {
                if Task.isCancelled { return }
                report("outbox read after \(publishedSeq): \(error)")
                try? await clock.sleep(for: .seconds(1))
                continue
            }
            for stored in events {
                if stopping { return }
                let seq = stored.event.seq
                do {
                    let receipt = try await client.publish(eventMessage(stored))
                    enqueue(MQTTPendingEvent(receipt: receipt, seq: seq))
                } catch .stopped {
                    return
                } catch {
                    // Cannot be published at all (e.g. a type that is no valid topic): say so, do not block.
                    report("event seq \(seq) not publishable: \(error)")
                    enqueue(MQTTPendingEvent(receipt: nil, seq: seq))
                }
                publishedSeq = seq
            }
        }
    }

    /// Waits for PUBACKs in publish order and records the highest contiguous acknowledged seq in the outbox.
    private func acknowledgeLoop() async {
        while !Task.isCancelled {
            guard await waitForPending() else { return }
            let first = pending[pendingHead]
            if let receipt = first.receipt {
                do {
                    try await client.waitForAcknowledgement(receipt)
                } catch {
                    return
                }
            }
            let candidates = pending[pendingHead...].prefix(4096).map(\.receipt)
            let count = await client.acknowledgedPrefixCount(candidates)
            let through = pending[pendingHead + count - 1].seq
            let acknowledgedAt = ContinuousClock.now
            for event in pending[pendingHead..<(pendingHead + count)] where event.receipt != nil {
                publishLatency.record(acknowledgedAt - event.handedOver)
            }
            pendingHead += count
            if pendingHead > 1024 && pendingHead * 2 > pending.count {
                pending.removeFirst(pendingHead)
                pendingHead = 0
            }
            do {
                try await log.acknowledge(name, through: through)
                acknowledgedSeq = through
                recovered()
            } catch {
                report("outbox acknowledge through \(through): \(error)")
            }
        }
    }

    /// Records an outbox failure for `status`, logging it when it differs from the one before.
    private func report(_ problem: String) {
        if problem != localError { logger.warning("outbox problem", ["uplink": name, "reason": problem]) }
        localError = problem
    }

    /// An outbox operation succeeded: the last outbox failure no longer holds.
    private func recovered() {
        guard let problem = localError else { return }
        localError = nil
        logger.notice("outbox problem cleared", ["uplink": name, "was": problem])
    }

    private func enqueue(_ event: MQTTPendingEvent) {
        pending.append(event)
        guard let waiter = pendingWaiter else { return }
        pendingWaiter = nil
        // The acknowledge loop waits for an event only to wait for its PUBACK next: it is woken once, by the PUBACK
        // (or the client's stop), not twice. The client shares this actor's executor, so it is entered in place.
        if let receipt = event.receipt {
            client.assumeIsolated { $0.whenAcknowledged(receipt) { waiter.resume(returning: $0) } }
        } else {
            waiter.resume(returning: true)
        }
    }

    /// True once something is pending; false when stopped or cancelled.
    private func waitForPending() async -> Bool {
        while pendingHead == pending.count {
            if stopping || Task.isCancelled { return false }
            let more = await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    pendingWaiter = continuation
                }
            } onCancel: {
                Task { await self.cancelPendingWaiter() }
            }
            if !more { return false }
        }
        return true
    }

    private func cancelPendingWaiter() {
        pendingWaiter?.resume(returning: false)
        pendingWaiter = nil
    }
}

import HAL
import IOEngine
import Logging

/// An MQTT 3.1.1 client: keeps one connection to the broker alive (reconnecting with backoff), publishes at
/// QoS 1 through a bounded in-flight window, re-sends unacknowledged publishes with DUP after a reconnect, and
/// hands inbound messages to a handler, acknowledging each after the handler returns. An inbound PUBLISH over
/// `maximumPacketSize` is skipped as it arrives (never buffered), acknowledged the same way and reported to the
/// oversized-message handler, so one huge message cannot break the connection or come back on every reconnect.
public actor MQTTClient {
    /// Receives each inbound PUBLISH; QoS 1 messages are acknowledged when it returns.
    public typealias MessageHandler = @Sendable (_ topic: String, _ payload: [UInt8]) async -> Void
    /// Receives each inbound PUBLISH that was over the packet limit, with its payload size; acknowledged after.
    public typealias OversizedMessageHandler = @Sendable (_ topic: String, _ payloadByteCount: Int) async -> Void

    /// What this client was made with.
    public nonisolated let configuration: MQTTClientConfiguration
    /// On the loop with the outbox and the uplink when `configuration.taskExecutor` is the loop (see `ActorExecutor`).
    let executor: any SerialExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    let handler: MessageHandler?
    let oversizedHandler: OversizedMessageHandler?
    /// The time seam: keep-alive, reconnect backoff and the stop's wait for the will all read and wait on it.
    let clock: any HAL.Clock
    /// Where state changes are logged: connected, disconnected, cannot connect (once per reason).
    let logger: Logger
    /// The failures logged since the last connection, so a retry that fails a way already told is not logged again
    /// (a broker that flaps between two failures leaves two lines per outage, not one per retry).
    var loggedFailures: Set<String> = []

    /// Where the connection cycle is.
    public internal(set) var state: MQTTConnectionState = .disconnected
    /// The most recent failure (connect, TLS, protocol, keep-alive); cleared when a connection is accepted.
    public internal(set) var lastError: MQTTError?
    /// How many times a CONNACK was accepted.
    public internal(set) var connectionCount = 0
    /// How many SUBACKs arrived (one per connection with subscriptions): the broker sends a subscription's retained
    /// messages after it.
    public internal(set) var subscriptionAcknowledgements = 0
    /// How many inbound PUBLISHes were over the packet limit and skipped.
    public internal(set) var oversizedMessageCount = 0

    var tlsContext: TLSContext?
    var transport: MQTTTransport?
    /// Incremented per connection, so late work for an old connection is recognised and dropped.
    var generation: UInt64 = 0
    /// Why the current connection was closed from this side (keep-alive timeout, protocol violation).
    var closeReason: MQTTError?
    var awaitingConnack = false
    var sessionStarted: Int64 = 0
    var lastReceived: Int64 = 0
    var lastPingSent: Int64 = 0
    var stopRequested = false
    var running = false
    var inflight: [MQTTOutgoingPublish] = []
    var waiting: [MQTTWaitingPublish] = []
    var usedPacketIDs: Set<UInt16> = []
    var nextPacketID: UInt16 = 1
    var nextReceipt: UInt64 = 1
    var unacknowledged: Set<UInt64> = []
    var acknowledgementActions: [UInt64: [@Sendable (Bool) -> Void]] = [:]
    var pendingSubscriptions: [UInt16: [MQTTSubscription]] = [:]
    var deliveries: AsyncStream<MQTTInboundMessage>.Continuation?
    /// The current connection's packet decoder.
    var decoder = MQTTPacketDecoder()

    /// A client for `configuration`; `onMessage` receives what the subscriptions deliver, `onOversizedMessage`
    /// what they delivered over `maximumPacketSize` (skipped, acknowledged, and otherwise dropped). `logger`
    /// receives each state change once (connected, disconnected, cannot connect), not once per retry; `clock`
    /// times keep-alive and reconnects (a `ManualClock` in tests).
    public init(
        configuration: MQTTClientConfiguration,
        logger: Logger = Logger(label: "mqtt", handler: DiscardingLogHandler()),
        clock: any HAL.Clock = SystemClock(),
        onMessage: MessageHandler? = nil,
        onOversizedMessage: OversizedMessageHandler? = nil
    ) {
        self.configuration = configuration
        executor = ActorExecutor.preferring(configuration.taskExecutor, label: "floorlink.mqtt-client")
        self.clock = clock
        self.logger = logger
        self.handler = onMessage
        self.oversizedHandler = onOversizedMessage
    }

    /// QoS 1 publishes written or queued but not yet acknowledged.
    public var inflightCount: Int { inflight.count }

    // MARK: publishing

    /// Publishes `message`. At QoS 1 it waits only while the in-flight window is full (also while
    /// disconnected: publishes are kept and sent on reconnect); the returned receipt says when the broker has
    /// it. At QoS 0 it is sent if connected and otherwise dropped.
    @discardableResult
    public func publish(_ message: MQTTMessage) async throws(MQTTError) -> MQTTPublishReceipt {
        guard !stopRequested else { throw .stopped }
        if message.qos == .exactlyOnce {
            throw .invalidPacket("QoS 2 publishing is not supported")
        }
        // Refuse what cannot be encoded now, not after it has entered the window.
        let probe = MQTTPublish(
            topic: message.topic,
            payload: message.payload,
            qos: message.qos,
            retain: message.retain,
            packetID: 1
        )
        let encoded = try MQTTPacket.publish(probe).encoded()
        let receipt = nextReceipt
        nextReceipt += 1
        if message.qos == .atMostOnce {
            if state == .connected { transport?.send(encoded) }
            return MQTTPublishReceipt(id: receipt)
        }
        unacknowledged.insert(receipt)
        if waiting.isEmpty && inflight.count < configuration.inflightWindow {
            admit(receipt: receipt, message: message)
            return MQTTPublishReceipt(id: receipt)
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiting.append(MQTTWaitingPublish(receipt: receipt, message: message, continuation: continuation))
            }
        } onCancel: {
            Task { await self.cancelWaiting(receipt: receipt) }
        }
        try result.get()
        return MQTTPublishReceipt(id: receipt)
    }

    /// Whether the broker has acknowledged the publish behind `receipt`.
    public func isAcknowledged(_ receipt: MQTTPublishReceipt) -> Bool {
        receipt.id < nextReceipt && !unacknowledged.contains(receipt.id)
    }

    /// Returns once the broker has acknowledged `receipt`; throws `stopped` if the client stops first.
    public func waitForAcknowledgement(_ receipt: MQTTPublishReceipt) async throws(MQTTError) {
        if isAcknowledged(receipt) { return }
        guard !stopRequested else { throw .stopped }
        let acknowledged = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                whenAcknowledged(receipt) { continuation.resume(returning: $0) }
            }
        } onCancel: {
            Task { await self.cancelAcknowledgementWaiters(receipt: receipt.id) }
        }
        guard acknowledged else { throw .stopped }
    }

    /// Calls `action` with true once the broker has acknowledged `receipt` (at once if it has), with false if the
    /// client stops first or a `waitForAcknowledgement` on it is cancelled. `waitForAcknowledgement` waits through it;
    /// code on the client's executor uses it to hand a waiting task's continuation on rather than wake that task just
    /// to wait again (the uplink's acknowledgement loop).
    func whenAcknowledged(_ receipt: MQTTPublishReceipt, _ action: @escaping @Sendable (Bool) -> Void) {
        if isAcknowledged(receipt) {
            action(true)
        } else if stopRequested {
            action(false)
        } else {
            acknowledgementActions[receipt.id, default: []].append(action)
        }
    }

    /// How many of `receipts`, from the front, are acknowledged (nil counts as acknowledged).
    public func acknowledgedPrefixCount(_ receipts: [MQTTPublishReceipt?]) -> Int {
        receipts.prefix { $0.map(isAcknowledged) ?? true }.count
    }

    /// Puts a publish into the window and writes it when connected.
    func admit(receipt: UInt64, message: MQTTMessage) {
        let packetID = allocatePacketID()
        let publish = MQTTPublish(
            topic: message.topic,
            payload: message.payload,
            qos: .atLeastOnce,
            retain: message.retain,
            packetID: packetID
        )
        var outgoing = MQTTOutgoingPublish(receipt: receipt, publish: publish, sent: false)
        if state == .connected, let transport {
            send(.publish(publish), on: transport)
            outgoing.sent = true
        }
        inflight.append(outgoing)
    }

    /// The next packet id not in use, never 0.
    func allocatePacketID() -> UInt16 {
        while usedPacketIDs.contains(nextPacketID) || nextPacketID == 0 {
            nextPacketID &+= 1
        }
        let id = nextPacketID
        nextPacketID &+= 1
        usedPacketIDs.insert(id)
        return id
    }

    /// Records the PUBACK for `packetID`: frees its slot, wakes its waiters, admits the next waiting publish.
    func acknowledged(packetID: UInt16) {
        guard let index = inflight.firstIndex(where: { $0.publish.packetID == packetID }) else { return }
        let receipt = inflight.remove(at: index).receipt
        usedPacketIDs.remove(packetID)
        unacknowledged.remove(receipt)
        for action in acknowledgementActions.removeValue(forKey: receipt) ?? [] { action(true) }
        admitWaiting()
    }

    func admitWaiting() {
        while inflight.count < configuration.inflightWindow, !waiting.isEmpty {
            let next = waiting.removeFirst()
            admit(receipt: next.receipt, message: next.message)
            next.continuation.resume(returning: .success(()))
        }
    }

    private func cancelWaiting(receipt: UInt64) {
        guard let index = waiting.firstIndex(where: { $0.receipt == receipt }) else { return }
        let cancelled = waiting.remove(at: index)
        unacknowledged.remove(receipt)
        cancelled.continuation.resume(returning: .failure(.stopped))
    }

    private func cancelAcknowledgementWaiters(receipt: UInt64) {
        for action in acknowledgementActions.removeValue(forKey: receipt) ?? [] { action(false) }
    }

    /// Fails everything still waiting with `stopped`.
    func failWaiters() {
        for waiter in waiting { waiter.continuation.resume(returning: .failure(.stopped)) }
        waiting.removeAll()
        let actions = acknowledgementActions.values.joined()
        acknowledgementActions.removeAll()
        for action in actions { action(false) }
    }

    /// Encodes and queues `packet`; an encoding failure here is a bug in this client, recorded as the error.
    func send(_ packet: MQTTPacket, on transport: MQTTTransport) {
        do {
            transport.send(try packet.encoded())
        } catch {
            lastError = error
        }
    }
}

import HAL
import IOEngine
import Logging

extension MQTTClient {
    /// Connects and stays connected until `stop()` or cancellation: on any failure it waits (exponential
    /// backoff with jitter, capped, reset after a successful CONNACK) and connects again.
    public func run() async {
        guard !running, !stopRequested else { return }
        running = true
        let (stream, continuation) = AsyncStream.makeStream(of: MQTTInboundMessage.self)
        deliveries = continuation
        let handlerTask = Task(executorPreference: configuration.taskExecutor) { await self.deliverMessages(stream) }
        var delay = configuration.reconnectDelay
        while !stopRequested && !Task.isCancelled {
            let before = connectionCount
            var failure: MQTTError?
            do {
                try await runSession()
            } catch {
                if error != .stopped {
                    lastError = error
                    failure = error
                }
            }
            if stopRequested || Task.isCancelled { break }
            state = .disconnected
            if connectionCount != before { delay = configuration.reconnectDelay }
            let wait = delay * Double.random(in: 0.5...1.0)
            logFailure(failure, afterConnection: connectionCount != before, retryIn: wait)
            await pause(for: wait)
            delay = min(delay * 2, configuration.maximumReconnectDelay)
        }
        stopRequested = true
        state = .stopped
        transport?.close()
        transport = nil
        failWaiters()
        continuation.finish()
        handlerTask.cancel()
        running = false
    }

    /// Stops the client. With `sendDisconnect` it first publishes the last will itself (a clean stop is also
    /// "offline"), waits up to a second for it, and sends DISCONNECT; without, it just closes the socket, as a
    /// crash would, and the broker publishes the will.
    public func stop(sendDisconnect: Bool = true) async {
        guard !stopRequested else { return }
        if sendDisconnect, state == .connected, let transport {
            if let will = configuration.will {
                let receipt = nextReceipt
                nextReceipt += 1
                unacknowledged.insert(receipt)
                admit(receipt: receipt, message: will)
                let deadline = clock.now + .seconds(1)
                while unacknowledged.contains(receipt), clock.now < deadline, state == .connected {
                    try? await clock.sleep(for: .milliseconds(10))
                }
            }
            stopRequested = true
            send(.disconnect, on: transport)
            transport.closeAfterFlush()
        } else {
            stopRequested = true
            transport?.close()
        }
        failWaiters()
    }

    /// One connection: TCP/TLS, CONNECT, then packets until it fails or is closed.
    private func runSession() async throws(MQTTError) {
        state = .connecting
        if configuration.broker.usesTLS && tlsContext == nil {
            do throws(IOError) {
                tlsContext = try TLSContext(configuration.tls ?? TLSConfiguration())
            } catch {
                if case .tlsConfiguration(let detail) = error { throw .tlsConfiguration(detail) }
                throw .tlsConfiguration(error.description)
            }
        }
        let transport = try await MQTTTransport.connect(
            host: configuration.broker.host,
            port: configuration.broker.port,
            tls: configuration.broker.usesTLS ? tlsContext : nil,
            timeout: configuration.connectTimeout,
            taskExecutor: configuration.taskExecutor
        )
        guard !stopRequested else {
            transport.close()
            throw .stopped
        }
        generation += 1
        self.transport = transport
        closeReason = nil
        awaitingConnack = true
        sessionStarted = milliseconds(since: clock.now)
        lastReceived = sessionStarted
        lastPingSent = sessionStarted
        let connect = MQTTConnect(
            clientID: configuration.clientID,
            cleanSession: configuration.cleanSession,
            keepAlive: configuration.keepAlive,
            will: configuration.will,
            username: configuration.username,
            password: configuration.password
        )
        decoder = MQTTPacketDecoder(maximumPacketSize: configuration.maximumPacketSize)
        if let loop = executor as? LoopActorExecutor {
            // On the loop, the reader's chunks are handled where it reads them (see `receiveInPlace`); set before
            // CONNECT, so no chunk can be waiting in `nextChunk` while a later one is handled here.
            transport.receiveInPlace { [self] chunk in
                guard loop.isCurrent else { return .declined }
                return assumeIsolated { client in
                    // A late read of a connection already given up feeds nothing into the next one's decoder.
                    guard client.transport === transport else { return .taken }
                    do throws(MQTTError) {
                        try client.receive(chunk, on: transport)
                        return .taken
                    } catch {
                        return .failed(error)
                    }
                }
            }
        }
        send(.connect(connect), on: transport)
        let keepAliveTask = Task(executorPreference: configuration.taskExecutor) { [generation] in
            await self.keepAliveLoop(generation: generation)
        }
        defer {
            keepAliveTask.cancel()
            transport.close()
            self.transport = nil
            if state == .connected || state == .connecting { state = .disconnected }
        }
        do throws(MQTTError) {
            while let chunk = try await transport.nextChunk() {
                try receive(chunk, on: transport)
                transport.consumed(chunk.count)
            }
        } catch {
            throw closeReason ?? error
        }
        if let closeReason { throw closeReason }
        throw .stopped
    }

    /// Decodes `chunk`, read on `transport`, and handles the packets it completes.
    private func receive(_ chunk: [UInt8], on transport: MQTTTransport) throws(MQTTError) {
        lastReceived = milliseconds(since: clock.now)
        decoder.append(chunk)
        while let decoded = try decoder.next() {
            switch decoded {
            case .packet(let packet): try handle(packet, on: transport)
            case .oversizedPublish(let publish): try handleOversized(publish)
            }
        }
    }

    private func handle(_ packet: MQTTPacket, on transport: MQTTTransport) throws(MQTTError) {
        if awaitingConnack {
            guard case .connack(_, let code) = packet else {
                throw .protocolViolation("expected CONNACK, received \(packet.typeName)")
            }
            guard code == .accepted else {
                throw .connectionRefused(host: configuration.broker.host, port: configuration.broker.port, code: code)
            }
            connected(on: transport)
            return
        }
        switch packet {
        case .puback(let packetID):
            acknowledged(packetID: packetID)
        case .publish(let publish):
            guard publish.qos != .exactlyOnce else {
                throw .protocolViolation("QoS 2 PUBLISH on '\(publish.topic)' although every subscription is QoS 1")
            }
            if let deliveries {
                deliveries.yield(MQTTInboundMessage(publish: publish, skippedPayloadBytes: nil, generation: generation))
            }
        case .suback(let packetID, let codes):
            let requested = pendingSubscriptions.removeValue(forKey: packetID) ?? []
            usedPacketIDs.remove(packetID)
            subscriptionAcknowledgements += 1
            for (subscription, code) in zip(requested, codes) where code == 0x80 {
                lastError = .subscriptionRefused(topic: subscription.topicFilter)
            }
        case .pingresp, .unsuback:
            break
        case .connack, .connect, .subscribe, .unsubscribe, .pingreq, .disconnect:
            throw .protocolViolation("unexpected \(packet.typeName) from the broker")
        }
    }

    /// A PUBLISH over the packet limit, already skipped: queued like any message, so it is reported and then
    /// acknowledged in order (unacknowledged, the broker would send it again on every reconnect).
    private func handleOversized(_ oversized: MQTTOversizedPublish) throws(MQTTError) {
        guard !awaitingConnack else { throw .protocolViolation("expected CONNACK, received PUBLISH") }
        guard oversized.qos != .exactlyOnce else {
            throw .protocolViolation("QoS 2 PUBLISH on '\(oversized.topic)' although every subscription is QoS 1")
        }
        oversizedMessageCount += 1
        let header = MQTTPublish(
            topic: oversized.topic,
            payload: [],
            qos: oversized.qos,
            retain: oversized.retain,
            dup: oversized.dup,
            packetID: oversized.packetID
        )
        deliveries?.yield(
            MQTTInboundMessage(publish: header, skippedPayloadBytes: oversized.payloadByteCount, generation: generation)
        )
    }

    /// After CONNACK: subscribe, publish the birth message, re-send the window (DUP on what was sent before).
    private func connected(on transport: MQTTTransport) {
        awaitingConnack = false
        state = .connected
        connectionCount += 1
        lastError = nil
        loggedFailures = []
        var metadata = ["broker": "\(configuration.broker.host):\(configuration.broker.port)"]
        if let version = transport.tlsVersion { metadata["tls"] = version }
        logger.notice("connected", metadata)
        if !configuration.subscriptions.isEmpty {
            let packetID = allocatePacketID()
            pendingSubscriptions[packetID] = configuration.subscriptions
            // QoS 2 is not implemented: asking for at most QoS 1 makes the broker downgrade QoS 2 messages, so
            // none arrives that this client could not acknowledge.
            let requested = configuration.subscriptions.map {
                MQTTSubscription(topicFilter: $0.topicFilter, qos: min($0.qos, .atLeastOnce))
            }
            send(.subscribe(packetID: packetID, subscriptions: requested), on: transport)
        }
        for index in inflight.indices {
            inflight[index].publish.dup = inflight[index].sent
            inflight[index].sent = true
            send(.publish(inflight[index].publish), on: transport)
        }
        if let birth = configuration.birth {
            let receipt = nextReceipt
            nextReceipt += 1
            unacknowledged.insert(receipt)
            admit(receipt: receipt, message: birth)
        }
    }

    /// Every quarter keep-alive: PINGREQ when half a keep-alive has passed since the last one, and a dead
    /// connection (nothing received for 1.5 keep-alives, or no CONNACK in time) is closed.
    private func keepAliveLoop(generation: UInt64) async {
        let keepAliveMilliseconds = Int64(configuration.keepAlive) * 1000
        let tick = keepAliveMilliseconds > 0 ? max(keepAliveMilliseconds / 4, 50) : 250
        while !Task.isCancelled {
            try? await clock.sleep(for: .milliseconds(tick))
            guard checkKeepAlive(generation: generation) else { return }
        }
    }

    /// Returns false once the connection `generation` is gone.
    private func checkKeepAlive(generation: UInt64) -> Bool {
        guard generation == self.generation, let transport, closeReason == nil else { return false }
        let now = milliseconds(since: clock.now)
        let host = configuration.broker.host
        let port = configuration.broker.port
        if awaitingConnack {
            if now - sessionStarted > MQTTTransport.milliseconds(configuration.connectTimeout) {
                closeReason = .connectTimedOut(
                    host: host,
                    port: port,
                    seconds: MQTTTransport.seconds(configuration.connectTimeout)
                )
                transport.close()
                return false
            }
            return true
        }
        let keepAlive = Int64(configuration.keepAlive) * 1000
        guard keepAlive > 0 else { return true }
        if now - lastReceived > keepAlive * 3 / 2 {
            closeReason = .keepAliveTimeout(host: host, port: port, seconds: Double(keepAlive * 3 / 2) / 1000)
            transport.close()
            return false
        }
        if now - lastPingSent >= keepAlive / 2 {
            lastPingSent = now
            send(.pingreq, on: transport)
        }
        return true
    }

    /// Runs the handler for each inbound message in order, then acknowledges QoS 1 ones on the connection
    /// they came from (a later connection gets them again from the broker's session).
    private func deliverMessages(_ stream: AsyncStream<MQTTInboundMessage>) async {
        for await message in stream {
            if let skipped = message.skippedPayloadBytes {
                await oversizedHandler?(message.publish.topic, skipped)
            } else if let handler {
                await handler(message.publish.topic, message.publish.payload)
            }
            if message.publish.qos == .atLeastOnce, let packetID = message.publish.packetID {
                acknowledgeDelivery(packetID: packetID, generation: message.generation)
            }
        }
    }

    private func acknowledgeDelivery(packetID: UInt16, generation: UInt64) {
        guard generation == self.generation, state == .connected, let transport else { return }
        send(.puback(packetID: packetID), on: transport)
    }

    /// Sleeps for `duration` in short steps, returning early on stop or cancellation.
    private func pause(for duration: Duration) async {
        let deadline = clock.now + duration
        while clock.now < deadline && !stopRequested && !Task.isCancelled {
            try? await clock.sleep(for: min(.milliseconds(50), deadline - clock.now))
        }
    }

    /// `instant` of the client's clock in milliseconds since its origin.
    private func milliseconds(since instant: ClockInstant) -> Int64 {
        MQTTTransport.milliseconds(instant.sinceOrigin)
    }
}

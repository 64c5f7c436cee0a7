import Events

extension MQTTUplink: EventReplayer {
    /// Re-publishes the stored events of `range` (`events.replay`, gap repair) on their usual topics at QoS 1,
    /// each payload byte for byte as first published (same `id` and `seq`, so consumers drop what they already
    /// have). Returns once the range is counted and its publishing has started: the result does not wait for the
    /// broker. It must not: commands are handled one after the other, so a handler waiting for PUBACKs while
    /// commands pile up past the client's inbound bound (a stranger's garbage does) would stop the very reads that
    /// bring those PUBACKs in, and the uplink with them. The events go through the client's window like live ones
    /// (kept and re-sent across a reconnect); "events replayed" is logged once the broker has them all.
    ///
    /// The replay leaves the delivery cursor alone: its publishes share the client's in-flight window with the live
    /// ones (which interleave with them, in order among themselves) but not the acknowledgement bookkeeping.
    /// Seqs after the newest durable event are reported as `beyondNewest`, seqs older than the outbox's oldest
    /// record as `notRetained`. Events still waiting for their first delivery are replayed too (a consumer then
    /// sees them twice, which it drops by `id`).
    ///
    /// One replay at a time, until the broker has acknowledged all of it: a second meanwhile is refused with
    /// `replay-busy` (not queued: the caller knows best whether it still needs it, and a queue would let one caller
    /// hold the uplink for long). `uplink-offline` while the client is not connected (the replay would only
    /// queue), `uplink-stopped` when the uplink is stopping, `outbox-error` when the outbox cannot be read.
    public func replay(_ range: EventReplayRange) async throws(CommandFailure) -> EventReplayReport {
        guard !replaying else { throw Self.busyFailure }
        guard !stopping else { throw Self.stoppedFailure }
        // A replay asked for over the control socket while the broker is away would only queue up behind the
        // backlog and hold the replay slot; over MQTT the connection is up when the command arrives.
        guard await client.state == .connected else {
            throw CommandFailure(
                code: "uplink-offline",
                detail: "the MQTT uplink is not connected to its broker (see floorctl status); ask again once the "
                    + "controller's status is online"
            )
        }
        guard !replaying else { throw Self.busyFailure }
        replaying = true
        let report: EventReplayReport
        do throws(CommandFailure) {
            report = try await count(range)
        } catch {
            replaying = false
            throw error
        }
        guard let retained = report.retained else {
            replaying = false
            return report
        }
        Task(executorPreference: client.configuration.taskExecutor) { await self.publish(retained, report: report) }
        return report
    }

    /// Reads `range` through once (a batch at a time, nothing kept) to say what a replay of it sends.
    private func count(_ range: EventReplayRange) async throws(CommandFailure) -> EventReplayReport {
        let newest: UInt64
        do {
            newest = try await log.newestEvent()?.seq ?? 0
        } catch {
            throw CommandFailure(code: "outbox-error", detail: "cannot read the outbox's newest event: \(error)")
        }
        let upper = min(range.through, newest)
        let beyond =
            range.through > newest ? EventReplayRange(from: max(range.from, newest + 1), through: range.through) : nil
        guard range.from <= upper else { return EventReplayReport(range: range, replayed: 0, beyondNewest: beyond) }
        var firstFound: UInt64?
        var found: UInt64 = 0
        var after = range.from - 1
        while after < upper {
            let events = try await read(after: after, upTo: upper)
            guard let last = events.last else { break }
            if firstFound == nil { firstFound = events.first?.event.seq }
            found += UInt64(events.count)
            after = last.event.seq
        }
        let notRetained: EventReplayRange?
        if let firstFound {
            notRetained = firstFound > range.from ? EventReplayRange(from: range.from, through: firstFound - 1) : nil
        } else {
            notRetained = EventReplayRange(from: range.from, through: upper)
        }
        let retainedCount = upper - range.from + 1 - (notRetained?.count ?? 0)
        return EventReplayReport(
            range: range,
            replayed: found,
            notRetained: notRetained,
            beyondNewest: beyond,
            unreadable: retainedCount - found
        )
    }

    /// The stored events after `after`, up to `upper` (durable, so this never waits), a batch at most.
    private func read(after: UInt64, upTo upper: UInt64) async throws(CommandFailure) -> [StoredEvent] {
        do {
            return try await log.storedEvents(after: after, limit: min(batchSize, Int(upper - after))).filter {
                $0.event.seq <= upper
            }
        } catch {
            throw CommandFailure(code: "outbox-error", detail: "cannot read the outbox after seq \(after): \(error)")
        }
    }

    /// Publishes the events of `range` a batch at a time, waiting on the window like live events, then logs once
    /// the broker has them all and frees the replay slot.
    private func publish(_ range: EventReplayRange, report: EventReplayReport) async {
        defer { replaying = false }
        var receipts: [MQTTPublishReceipt] = []
        var after = range.from - 1
        while after < range.through {
            guard let events = try? await read(after: after, upTo: range.through), let last = events.last else { break }
            after = last.event.seq
            for event in events {
                let message = eventMessage(event)
                do {
                    receipts.append(try await client.publish(message))
                } catch .stopped {
                    return
                } catch {
                    // Not publishable at all (the live publisher reported it when it was first sent).
                    continue
                }
            }
        }
        for receipt in receipts {
            guard (try? await client.waitForAcknowledgement(receipt)) != nil else { return }
        }
        logger.notice("events replayed", ["range": "\(report.range)", "replayed": "\(receipts.count)", "uplink": name])
    }

    /// `event` as published: on `.../events/{type}`, at QoS 1, its stored JSON byte for byte (live and replayed alike).
    /// The PUBLISH of a stored event: its wire JSON as the outbox stored it, on `…/events/<type>`.
    func eventMessage(_ stored: StoredEvent) -> MQTTMessage {
        MQTTMessage(
            topic: eventTopicPrefix + stored.event.type.rawValue,
            payload: stored.json,
            qos: .atLeastOnce
        )
    }

    private static var busyFailure: CommandFailure {
        CommandFailure(
            code: "replay-busy",
            detail: "another events.replay is running on this controller until the broker has all of it; ask again a "
                + "little later"
        )
    }

    private static var stoppedFailure: CommandFailure {
        CommandFailure(
            code: "uplink-stopped",
            detail: "the MQTT uplink is stopping; ask again once the controller is back online"
        )
    }
}

import Events

extension MQTTUplink: EventReplayer {
    /// Re-publishes the stored events of `range` (`events.replay`, gap repair) on their usual topics at QoS 1,
    /// each payload byte for byte as first published (same `id` and `seq`, so consumers drop what they already
    /// have), and returns once the broker has acknowledged every one.
    ///
    /// The replay leaves the delivery cursor alone: its publishes share the client's in-flight window with the live
    /// ones (which interleave with them, in order among themselves) but not the acknowledgement bookkeeping.
    /// Seqs after the newest durable event are reported as `beyondNewest`, seqs older than the outbox's oldest
    /// record as `notRetained`. Events still waiting for their first delivery are replayed too (a consumer then
    /// sees them twice, which it drops by `id`).
    ///
    /// One replay at a time: a second while one runs is refused with `replay-busy` (not queued: the caller knows
    /// best whether it still needs it, and a queue would let one caller hold the uplink for long). Commands from
    /// MQTT are handled one after the other, so only a replay asked for over the control socket meanwhile meets
    /// it. `uplink-offline` while the client is not connected (the replay would only queue), `uplink-stopped` when
    /// the uplink stops first, `outbox-error` when the outbox cannot be read.
    public func replay(_ range: EventReplayRange) async throws(CommandFailure) -> EventReplayReport {
        guard !replaying else { throw Self.busyFailure }
        guard !stopping else { throw Self.stoppedFailure(acknowledged: 0, of: range.count) }
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
        defer { replaying = false }
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

        var receipts: [MQTTPublishReceipt] = []
        var firstFound: UInt64?
        var after = range.from - 1
        reading: while after < upper {
            let events: [Event]
            do {
                // Never waits: `upper` is durable, so there is an event after `after`.
                events = try await log.events(after: after, limit: min(batchSize, Int(upper - after)))
            } catch {
                throw CommandFailure(
                    code: "outbox-error",
                    detail: "cannot read the outbox after seq \(after): \(error)"
                )
            }
            guard !events.isEmpty else { break }
            for event in events {
                guard event.seq <= upper else { break reading }
                if firstFound == nil { firstFound = event.seq }
                after = event.seq
                let message = MQTTMessage(
                    topic: "\(topicPrefix)/events/\(event.type.rawValue)",
                    payload: event.jsonBytes,
                    qos: .atLeastOnce
                )
                do {
                    receipts.append(try await client.publish(message))
                } catch .stopped {
                    throw Self.stoppedFailure(acknowledged: 0, of: range.count)
                } catch {
                    // Not publishable at all (the live publisher reported it): counted as unreadable below.
                    continue
                }
            }
        }
        for (index, receipt) in receipts.enumerated() {
            do {
                try await client.waitForAcknowledgement(receipt)
            } catch {
                throw Self.stoppedFailure(acknowledged: UInt64(index), of: range.count)
            }
        }
        let notRetained: EventReplayRange?
        if let firstFound {
            notRetained = firstFound > range.from ? EventReplayRange(from: range.from, through: firstFound - 1) : nil
        } else {
            notRetained = EventReplayRange(from: range.from, through: upper)
        }
        let replayed = UInt64(receipts.count)
        let retained = upper - range.from + 1 - (notRetained?.count ?? 0)
        logger.notice(
            "events replayed",
            ["range": "\(range)", "replayed": "\(replayed)", "uplink": name]
        )
        return EventReplayReport(
            range: range,
            replayed: replayed,
            notRetained: notRetained,
            beyondNewest: beyond,
            unreadable: retained - replayed
        )
    }

    private static var busyFailure: CommandFailure {
        CommandFailure(
            code: "replay-busy",
            detail: "another events.replay is running on this controller; ask again once its result arrived"
        )
    }

    private static func stoppedFailure(acknowledged: UInt64, of count: UInt64) -> CommandFailure {
        CommandFailure(
            code: "uplink-stopped",
            detail: "the MQTT uplink stopped during events.replay (\(acknowledged) of \(count) acknowledged); ask "
                + "again once the controller is back online"
        )
    }
}

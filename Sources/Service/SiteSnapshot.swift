import Devices
import Events
import Glibc
import Outbox
import Uplink

/// Everything `/metrics` and the status page show, read from a running site at one moment: a value, so the
/// renderers are pure functions that tests feed directly.
public struct SiteSnapshot: Sendable {
    /// One device as the hub sees it.
    public struct Device: Sendable, Equatable {
        public var id: String
        public var kind: String
        public var state: String
        public var detail: String
        public var events: Int
        public var faults: Int
    }

    /// One locker bank's doors (never a pickup code: `DoorStatus` holds only whether an order is assigned).
    public struct Locker: Sendable, Equatable {
        public var id: String
        public var doors: [DoorStatus]
        /// Why the doors could not be read, when they could not.
        public var error: String?
    }

    /// One uplink's connection, lag and latency.
    public struct Uplink: Sendable, Equatable {
        public var name: String
        public var state: String
        public var connected: Bool
        /// Events the outbox holds that this uplink has not acknowledged.
        public var lag: UInt64
        public var lastError: String?
        /// Publish-to-acknowledgement latency (MQTT: to the PUBACK; webhook: each delivering POST); nil where it is
        /// not measured.
        public var publishLatency: LatencyHistogram?
    }

    public var site: String
    public var controller: String
    public var version: String
    public var hardware: String
    public var started: EventTime
    public var now: EventTime
    public var devices: [Device]
    public var lockers: [Locker]
    public var pickToLight: [PickToLightStatus]
    public var outbox: OutboxStatus
    public var fsyncLatency: LatencyHistogram
    public var uplinks: [Uplink]
    public var tally: EventTally.Snapshot
    public var refusedEvents: Int
    public var process: ProcessMetrics?

    /// The oldest undelivered event's age in seconds; 0 when nothing waits.
    public var oldestUndeliveredAgeSeconds: Double {
        guard let oldest = outbox.oldestUndeliveredTime else { return 0 }
        return max(0, Double(now.millisecondsSinceEpoch - oldest.millisecondsSinceEpoch) / 1000)
    }
}

extension Site {
    /// Reads the site's state now.
    public func snapshot() async -> SiteSnapshot {
        let outboxStatus = await outbox.status
        let head = outboxStatus.lastSeq
        var uplinks: [SiteSnapshot.Uplink] = []
        if let mqtt {
            let status = await mqtt.status()
            uplinks.append(
                SiteSnapshot.Uplink(
                    name: "mqtt",
                    state: status.state.rawValue,
                    connected: status.isConnected,
                    lag: status.lag(outboxHead: head),
                    lastError: status.lastError,
                    publishLatency: await mqtt.publishLatency
                )
            )
        }
        if let webhook {
            let status = await webhook.status
            uplinks.append(
                SiteSnapshot.Uplink(
                    name: "webhook",
                    state: status.state.rawValue,
                    connected: status.state == .connected,
                    lag: head &- min(head, status.acknowledgedSeq),
                    lastError: status.lastError,
                    publishLatency: await webhook.publishLatency
                )
            )
        }
        var lockers: [SiteSnapshot.Locker] = []
        var pickToLight: [PickToLightStatus] = []
        for device in configuration.devices {
            switch device {
            case .lockerBank(let settings):
                guard let bank = registry.lockerBank(settings.id) else {
                    lockers.append(SiteSnapshot.Locker(id: settings.id, doors: [], error: "not running"))
                    continue
                }
                do throws(LockerError) {
                    lockers.append(SiteSnapshot.Locker(id: settings.id, doors: try await bank.status(), error: nil))
                } catch {
                    lockers.append(SiteSnapshot.Locker(id: settings.id, doors: [], error: "\(error)"))
                }
            case .pickToLight(let settings):
                if let module = registry.pickToLight(settings.id) { pickToLight.append(await module.status()) }
            default:
                break
            }
        }
        return SiteSnapshot(
            site: configuration.site,
            controller: configuration.controller,
            version: FloorlinkVersion.current,
            hardware: configuration.hardware.rawValue,
            started: started,
            now: EventTime.now(),
            devices: configuration.devices.map { device in
                let state = hub.state(of: device.id)
                return SiteSnapshot.Device(
                    id: device.id,
                    kind: device.kind,
                    state: state.state,
                    detail: state.detail,
                    events: state.events,
                    faults: state.faults
                )
            },
            lockers: lockers,
            pickToLight: pickToLight,
            outbox: outboxStatus,
            fsyncLatency: await outbox.fsyncLatency,
            uplinks: uplinks,
            tally: hub.tally.snapshot,
            refusedEvents: hub.refusedCount,
            process: ProcessMetrics.read()
        )
    }
}

import Events
import Locking
import Outbox

/// The `EventSink` every driver reports to: stamps and stores each event in the outbox (`emit` returns once it
/// is durable, `submit` at once with a receipt), keeps per-device state and counters for `floorctl status`, and
/// logs what a technician should see.
/// An event the outbox refuses (disk quota full) is counted and logged loudly, never dropped silently.
public final class EventHub: EventSink {
    /// What the hub knows about one device from its events.
    public struct DeviceState: Sendable, Hashable {
        public var state: String = "starting"
        public var detail: String = ""
        public var events: Int = 0
        public var faults: Int = 0
    }

    private let outbox: Outbox
    private let logger: Logger
    private let states = Locked<[String: DeviceState]>([:])
    private let refusals = Locked(0)
    /// Counts by type, device, fault reason and command result, and the recent events.
    public let tally = EventTally()

    public init(outbox: Outbox, logger: Logger) {
        self.outbox = outbox
        self.logger = logger
    }

    /// Stores the event in the outbox and waits until it is durable; false (counted and logged at error) when
    /// the outbox refused or lost it.
    @discardableResult
    public func emit(_ type: EventType, device: String, data: JSONValue) async -> Bool {
        guard let ticket = await enqueue(type, device: device, data: data) else { return false }
        return await waitUntilStored(ticket, type, device: device)
    }

    /// Writes the event to the outbox and returns before its sync; the receipt answers once the group commit
    /// covering it has run. A refusal or a lost sync is counted and logged at error once, whether or not anyone
    /// waits on the receipt.
    public func submit(_ type: EventType, device: String, data: JSONValue) async -> EventReceipt {
        guard let ticket = await enqueue(type, device: device, data: data) else { return .settled(false) }
        // Told by the group commit itself: no task per event waits for the sync just to log a loss.
        ticket.whenResolved { [self] result in
            if case .failure(let error) = result { refused(type, device: device, error: error) }
        }
        return EventReceipt { (try? await ticket.wait()) != nil }
    }

    /// Writes the event and records it, or counts and logs the refusal (nil).
    private func enqueue(_ type: EventType, device: String, data: JSONValue) async -> DurabilityTicket? {
        do throws(OutboxError) {
            let (event, ticket) = try await outbox.enqueueFromLoop(type, device: device, data: data)
            record(event)
            return ticket
        } catch {
            refused(type, device: device, error: error)
            return nil
        }
    }

    private func waitUntilStored(_ ticket: DurabilityTicket, _ type: EventType, device: String) async -> Bool {
        do throws(OutboxError) {
            try await ticket.wait()
            return true
        } catch {
            refused(type, device: device, error: error)
            return false
        }
    }

    private func refused(_ type: EventType, device: String, error: OutboxError) {
        let count = refusals.withLock { count -> Int in
            count += 1
            return count
        }
        logger.error(
            "event refused by the outbox",
            ["type": type.rawValue, "device": device, "error": error.description, "refused": "\(count)"]
        )
    }

    private func record(_ event: Event) {
        tally.record(event)
        states.withLock { states in
            // In place: one lookup of the device, and its state is not copied out and back.
            Self.update(&states[event.device, default: DeviceState()], with: event)
        }
        switch event.type {
        case .deviceFault, .deviceDisconnected, .lockerDoorForced, .lockerCodeRejected, .lockerKeypadBlocked:
            logger.warning(
                event.type.rawValue,
                ["device": event.device, "seq": "\(event.seq)", "data": event.data.redactedForLog]
            )
        case .deviceConnected, .controllerStarted, .controllerStopping, .lockerDoorLeftOpen:
            logger.notice(event.type.rawValue, ["device": event.device, "seq": "\(event.seq)"])
        default:
            logger.debug(
                event.type.rawValue,
                ["device": event.device, "seq": "\(event.seq)", "data": event.data.redactedForLog]
            )
        }
    }

    private static func update(_ state: inout DeviceState, with event: Event) {
        state.events += 1
        switch event.type {
        case .deviceConnected:
            state.state = "connected"
            state.detail = event.data["port"]?.stringValue ?? ""
        case .deviceDisconnected:
            state.state = "disconnected"
            state.detail = event.data["reason"]?.stringValue ?? ""
        case .deviceFault:
            state.faults += 1
            state.detail = event.data["reason"]?.stringValue ?? ""
        default:
            if state.state == "starting" { state.state = "running" }
        }
    }

    /// Marks a device's state directly (e.g. `running` once a GPIO device has its lines).
    public func setState(_ device: String, _ state: String, detail: String = "") {
        states.withLock { states in
            states[device, default: DeviceState()].state = state
            states[device, default: DeviceState()].detail = detail
        }
    }

    public func state(of device: String) -> DeviceState {
        states.withLock { $0[device] ?? DeviceState() }
    }

    /// Events the outbox refused since start.
    public var refusedCount: Int { refusals.withLock { $0 } }
}

extension JSONValue {
    /// The data as text for a log line, short.
    var redactedForLog: String {
        let text = jsonText
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}

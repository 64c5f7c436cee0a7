import Devices
import Events
import HAL

/// The events among `actions`, as (type, data).
func emitted(_ actions: [LockerAction]) -> [(type: EventType, data: JSONValue)] {
    actions.compactMap { action in
        if case .emit(let type, let data) = action { return (type, data) }
        return nil
    }
}

/// The event types among `actions`, in order.
func eventTypes(_ actions: [LockerAction]) -> [EventType] {
    emitted(actions).map(\.type)
}

/// The lock writes among `actions`, in order.
func lockWrites(_ actions: [LockerAction]) -> [LockerAction] {
    actions.filter { action in
        if case .emit = action { return false }
        return true
    }
}

/// A bank of `doors` with test-friendly defaults: 500 ms pulse, 2 s hard limit, 2 at once, 60 s left-open,
/// 50 ms debounce, 5 s grace, the default 10 000-iteration code hash (about 3 ms per hash).
func lockerConfiguration(
    doors: [String] = ["A1", "A2", "A3", "A4"],
    codeTTL: Duration = .seconds(7 * 24 * 3600),
    debounce: Duration = .milliseconds(50)
) -> LockerBankConfiguration {
    LockerBankConfiguration(
        id: "lockers-A",
        doors: doors,
        pulse: .milliseconds(500),
        maxPulse: .seconds(2),
        maxConcurrentUnlocks: 2,
        leftOpenAfter: .seconds(60),
        debounce: debounce,
        grace: .seconds(5),
        codeTTL: codeTTL
    )
}

extension LockerBankState {
    /// Feeds a raw door-sensor level of `door` seen `ms` milliseconds after the origin.
    mutating func door(_ door: String, open: Bool, ms: Int) {
        signal(DoorSignal(door: door, kind: .sensor, value: open, time: at(ms: ms)))
    }
}

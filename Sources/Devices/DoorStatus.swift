/// One door as `floorctl locker status` shows it: lock, sensor and order state at one moment.
public struct DoorStatus: Hashable, Sendable, CustomStringConvertible {
    /// The door's configured id.
    public var door: String
    /// Whether the lock is energised (released) right now.
    public var energised: Bool
    /// Whether an unlock is waiting for a free slot (`maxConcurrentUnlocks`).
    public var unlockQueued: Bool
    /// The debounced door sensor: `true` when the door is open.
    public var open: Bool
    /// The debounced occupancy sensor, nil when the door has none.
    public var occupied: Bool?
    /// The order the door is reserved for, if any.
    public var order: String?
    /// Whether that order has been put in the compartment.
    public var deposited: Bool

    /// The lock is holding: not energised.
    public var locked: Bool { !energised }

    /// Describes one door's state.
    public init(
        door: String,
        energised: Bool,
        unlockQueued: Bool,
        open: Bool,
        occupied: Bool?,
        order: String?,
        deposited: Bool
    ) {
        self.door = door
        self.energised = energised
        self.unlockQueued = unlockQueued
        self.open = open
        self.occupied = occupied
        self.order = order
        self.deposited = deposited
    }

    public var description: String {
        var parts = [door, energised ? "unlocked" : "locked", open ? "open" : "closed"]
        if unlockQueued { parts.append("unlock-queued") }
        if let occupied { parts.append(occupied ? "occupied" : "empty") }
        if let order { parts.append("order \(order)" + (deposited ? " deposited" : " awaiting deposit")) }
        return parts.joined(separator: " ")
    }
}

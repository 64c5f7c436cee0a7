/// A stable, dotted event type name (`scan`, `locker.door.opened`, …): the MQTT topic suffix and the `type` field.
///
/// Every type declared here has an entry with the JSON Schema of its `data` in `EventType.coreSchemas` (a type
/// declared in another module, in that module's table, e.g. `outboxSchemas`): `floorctl schema` prints them, and
/// `ContractSchemaTests` fails for a declared type without one.
public struct EventType: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public var description: String { rawValue }

    public static let scan: EventType = "scan"
    public static let tagRead: EventType = "tag.read"
    public static let lockerUnlocked: EventType = "locker.unlocked"
    public static let lockerDoorOpened: EventType = "locker.door.opened"
    public static let lockerDoorClosed: EventType = "locker.door.closed"
    public static let lockerDoorForced: EventType = "locker.door.forced"
    public static let lockerDoorLeftOpen: EventType = "locker.door.left-open"
    public static let lockerDeposited: EventType = "locker.deposited"
    public static let lockerCollected: EventType = "locker.collected"
    public static let lockerCodeRejected: EventType = "locker.code.rejected"
    public static let lockerKeypadBlocked: EventType = "locker.keypad.blocked"
    public static let ptlLit: EventType = "ptl.lit"
    public static let ptlConfirmed: EventType = "ptl.confirmed"
    public static let ptlShortage: EventType = "ptl.shortage"
    public static let deviceConnected: EventType = "device.connected"
    public static let deviceDisconnected: EventType = "device.disconnected"
    public static let deviceFault: EventType = "device.fault"
    public static let controllerStarted: EventType = "controller.started"
    public static let controllerStopping: EventType = "controller.stopping"
    public static let commandResult: EventType = "command.result"
}

import Events

/// What the locker state machine asks its shell to do, in order.
public enum LockerAction: Hashable, Sendable, CustomStringConvertible {
    /// Drive the door's lock output active (release the lock).
    case energise(String)
    /// Drive the door's lock output inactive (lock).
    case deenergise(String)
    /// Report an event with its `data` object.
    case emit(EventType, JSONValue)

    public var description: String {
        switch self {
        case .energise(let door): return "energise \(door)"
        case .deenergise(let door): return "de-energise \(door)"
        case .emit(let type, let data): return "emit \(type) \(data.jsonText)"
        }
    }
}

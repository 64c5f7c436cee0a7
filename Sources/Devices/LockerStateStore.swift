/// Where a locker bank keeps its records between runs; the bank stores every change before acknowledging it.
public protocol LockerStateStore: Sendable {
    /// The stored records; empty ones when nothing was ever stored. Throws `stateUnreadable` for a damaged store.
    func load() throws(LockerError) -> LockerRecords
    /// Stores `records` durably, replacing what was stored; throws `stateNotStored` when it could not.
    func save(_ records: LockerRecords) throws(LockerError)
}

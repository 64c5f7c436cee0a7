/// Where a locker bank keeps its records between runs; the bank stores every change before acknowledging it.
public protocol LockerStateStore: Sendable {
    /// The stored records; empty ones when nothing was ever stored. Throws `stateUnreadable` for a damaged store.
    func load() throws(LockerError) -> LockerRecords
    /// Stores `records` durably, replacing what was stored; throws `stateNotStored` when it could not. The wait
    /// for the disk must not block the caller's thread (the bank's task may run on the I/O loop).
    func save(_ records: LockerRecords) async throws(LockerError)
}

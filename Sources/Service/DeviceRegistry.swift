import Devices
import Locking

/// The running devices by id, for commands, the control socket and the simulator. A GPIO device whose lines
/// could not be requested is absent until its supervisor gets them.
public final class DeviceRegistry: Sendable {
    /// A running device.
    public enum Handle: Sendable {
        case scanner(BarcodeScanner)
        case rfidReader(RFIDReader<M100Protocol>)
        case lockerBank(LockerBank)
        case pickToLight(PickToLight)
    }

    /// An index entry, not an owner: the service list owns the supervisors, and each supervisor's loop holds
    /// this registry, so a strong reference here would keep a stopped site alive after every reload.
    private struct SupervisorReference {
        weak var supervisor: DeviceSupervisor?
    }

    private let handles = Locked<[String: Handle]>([:])
    private let buses = Locked<[String: LockBus]>([:])
    private let supervisors = Locked<[String: SupervisorReference]>([:])

    public init() {}

    public func register(_ id: String, _ handle: Handle) {
        handles.withLock { $0[id] = handle }
    }

    public func unregister(_ id: String) {
        handles.withLock { $0[id] = nil }
    }

    public func handle(_ id: String) -> Handle? {
        handles.withLock { $0[id] }
    }

    public func lockerBank(_ id: String) -> LockerBank? {
        if case .lockerBank(let bank) = handle(id) { return bank }
        return nil
    }

    /// Records the bus `id` (buses live as long as the site; their supervisors keep them running).
    public func registerBus(_ id: String, _ bus: LockBus) {
        buses.withLock { $0[id] = bus }
    }

    /// The bus `id`, if the site has one.
    public func bus(_ id: String) -> LockBus? {
        buses.withLock { $0[id] }
    }

    public func pickToLight(_ id: String) -> PickToLight? {
        if case .pickToLight(let module) = handle(id) { return module }
        return nil
    }

    func addSupervisor(_ supervisor: DeviceSupervisor) {
        supervisors.withLock { $0[supervisor.name] = SupervisorReference(supervisor: supervisor) }
    }

    /// Restarts a device's loop; false when no such device is configured.
    public func restart(_ id: String) -> Bool {
        guard let supervisor = supervisors.withLock({ $0[id]?.supervisor }) else { return false }
        supervisor.restart()
        return true
    }
}

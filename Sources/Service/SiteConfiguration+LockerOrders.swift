import Devices

extension SiteConfiguration {
    /// Where the locker banks keep their state files (`LOCKER.state`): `lockers/` in the data directory.
    public var lockerStateDirectory: String { dataDirectory + "/lockers" }

    /// Refuses a configuration that would leave stored locker orders behind: a door, or a whole bank, that holds
    /// an order and is no longer configured. Names each (locker, door, order); the way out is to release the
    /// order (`locker.release`) under the old configuration, or to keep the door. A state file that cannot be
    /// read is left to its bank, which reports it.
    public func checkStoredLockerOrders() throws(ConfigError) {
        var configured: [String: (index: Int, doors: Set<String>)] = [:]
        for (index, device) in devices.enumerated() {
            if case .lockerBank(let bank) = device { configured[bank.id] = (index, Set(bank.doorIDs)) }
        }
        var stranded: [String] = []
        var path = "devices"
        for locker in LockerStateFile.lockers(in: lockerStateDirectory) {
            guard let orders = try? LockerStateFile.storedOrders(directory: lockerStateDirectory, locker: locker)
            else { continue }
            for (door, order) in orders where configured[locker]?.doors.contains(door) != true {
                stranded.append("locker \(locker) door \(door) holds order \(order)")
                if stranded.count == 1, let bank = configured[locker] { path = "devices[\(bank.index)].doors" }
            }
        }
        guard !stranded.isEmpty else { return }
        throw ConfigError(
            file: String(sourcePath.split(separator: "/").last ?? Substring(sourcePath)),
            path: path,
            message: stranded.joined(separator: "; ")
                + " but the config no longer has that door; release the order first (locker.release) or keep the "
                + "door (orders are stored in \(lockerStateDirectory))"
        )
    }
}

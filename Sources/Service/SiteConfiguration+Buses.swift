import Devices
import Events
import Glibc
import HAL

/// The `buses` section and the doors addressed on a bus: `{"bus": "rs485-1", "board": 1, "channel": 5}`.
extension SiteConfigurationLoader {
    /// The protocols a bus may speak.
    static let busProtocols = ["cu16", "modbus-rtu"]

    /// Reads `buses` (before the devices, whose doors name them).
    mutating func loadBuses(_ root: inout ConfigObject) throws(ConfigError) {
        for (path, value) in try root.array("buses") {
            var object = try ConfigObject(value, file: file, path: path)
            let id = try object.string("id")
            if let other = buses[id] {
                throw object.error("id", "duplicate bus id \"\(id)\" (also \(other.path))")
            }
            let port = try object.string("port")
            if let other = buses.values.first(where: { $0.port == port }) {
                throw object.error("port", "\(port) is already the port of bus \(other.id) (\(other.path))")
            }
            let protocolName = try object.string("protocol")
            guard Self.busProtocols.contains(protocolName) else {
                throw object.error(
                    "protocol",
                    "\"\(protocolName)\" is not a board protocol, expected \"cu16\" or \"modbus-rtu\""
                )
            }
            let profileName = try object.optionalString("profile")
            let profile = try loadProfile(profileName, protocol: protocolName, object: &object)
            let serial = try loadSerial(&object, defaultBaud: profile.baud)
            let pollMs = try object.int("pollMs", in: 20...10_000, default: 200)
            let timeoutMs = try object.int("timeoutMs", in: 10...5_000, default: 100)
            let retries = try object.int("retries", in: 0...10, default: 2)
            var boards: [LockBoardSettings] = []
            for (boardPath, boardValue) in try object.array("boards") {
                var board = try ConfigObject(boardValue, file: file, path: boardPath)
                let address = try boardAddress(&board, "address", protocol: profile.boardProtocol)
                if boards.contains(where: { $0.address == address }) {
                    throw board.error("address", "board \(address) is listed twice on bus \(id)")
                }
                boards.append(
                    LockBoardSettings(
                        address: address,
                        timeout: .milliseconds(try board.int("timeoutMs", in: 10...5_000, default: timeoutMs)),
                        retries: try board.int("retries", in: 0...10, default: retries)
                    )
                )
                try board.finish()
            }
            try object.finish()
            buses[id] = BusSettings(
                id: id,
                port: port,
                serial: serial,
                protocolName: protocolName,
                profileName: profileName,
                boardProtocol: profile.boardProtocol,
                pollInterval: .milliseconds(pollMs),
                boards: boards,
                path: path
            )
            busOrder.append(id)
            busDefaults[id] = LockBoardSettings(address: 0, timeout: .milliseconds(timeoutMs), retries: retries)
        }
    }

    /// A door on a bus, inside a locker bank's `doors`: its bus, board and channel, each checked.
    mutating func loadBusDoor(
        _ door: inout ConfigObject,
        id: String,
        bank: String
    ) throws(ConfigError)
        -> BusDoorSettings
    {
        let busID = try door.string("bus")
        guard let bus = buses[busID] else {
            let known = busOrder.isEmpty ? "no buses are configured" : "buses are " + busOrder.joined(separator: ", ")
            throw door.error("bus", "no bus \"\(busID)\"; \(known)")
        }
        if let owner = busBanks[busID], owner != bank {
            throw door.error(
                "bus",
                "bus \(busID) already drives locker bank \(owner); one bus serves one bank, so that "
                    + "maxConcurrentUnlocks holds for the bus (give the other bank its own bus)"
            )
        }
        let board = try boardAddress(&door, "board", protocol: bus.boardProtocol)
        let channels = bus.boardProtocol.channelCount
        let channel = try door.int("channel", in: 1...channels)
        let key = "\(busID)/\(board)/\(channel)"
        if let other = claimedBusChannels[key] {
            throw door.error("channel", "bus \(busID) board \(board) channel \(channel) is already used by \(other)")
        }
        claimedBusChannels[key] = door.path
        busBanks[busID] = bank
        if !(buses[busID]?.boards.contains { $0.address == board } ?? true) {
            var settings = busDefaults[busID] ?? LockBoardSettings(address: board)
            settings.address = board
            buses[busID]?.boards.append(settings)
        }
        return BusDoorSettings(id: id, bus: busID, board: Int(board), channel: channel)
    }

    /// Checks a bank on boards that time their own pulse (CU16): their pulse must fit under `maxPulseMs`, and the
    /// bank must count a lock energised for at least as long as the board drives it (`maxConcurrentUnlocks`).
    func checkBoardPulse(
        _ object: inout ConfigObject,
        doors: [BusDoorSettings],
        pulseMs: Int,
        maxPulseMs: Int
    ) throws(ConfigError) {
        for busID in Set(doors.map(\.bus)).sorted() {
            guard let bus = buses[busID], let boardPulse = bus.boardProtocol.boardPulse else { continue }
            let boardMs = Int(boardPulse.wholeMilliseconds)
            let source = bus.profileName.map { "profile \($0)" } ?? "the \(bus.protocolName) default"
            if boardMs > maxPulseMs {
                throw object.error(
                    "maxPulseMs",
                    "the \(bus.protocolName) boards on bus \(busID) hold a lock released for \(boardMs) ms themselves "
                        + "(\(source)), longer than maxPulseMs \(maxPulseMs); set the boards' unlock time lower or "
                        + "raise maxPulseMs"
                )
            }
            if pulseMs < boardMs {
                throw object.error(
                    "pulseMs",
                    "\(pulseMs) is shorter than the \(boardMs) ms the \(bus.protocolName) boards on bus \(busID) hold "
                        + "a lock released themselves (\(source)); set pulseMs to at least \(boardMs) so that "
                        + "maxConcurrentUnlocks counts the lock as long as it is energised"
                )
            }
        }
    }

    /// Refuses a bus whose id or port another device already has.
    func checkBusesAgainstDevices(
        _ devices: [DeviceConfiguration],
        elements: [(path: String, value: JSONValue)]
    )
        throws(ConfigError)
    {
        for id in busOrder {
            guard let bus = buses[id] else { continue }
            for (index, device) in devices.enumerated() {
                if device.id == id {
                    throw ConfigError(
                        file: file,
                        path: bus.path + ".id",
                        message: "\"\(id)\" is also the id of \(elements[index].path); events need one id per device"
                    )
                }
                let port: String? =
                    switch device {
                    case .barcodeScanner(let settings): settings.port
                    case .rfidReader(let settings): settings.port
                    case .lockerBank, .pickToLight: nil
                    }
                if port == bus.port {
                    throw ConfigError(
                        file: file,
                        path: bus.path + ".port",
                        message: "\(bus.port) is also the port of \(elements[index].path)"
                    )
                }
            }
        }
    }

    /// The buses in config order, each with its boards sorted by address.
    var loadedBuses: [BusSettings] {
        busOrder.compactMap { id in
            guard var bus = buses[id] else { return nil }
            bus.boards.sort { $0.address < $1.address }
            return bus
        }
    }

    private func boardAddress(
        _ object: inout ConfigObject,
        _ key: String,
        protocol boardProtocol: any LockBoardProtocol
    ) throws(ConfigError) -> UInt8 {
        let range = boardProtocol.addresses
        guard let value = object.value(key) else { throw object.error(key, "required, missing") }
        guard let number = value.intValue, let address = Int(exactly: number) else {
            throw object.error(key, "expected a board address, found \(value.kindName)")
        }
        guard range.contains(address) else {
            throw object.error(
                key,
                "\(address) is not a \(boardProtocol.name) board address, expected \(range.lowerBound)...\(range.upperBound)"
            )
        }
        return UInt8(address)
    }

    // MARK: Profiles

    private struct Profile {
        var boardProtocol: any LockBoardProtocol
        var baud: Int
    }

    /// The named `hal/devices` profile (or the protocol's defaults), checked against the bus's protocol.
    private func loadProfile(
        _ name: String?,
        protocol protocolName: String,
        object: inout ConfigObject
    ) throws(ConfigError) -> Profile {
        guard let name else {
            return protocolName == "cu16"
                ? Profile(boardProtocol: CU16BoardProtocol(), baud: 19_200)
                : Profile(boardProtocol: ModbusBoardProtocol(), baud: 9600)
        }
        let path: String
        do {
            path = try hal.file(.deviceProfile, named: name)
        } catch {
            throw object.error("profile", "profile \"\(name)\": \(error.message)")
        }
        let profileFile = String(path.split(separator: "/").last ?? Substring(path))
        var profile = try ConfigObject(try ConfigFile.readJSON(path: path), file: profileFile, path: "")
        for key in ["profile", "description", "sources", "wiringNotes", "verified", "notes", "frame"] {
            _ = profile.value(key)
        }
        let kind = try profile.string("kind")
        guard kind == "lock-board" else { throw profile.error("kind", "\"\(kind)\", expected \"lock-board\"") }
        let declared = try profile.string("protocol")
        guard declared == protocolName else {
            throw object.error("profile", "profile \(name) is for protocol \(declared), not \(protocolName)")
        }
        let sensorOpenWhenSet = try profile.bool("sensorOpenWhenSet", default: true)
        let lockReleasedWhenSet = try profile.bool("lockReleasedWhenSet", default: true)
        let boardProtocol: any LockBoardProtocol
        let baud: Int
        if protocolName == "cu16" {
            baud = try profile.int("baud", in: 1200...921_600, default: 19_200)
            _ = try profile.int("channels", in: 16...16, default: 16)
            boardProtocol = CU16BoardProtocol(
                sensorOpenWhenSet: sensorOpenWhenSet,
                lockReleasedWhenSet: lockReleasedWhenSet,
                boardPulse: .milliseconds(try profile.int("boardPulseMs", in: 10...10_000, default: 500)),
                unlockReplies: try profile.bool("unlockReplies", default: false)
            )
        } else {
            baud = try profile.int("baud", in: 1200...921_600, default: 9600)
            let lockWriteText = try profile.optionalString("lockWrite") ?? "single-coil"
            guard let lockWrite = ModbusBoardProtocol.LockWrite(rawValue: lockWriteText) else {
                throw profile.error("lockWrite", "\"\(lockWriteText)\", expected \"single-coil\" or \"multiple-coils\"")
            }
            let sensorReadText = try profile.optionalString("sensorRead") ?? "discrete-inputs"
            guard let sensorRead = ModbusBoardProtocol.SensorRead(rawValue: sensorReadText) else {
                throw profile.error(
                    "sensorRead",
                    "\"\(sensorReadText)\", expected \"discrete-inputs\" or \"input-registers\""
                )
            }
            boardProtocol = ModbusBoardProtocol(
                channelCount: try profile.int("channels", in: 1...64, default: 16),
                firstCoil: UInt16(try profile.int("firstCoil", in: 0...65_535, default: 0)),
                firstInput: UInt16(try profile.int("firstInput", in: 0...65_535, default: 0)),
                lockWrite: lockWrite,
                sensorRead: sensorRead,
                sensorOpenWhenSet: sensorOpenWhenSet,
                lockReleasedWhenSet: lockReleasedWhenSet
            )
        }
        try profile.finish()
        return Profile(boardProtocol: boardProtocol, baud: baud)
    }
}

import Devices
import Events
import HAL
import Uplink

extension SiteConfiguration {
    /// Loads and validates `path` completely: unknown keys, types, ranges, cross references (a locker's
    /// `codeReader`), pins on the board (its file found through `hal`), pins used twice. The first problem is
    /// thrown with its JSON path.
    public static func load(path: String, hal: HALSearchPath) throws(ConfigError) -> SiteConfiguration {
        let document = try ConfigFile.readJSON(path: path)
        let file = String(path.split(separator: "/").last ?? Substring(path))
        var loader = SiteConfigurationLoader(file: file, hal: hal)
        var configuration = try loader.load(document)
        configuration.sourcePath = path
        return configuration
    }

    /// Parses an already-read document (tests, `--check-config` on stdin).
    public static func parse(
        _ document: JSONValue,
        file: String,
        hal: HALSearchPath
    ) throws(ConfigError)
        -> SiteConfiguration
    {
        var loader = SiteConfigurationLoader(file: file, hal: hal)
        return try loader.load(document)
    }
}

/// The walk over a site config document.
struct SiteConfigurationLoader {
    let file: String
    let hal: HALSearchPath
    var boardMap: BoardPinMap?
    /// Where `boardMap` was read from.
    var boardFile: String?
    var boardName: String?
    /// Pins claimed so far, by chip and offset, with the path that claimed them.
    var claimedPins: [String: String] = [:]
    /// Buses read so far by id, their ids in config order, and the timeout and retries a board gets by default.
    var buses: [String: BusSettings] = [:]
    var busOrder: [String] = []
    var busDefaults: [String: LockBoardSettings] = [:]
    /// Bus channels claimed so far (`bus/board/channel`) with the door path that claimed them.
    var claimedBusChannels: [String: String] = [:]
    /// The locker bank each bus serves.
    var busBanks: [String: String] = [:]

    init(file: String, hal: HALSearchPath) {
        self.file = file
        self.hal = hal
    }

    mutating func load(_ document: JSONValue) throws(ConfigError) -> SiteConfiguration {
        var root = try ConfigObject(document, file: file, path: "")
        let example = try root.optionalString("example")
        let site = try root.string("site")
        let controller = try root.string("controller")
        let hardwareText = try root.string("hardware")
        guard let hardware = SiteConfiguration.Hardware(rawValue: hardwareText) else {
            throw root.error(
                "hardware",
                "\"\(hardwareText)\" is not a hardware kind, expected \"linux\" or \"simulated\""
            )
        }
        let simulatedTraffic = try root.bool("simulatedTraffic", default: hardware == .simulated)
        if simulatedTraffic && hardware != .simulated {
            throw root.error("simulatedTraffic", "applies only to \"hardware\": \"simulated\"")
        }
        boardName = try root.optionalString("board")
        let dataDirectory = try root.optionalString("dataDir") ?? "/var/lib/floorlink"

        try loadBuses(&root)
        let deviceElements = try root.array("devices")
        if root.value("devices") == nil { throw root.error("devices", "required, missing") }
        var devices: [DeviceConfiguration] = []
        var seen: [String: String] = [:]
        for (path, value) in deviceElements {
            let device = try loadDevice(value, path: path)
            if let first = seen[device.id] {
                throw ConfigError(
                    file: file,
                    path: path + ".id",
                    message: "duplicate device id \"\(device.id)\" (also \(first))"
                )
            }
            seen[device.id] = path
            devices.append(device)
        }
        try checkCodeReaders(devices, elements: deviceElements)
        try checkBusesAgainstDevices(devices, elements: deviceElements)

        var mqtt: MQTTSettings?
        var webhook: WebhookSettings?
        if var uplinks = try root.object("uplinks") {
            if var object = try uplinks.object("mqtt") { mqtt = try loadMQTT(&object, controller: controller) }
            if var object = try uplinks.object("webhook") { webhook = try loadWebhook(&object) }
            try uplinks.finish()
        }
        var controlSocket = "/run/floorlink/control.sock"
        var controlMaxConnections = SiteConfiguration.defaultControlMaxConnections
        if var control = try root.object("control") {
            controlSocket = try control.optionalString("socket") ?? controlSocket
            controlMaxConnections = try control.int(
                "maxConnections",
                in: 1...4096,
                default: SiteConfiguration.defaultControlMaxConnections
            )
            try control.finish()
        }
        var outboxQuotaBytes = SiteConfiguration.defaultOutboxQuotaBytes
        if var outbox = try root.object("outbox") {
            outboxQuotaBytes = try outbox.int(
                "quotaBytes",
                in: SiteConfiguration.outboxQuotaRange,
                default: SiteConfiguration.defaultOutboxQuotaBytes
            )
            try outbox.finish()
        }
        var metrics: MetricsSettings?
        if var object = try root.object("metrics") { metrics = try loadMetrics(&object) }
        try root.finish()
        return SiteConfiguration(
            site: site,
            controller: controller,
            hardware: hardware,
            board: boardName,
            dataDirectory: dataDirectory,
            devices: devices,
            buses: loadedBuses,
            mqtt: mqtt,
            webhook: webhook,
            controlSocket: controlSocket,
            controlMaxConnections: controlMaxConnections,
            outboxQuotaBytes: outboxQuotaBytes,
            sourcePath: file,
            boardFile: boardFile,
            example: example,
            metrics: metrics,
            simulatedTraffic: simulatedTraffic
        )
    }

    private mutating func loadDevice(_ value: JSONValue, path: String) throws(ConfigError) -> DeviceConfiguration {
        var object = try ConfigObject(value, file: file, path: path)
        let id = try object.string("id")
        let kind = try object.string("kind")
        let device: DeviceConfiguration
        switch kind {
        case "barcode-scanner": device = .barcodeScanner(try loadScanner(&object, id: id))
        case "rfid-reader": device = .rfidReader(try loadRFID(&object, id: id))
        case "locker-bank": device = .lockerBank(try loadLockerBank(&object, id: id))
        case "pick-to-light": device = .pickToLight(try loadPickToLight(&object, id: id))
        default:
            throw object.error(
                "kind",
                "unknown device kind \"\(kind)\", expected barcode-scanner, rfid-reader, locker-bank or pick-to-light"
            )
        }
        try object.finish()
        return device
    }

    func loadSerial(_ object: inout ConfigObject, defaultBaud: Int) throws(ConfigError) -> SerialConfiguration {
        let baud = try object.int("baud", in: 1...4_000_000, default: defaultBaud)
        guard SerialConfiguration.supportedBaudRates.contains(baud) else {
            throw object.error(
                "baud",
                "\(baud) is not a supported rate, expected one of "
                    + SerialConfiguration.supportedBaudRates.map(String.init).joined(separator: ", ")
            )
        }
        let dataBits = try object.int("dataBits", in: 5...8, default: 8)
        let parityText = try object.optionalString("parity") ?? "none"
        guard let parity = SerialConfiguration.Parity(rawValue: parityText) else {
            throw object.error("parity", "\"\(parityText)\", expected \"none\", \"odd\" or \"even\"")
        }
        let stopBits = try object.int("stopBits", in: 1...2, default: 1)
        let flowText = try object.optionalString("flowControl") ?? "none"
        guard let flow = SerialConfiguration.FlowControl(rawValue: flowText) else {
            throw object.error("flowControl", "\"\(flowText)\", expected \"none\", \"xon-xoff\" or \"rts-cts\"")
        }
        return SerialConfiguration(
            baud: baud,
            dataBits: dataBits,
            parity: parity,
            stopBits: stopBits,
            flowControl: flow
        )
    }

    private func loadScanner(
        _ object: inout ConfigObject,
        id: String
    ) throws(ConfigError) -> BarcodeScanner.Configuration {
        let port = try object.string("port")
        let serial = try loadSerial(&object, defaultBaud: 9600)
        let terminator = try object.optionalString("terminator") ?? "\r\n"
        let gap = object.value("gapMs") == nil ? nil : try object.int("gapMs", in: 1...10_000)
        let maxFrame = try object.int("maxFrameLength", in: 1...65_536, default: 4096)
        let prefix = Array((try object.optionalString("prefix") ?? "").utf8)
        let suffix = Array((try object.optionalString("suffix") ?? "").utf8)
        let framing: ScannerFramer.Configuration
        do throws(ScannerFramer.ConfigurationError) {
            framing = try ScannerFramer.Configuration(
                terminator: terminator,
                gapMs: gap,
                prefix: prefix,
                suffix: suffix,
                maxFrameLength: maxFrame
            )
        } catch {
            throw object.error("terminator", error.description)
        }
        let defaultQuietGap = Int(BarcodeScanner.Configuration.defaultQuietGap / .milliseconds(1))
        return BarcodeScanner.Configuration(
            id: id,
            port: port,
            serial: serial,
            framing: framing,
            aimPrefix: try object.bool("aimPrefix", default: true),
            goodReadCommand: try hexBytes(&object, "goodReadCommand"),
            badReadCommand: try hexBytes(&object, "badReadCommand"),
            quietGap: .milliseconds(try object.int("quietGapMs", in: 0...10_000, default: defaultQuietGap))
        )
    }

    /// A byte string written as hex (`"16 4D 0D"` or `"164d0d"`).
    private func hexBytes(_ object: inout ConfigObject, _ key: String) throws(ConfigError) -> [UInt8]? {
        guard let text = try object.optionalString(key) else { return nil }
        let digits = Array(text.filter { $0 != " " })
        guard digits.count % 2 == 0, !digits.isEmpty else {
            throw object.error(key, "expected hex bytes like \"16 4D 0D\"")
        }
        guard let bytes = Hex.bytes(String(digits)) else {
            let pair = stride(from: 0, to: digits.count, by: 2).map { String(digits[$0...$0 + 1]) }
                .first { Hex.bytes($0) == nil }
            throw object.error(key, "\"\(pair ?? text)\" is not a hex byte")
        }
        return bytes
    }

    private func loadRFID(_ object: inout ConfigObject, id: String) throws(ConfigError) -> RFIDSettings {
        let port = try object.string("port")
        let serial = try loadSerial(&object, defaultBaud: 115_200)
        let protocolName = try object.optionalString("protocol") ?? "m100"
        guard protocolName == "m100" else {
            throw object.error("protocol", "unknown protocol \"\(protocolName)\", expected \"m100\"")
        }
        return RFIDSettings(
            id: id,
            port: port,
            serial: serial,
            protocolName: protocolName,
            dedupWindow: .milliseconds(try object.int("dedupWindowMs", in: 0...600_000, default: 2000)),
            dedupCapacity: try object.int("dedupCapacity", in: 1...1_000_000, default: 1024)
        )
    }

    private mutating func loadLockerBank(
        _ object: inout ConfigObject,
        id: String
    ) throws(ConfigError) -> LockerBankSettings {
        let maxPulse = try object.int("maxPulseMs", in: 10...10_000, default: 2000)
        let pulse = try object.int("pulseMs", in: 10...10_000, default: 500)
        guard pulse <= maxPulse else {
            throw object.error("pulseMs", "\(pulse) is longer than maxPulseMs \(maxPulse)")
        }
        var doors: [DoorSettings] = []
        var busDoors: [BusDoorSettings] = []
        var doorIDs: Set<String> = []
        let elements = try object.array("doors")
        guard !elements.isEmpty else { throw object.error("doors", "required, at least one door") }
        for (path, value) in elements {
            var door = try ConfigObject(value, file: file, path: path)
            let doorID = try door.string("id")
            guard doorIDs.insert(doorID).inserted else { throw door.error("id", "duplicate door id \"\(doorID)\"") }
            if door.value("bus") != nil {
                if door.value("lock") != nil || door.value("sensor") != nil {
                    throw door.error(
                        "bus",
                        "a door is on pins (lock, sensor) or on a bus (bus, board, channel), not both"
                    )
                }
                busDoors.append(try loadBusDoor(&door, id: doorID, bank: id))
                try door.finish()
                continue
            }
            let lock = try pin(&door, "lock")
            let sensor = try pin(&door, "sensor")
            let sensorActiveLow = try door.bool("sensorActiveLow", default: true)
            let occupancy = door.value("occupancy") == nil ? nil : try pin(&door, "occupancy")
            let occupancyActiveLow = try door.bool("occupancyActiveLow", default: true)
            try door.finish()
            doors.append(
                DoorSettings(
                    id: doorID,
                    lock: lock,
                    sensor: sensor,
                    sensorActiveLow: sensorActiveLow,
                    occupancy: occupancy,
                    occupancyActiveLow: occupancyActiveLow
                )
            )
        }
        if !doors.isEmpty, !busDoors.isEmpty {
            throw object.error(
                "doors",
                "doors on pins and doors on a bus in one bank; make them two locker banks (one per kind)"
            )
        }
        try checkBoardPulse(&object, doors: busDoors, pulseMs: pulse, maxPulseMs: maxPulse)
        return LockerBankSettings(
            id: id,
            pulse: .milliseconds(pulse),
            maxPulse: .milliseconds(maxPulse),
            maxConcurrentUnlocks: try object.int("maxConcurrentUnlocks", in: 1...64, default: 1),
            leftOpenAfter: .seconds(try object.int("leftOpenAfterS", in: 1...86_400, default: 60)),
            debounce: .milliseconds(try object.int("debounceMs", in: 0...1000, default: 50)),
            codeReader: try object.optionalString("codeReader"),
            minimumCodeLength: try object.int("minimumCodeLength", in: 6...64, default: 6),
            wrongCodeBudget: try object.int("wrongCodeBudget", in: 1...10_000, default: 20),
            doors: doors,
            busDoors: busDoors
        )
    }

    private mutating func loadPickToLight(
        _ object: inout ConfigObject,
        id: String
    ) throws(ConfigError) -> PickToLightSettings {
        var slots: [SlotSettings] = []
        var slotIDs: Set<String> = []
        let elements = try object.array("slots")
        guard !elements.isEmpty else { throw object.error("slots", "required, at least one slot") }
        for (path, value) in elements {
            var slot = try ConfigObject(value, file: file, path: path)
            let slotID = try slot.string("id")
            guard slotIDs.insert(slotID).inserted else { throw slot.error("id", "duplicate slot id \"\(slotID)\"") }
            var lights: [String: PinReference] = [:]
            if slot.value("light") != nil {
                lights["default"] = try pin(&slot, "light")
            }
            if let colours = slot.value("lights") {
                guard case .object(let members) = colours, !members.isEmpty else {
                    throw slot.error("lights", "expected an object of colour to pin, e.g. {\"green\": \"GPIO5\"}")
                }
                for (colour, value) in members {
                    let path = slot.childPath("lights") + ".\(colour)"
                    guard let name = value.stringValue else {
                        throw ConfigError(
                            file: file,
                            path: path,
                            message: "expected a pin name, found \(value.kindName)"
                        )
                    }
                    lights[colour] = try pin(named: name, path: path)
                }
            }
            guard !lights.isEmpty else { throw slot.error("light", "required, the slot's light pin") }
            let button = try pin(&slot, "button")
            let activeLow = try slot.bool("buttonActiveLow", default: true)
            let shortage = slot.value("shortageButton") == nil ? nil : try pin(&slot, "shortageButton")
            try slot.finish()
            slots.append(
                SlotSettings(
                    id: slotID,
                    lights: lights,
                    button: button,
                    buttonActiveLow: activeLow,
                    shortageButton: shortage
                )
            )
        }
        return PickToLightSettings(
            id: id,
            debounce: .milliseconds(try object.int("debounceMs", in: 0...1000, default: 30)),
            slots: slots
        )
    }

    /// Resolves a pin member through the board map (`GPIO17`) or directly (`gpiochip0:17`), and refuses a pin
    /// that another member already uses.
    private mutating func pin(_ object: inout ConfigObject, _ key: String) throws(ConfigError) -> PinReference {
        try pin(named: try object.string(key), path: object.childPath(key))
    }

    private mutating func pin(named name: String, path: String) throws(ConfigError) -> PinReference {
        let file = file
        let fail = { (message: String) in ConfigError(file: file, path: path, message: message) }
        let reference: PinReference
        if let direct = PinReference(direct: name) {
            reference = direct
        } else {
            guard let boardName else {
                throw fail("pin \"\(name)\" is a board pin name, but no \"board\" is configured")
            }
            if boardMap == nil {
                do throws(ConfigError) {
                    let path = try hal.file(.board, named: boardName)
                    boardMap = try BoardPinMap.load(path: path)
                    boardFile = path
                } catch {
                    throw ConfigError(file: file, path: "board", message: "unknown board \"\(boardName)\": \(error)")
                }
            }
            guard let found = boardMap?.pins[name] else {
                throw fail("unknown pin \"\(name)\" on board \(boardName)")
            }
            reference = found
        }
        let identity = "\(reference.chip):\(reference.offset)"
        if let other = claimedPins[identity] {
            throw fail("pin \"\(name)\" is already used by \(other)")
        }
        claimedPins[identity] = path
        return reference
    }

    private func checkCodeReaders(
        _ devices: [DeviceConfiguration],
        elements: [(path: String, value: JSONValue)]
    )
        throws(ConfigError)
    {
        var scanners: Set<String> = []
        for device in devices { if case .barcodeScanner = device { scanners.insert(device.id) } }
        var readersInUse: [String: String] = [:]
        for (index, device) in devices.enumerated() {
            guard case .lockerBank(let bank) = device, let reader = bank.codeReader else { continue }
            let path = elements[index].path + ".codeReader"
            guard scanners.contains(reader) else {
                throw ConfigError(
                    file: file,
                    path: path,
                    message: "\"\(reader)\" is not a barcode-scanner of this site"
                )
            }
            if let other = readersInUse[reader] {
                throw ConfigError(
                    file: file,
                    path: path,
                    message: "\"\(reader)\" is already the code reader of \(other)"
                )
            }
            readersInUse[reader] = bank.id
        }
    }

    private func loadMQTT(_ object: inout ConfigObject, controller: String) throws(ConfigError) -> MQTTSettings {
        let url = try object.string("url")
        guard url.hasPrefix("mqtt://") || url.hasPrefix("mqtts://") else {
            throw object.error("url", "\"\(url)\", expected mqtt://HOST:PORT or mqtts://HOST:PORT")
        }
        let settings = MQTTSettings(
            url: url,
            clientID: try object.optionalString("clientId") ?? controller,
            username: try object.optionalString("username"),
            passwordFile: try object.optionalString("passwordFile"),
            keepAlive: .seconds(try object.int("keepAliveS", in: 5...3600, default: 30)),
            caFile: try object.optionalString("caFile"),
            certificateFile: try object.optionalString("certFile"),
            keyFile: try object.optionalString("keyFile"),
            commandKeyFile: try object.optionalString("commandKeyFile")
        )
        try object.finish()
        return settings
    }

    private func loadWebhook(_ object: inout ConfigObject) throws(ConfigError) -> WebhookSettings {
        let url = try object.string("url")
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
            throw object.error("url", "\"\(url)\", expected https://…")
        }
        do throws(HTTPError) {
            _ = try HTTPURL(parsing: url)
        } catch {
            throw object.error("url", "\(error)")
        }
        let settings = WebhookSettings(
            url: url,
            secretFile: try object.optionalString("secretFile"),
            caFile: try object.optionalString("caFile"),
            certificateFile: try object.optionalString("certFile"),
            keyFile: try object.optionalString("keyFile"),
            batchDelay: .milliseconds(
                try object.int(
                    "batchDelayMs",
                    in: 0...10_000,
                    default: SiteConfiguration.defaultWebhookBatchDelayMilliseconds
                )
            )
        )
        try object.finish()
        return settings
    }
}

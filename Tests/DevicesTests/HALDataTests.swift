import Foundation
import Testing

/// The repository's `hal/` folder, found from this file's path (Tests/DevicesTests/ → ../../hal).
private let halDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("hal")

/// The `.json` files of `hal/<folder>`, sorted by name.
private func jsonFiles(in folder: String) -> [String] {
    let names =
        (try? FileManager.default.contentsOfDirectory(atPath: halDirectory.appendingPathComponent(folder).path))
        ?? []
    return names.filter { $0.hasSuffix(".json") }.sorted()
}

private struct HALFile {
    let name: String
    let stem: String
    let text: String
    let object: [String: Any]

    init(_ folder: String, _ name: String) throws {
        self.name = name
        stem = String(name.dropLast(".json".count))
        let data = try Data(contentsOf: halDirectory.appendingPathComponent(folder).appendingPathComponent(name))
        text = String(decoding: data, as: UTF8.self)
        let parsed = try JSONSerialization.jsonObject(with: data)
        object = try #require(parsed as? [String: Any], "\(name): the top level must be an object")
    }
}

/// A board file reduced to what pin resolution needs.
private struct Board {
    /// Pin name (or alias) → chip label and line.
    var lines: [String: String] = [:]

    init(_ file: HALFile) throws {
        let chips = try #require(file.object["chips"] as? [String: Any])
        let pins = try #require(file.object["pins"] as? [String: Any])
        for (name, value) in pins {
            let pin = try #require(value as? [String: Any])
            let chip = try #require(chips[pin["chip"] as? String ?? ""] as? [String: Any])
            lines[name] = "\(chip["label"] as? String ?? "?"):\(pin["line"] as? Int ?? -1)"
        }
        for (alias, target) in file.object["aliases"] as? [String: String] ?? [:] {
            lines[alias] = lines[target]
        }
    }

    /// The line a site or profile pin names, as "label:line" or "gpiochipN:line"; nil when unknown.
    func resolve(_ pin: String) -> String? {
        if pin.hasPrefix("gpiochip"), pin.split(separator: ":").count == 2 { return pin }
        return lines[pin]
    }
}

private func loadBoard(_ name: String?) throws -> Board {
    let name = try #require(name, "a board is needed to resolve pin names")
    return try Board(HALFile("boards", "\(name).json"))
}

private func string(_ object: [String: Any], _ key: String) -> String? { object[key] as? String }

private func integer(_ object: [String: Any], _ key: String) -> Int? {
    object[key] as? Int
}

/// Every pin a device entry names, with a path for messages ("doors[2].lock").
private func pins(of device: [String: Any]) -> [(path: String, pin: String)] {
    var found: [(String, String)] = []
    for (index, door) in (device["doors"] as? [[String: Any]] ?? []).enumerated() {
        for key in ["lock", "sensor"] {
            if let pin = door[key] as? String { found.append(("doors[\(index)].\(key)", pin)) }
        }
    }
    for (index, slot) in (device["slots"] as? [[String: Any]] ?? []).enumerated() {
        for key in ["light", "button", "shortageButton"] {
            if let pin = slot[key] as? String { found.append(("slots[\(index)].\(key)", pin)) }
        }
        for (color, pin) in slot["lights"] as? [String: String] ?? [:] {
            found.append(("slots[\(index)].lights.\(color)", pin))
        }
    }
    return found
}

/// Checks the keys a device of `kind` needs; `place` prefixes messages.
private func checkDeviceKeys(_ device: [String: Any], at place: String) {
    let kind = device["kind"] as? String ?? ""
    switch kind {
    case "barcode-scanner":
        #expect(integer(device, "baud").map { $0 > 0 } == true, "\(place): baud")
        #expect(["\r", "\n", "\r\n", ""].contains(string(device, "terminator") ?? "?"), "\(place): terminator")
        if device["aimPrefix"] != nil { #expect(device["aimPrefix"] is Bool, "\(place): aimPrefix") }
    case "rfid-reader":
        #expect(string(device, "protocol") == "m100", "\(place): protocol")
        #expect(integer(device, "baud") == 115_200, "\(place): baud")
    case "locker-bank":
        let pulse = integer(device, "pulseMs") ?? 0
        let maxPulse = integer(device, "maxPulseMs") ?? 0
        #expect(pulse > 0 && pulse <= maxPulse, "\(place): 0 < pulseMs <= maxPulseMs")
        let doors = device["doors"] as? [[String: Any]] ?? []
        #expect(!doors.isEmpty, "\(place): doors")
        for (index, door) in doors.enumerated() {
            if door["bus"] != nil {
                #expect(
                    string(door, "id") != nil && integer(door, "board") != nil && integer(door, "channel") != nil,
                    "\(place).doors[\(index)]: id, bus, board, channel"
                )
                continue
            }
            #expect(
                string(door, "id") != nil && string(door, "lock") != nil && string(door, "sensor") != nil,
                "\(place).doors[\(index)]: id, lock, sensor"
            )
            #expect(door["sensorActiveLow"] is Bool, "\(place).doors[\(index)]: sensorActiveLow")
        }
        #expect(Set(doors.compactMap { $0["id"] as? String }).count == doors.count, "\(place): door ids unique")
    case "pick-to-light":
        let slots = device["slots"] as? [[String: Any]] ?? []
        #expect(!slots.isEmpty, "\(place): slots")
        for (index, slot) in slots.enumerated() {
            #expect(string(slot, "id") != nil && string(slot, "button") != nil, "\(place).slots[\(index)]: id, button")
            #expect(
                (slot["light"] is String) != (slot["lights"] is [String: String]),
                "\(place).slots[\(index)]: exactly one of light, lights"
            )
        }
        #expect(Set(slots.compactMap { $0["id"] as? String }).count == slots.count, "\(place): slot ids unique")
    case "lock-board":
        #expect(["cu16", "modbus-rtu"].contains(string(device, "protocol") ?? ""), "\(place): protocol")
        #expect(integer(device, "baud").map { $0 > 0 } == true, "\(place): baud")
        #expect(integer(device, "channels").map { $0 > 0 } == true, "\(place): channels")
        #expect(device["sensorOpenWhenSet"] is Bool && device["lockReleasedWhenSet"] is Bool, "\(place): polarity")
    default:
        Issue.record("\(place): unknown kind \"\(kind)\"")
    }
}

/// Checks that every pin a device names exists on `board` and that no line is used twice within `used`.
private func checkPins(of device: [String: Any], on board: Board, at place: String, used: inout [String: String]) {
    for (path, pin) in pins(of: device) {
        guard let line = board.resolve(pin) else {
            Issue.record("\(place).\(path): unknown pin \"\(pin)\"")
            continue
        }
        if let other = used[line] {
            Issue.record("\(place).\(path): \(pin) is already used by \(other)")
        }
        used[line] = "\(place).\(path)"
    }
}

@Suite("hal/ data files")
struct HALDataTests {
    static let boards = jsonFiles(in: "boards")
    static let devices = jsonFiles(in: "devices")
    static let sites = jsonFiles(in: "sites")

    @Test func theFoldersHoldTheExpectedFiles() {
        #expect(Set(Self.boards).isSuperset(of: ["raspberry-pi-4.json", "raspberry-pi-5.json"]))
        #expect(
            Set(Self.devices).isSuperset(of: [
                "locker-12-door-gpio.json", "ptl-8-slot-gpio.json",
                "m100-uhf-rfid.json", "kerong-cu16.json", "modbus-16ch-relay-input.json",
            ])
        )
        #expect(Self.sites.contains("demo.json"))
    }

    @Test(arguments: boards)
    func boardMapsEveryHeaderGPIOOnceByChipLabel(name: String) throws {
        let file = try HALFile("boards", name)
        #expect(string(file.object, "board") == file.stem)
        let chips = try #require(file.object["chips"] as? [String: [String: Any]])
        for (id, chip) in chips {
            #expect(string(chip, "label")?.isEmpty == false, "chip \(id) has a label")
            #expect(chip["number"] == nil && chip["path"] == nil, "chip \(id) is found by label only")
        }
        let pins = try #require(file.object["pins"] as? [String: [String: Any]])
        for number in 2...27 {
            #expect(pins["GPIO\(number)"] != nil, "GPIO\(number) is mapped")
        }
        var lines: [String: String] = [:]
        for (name, pin) in pins.sorted(by: { $0.key < $1.key }) {
            let chip = try #require(chips[string(pin, "chip") ?? ""], "\(name): chip is one of \(chips.keys)")
            let line = try #require(integer(pin, "line"), "\(name): line")
            #expect((0..<(integer(chip, "lines") ?? Int.max)).contains(line), "\(name): line \(line) on the chip")
            let key = "\(string(pin, "chip") ?? ""):\(line)"
            #expect(lines[key] == nil, "\(name) and \(lines[key] ?? "") share line \(key)")
            lines[key] = name
            // JSONSerialization keeps one of two equal keys silently: count them in the text.
            #expect(file.text.components(separatedBy: "\"\(name)\":").count == 2, "\(name) appears once")
        }
        #expect(pins["GPIO17"].flatMap { integer($0, "line") } == 17, "BCM GPIO N is line N")
        let aliases = file.object["aliases"] as? [String: String] ?? [:]
        for (alias, target) in aliases {
            #expect(pins[target] != nil, "alias \(alias) → \(target) exists")
            #expect(pins[alias] == nil, "alias \(alias) does not shadow a pin")
        }
        #expect(Set(aliases.values).count == aliases.count, "no two header positions name one GPIO")
    }

    @Test func boardsFindTheirHeaderChipByTheRightLabel() throws {
        let pi4 = try HALFile("boards", "raspberry-pi-4.json").object["chips"] as? [String: [String: Any]]
        let pi5 = try HALFile("boards", "raspberry-pi-5.json").object["chips"] as? [String: [String: Any]]
        #expect(pi4?["header"]?["label"] as? String == "pinctrl-bcm2711")
        #expect(pi5?["header"]?["label"] as? String == "pinctrl-rp1")
    }

    @Test(arguments: devices)
    func deviceProfileHasTheKeysItsKindNeeds(name: String) throws {
        let file = try HALFile("devices", name)
        #expect(string(file.object, "profile") == file.stem)
        checkDeviceKeys(file.object, at: name)
        if file.object["doors"] != nil || file.object["slots"] != nil {
            let board = try loadBoard(string(file.object, "board"))
            var used: [String: String] = [:]
            checkPins(of: file.object, on: board, at: name, used: &used)
        }
    }

    @Test(arguments: sites)
    func siteIsValidAndItsPinsExistOnItsBoard(name: String) throws {
        let file = try HALFile("sites", name)
        let site = file.object
        let known: Set = [
            "site", "controller", "hardware", "board", "dataDir", "buses", "devices", "uplinks", "control",
            "metrics",
        ]
        #expect(Set(site.keys).isSubset(of: known), "unknown keys: \(Set(site.keys).subtracting(known))")
        #expect(string(site, "site") != nil && string(site, "controller") != nil)
        #expect(["linux", "simulated"].contains(string(site, "hardware") ?? ""))
        let devices = try #require(site["devices"] as? [[String: Any]])
        let ids = devices.compactMap { $0["id"] as? String }
        #expect(Set(ids).count == devices.count, "device ids present and unique")
        var used: [String: String] = [:]
        for (index, device) in devices.enumerated() {
            let place = "\(name): devices[\(index)]"
            checkDeviceKeys(device, at: place)
            if !pins(of: device).isEmpty {
                checkPins(of: device, on: try loadBoard(string(site, "board")), at: place, used: &used)
            }
            if let reader = string(device, "codeReader") {
                let target = devices.first { $0["id"] as? String == reader }
                #expect(target?["kind"] as? String == "barcode-scanner", "\(place).codeReader names a scanner")
            }
        }
    }

    @Test func demoSiteRunsSimulatedWithoutRootAndPublishesToALocalBroker() throws {
        let site = try HALFile("sites", "demo.json").object
        #expect(string(site, "site") == "demo")
        #expect(string(site, "controller") == "demo-1")
        #expect(string(site, "hardware") == "simulated")
        #expect(string(site, "board") == "raspberry-pi-5")
        #expect(string(site, "dataDir") == ".floorlink-demo")
        #expect((site["control"] as? [String: Any])?["socket"] as? String == ".floorlink-demo/control.sock")
        let uplinks = try #require(site["uplinks"] as? [String: Any])
        #expect((uplinks["mqtt"] as? [String: Any])?["url"] as? String == "mqtt://127.0.0.1:1883")
        #expect(uplinks["webhook"] == nil)
        #expect((site["metrics"] as? [String: Any])?["listen"] as? String == "127.0.0.1:9464")
        let devices = try #require(site["devices"] as? [[String: Any]])
        let kinds = devices.compactMap { $0["kind"] as? String }
        #expect(Set(kinds) == ["barcode-scanner", "rfid-reader", "locker-bank", "pick-to-light"])
        let locker = devices.first { $0["kind"] as? String == "locker-bank" }
        #expect((locker?["doors"] as? [Any])?.count == 4)
        let column = devices.last { $0["kind"] as? String == "locker-bank" }
        let columnDoors = column?["doors"] as? [[String: Any]] ?? []
        #expect(columnDoors.count == 16 && columnDoors.allSatisfy { $0["bus"] as? String == "rs485-1" })
        #expect(locker?["codeReader"] as? String != nil)
        let ptl = devices.first { $0["kind"] as? String == "pick-to-light" }
        #expect((ptl?["slots"] as? [Any])?.count == 4)
    }
}

import Devices
import Events
import Foundation
import HAL
import Service
import TestSupport
import Testing

@Suite("Site configuration: RS-485 buses and doors on them")
struct BusConfigurationTests {
    static let hal = HALSearchPath(directories: [repositoryHAL])

    /// A site with a CU16 bus (two boards) and a Modbus bus, a bank on each, beside a GPIO bank.
    static let valid = #"""
        {"site": "ams-1", "controller": "wall-01", "hardware": "linux", "board": "raspberry-pi-5",
         "buses": [
           {"id": "rs485-1", "port": "/dev/floorlink/rs485-1", "protocol": "cu16", "profile": "kerong-cu16",
            "pollMs": 250, "timeoutMs": 80, "retries": 1, "boards": [{"address": 3, "timeoutMs": 150}]},
           {"id": "rs485-2", "port": "/dev/floorlink/rs485-2", "protocol": "modbus-rtu", "baud": 19200,
            "profile": "modbus-16ch-relay-input"}
         ],
         "devices": [
           {"id": "lockers-A", "kind": "locker-bank",
            "doors": [{"id": "A1", "lock": "GPIO17", "sensor": "GPIO27", "sensorActiveLow": true}]},
           {"id": "wall-B", "kind": "locker-bank", "pulseMs": 500, "maxPulseMs": 2000, "maxConcurrentUnlocks": 2,
            "doors": [{"id": "B1", "bus": "rs485-1", "board": 1, "channel": 5},
                      {"id": "B2", "bus": "rs485-1", "board": 2, "channel": 16}]},
           {"id": "wall-C", "kind": "locker-bank",
            "doors": [{"id": "C1", "bus": "rs485-2", "board": 7, "channel": 1}]}
         ]}
        """#

    static func parse(_ text: String) throws -> SiteConfiguration {
        try SiteConfiguration.parse(JSONValue(parsing: text), file: "site.json", hal: hal)
    }

    @Test("buses load with their profiles, boards from the doors and the list, and the defaults")
    func validSite() throws {
        let site = try Self.parse(Self.valid)
        #expect(site.buses.map(\.id) == ["rs485-1", "rs485-2"])
        let cu16 = try #require(site.bus("rs485-1"))
        #expect(cu16.protocolName == "cu16" && cu16.profileName == "kerong-cu16")
        #expect(cu16.serial == SerialConfiguration(baud: 19_200), "the profile's baud is the default")
        #expect(cu16.pollInterval == .milliseconds(250))
        #expect(cu16.boards.map(\.address) == [1, 2, 3])
        #expect(cu16.boards.map(\.timeout) == [.milliseconds(80), .milliseconds(80), .milliseconds(150)])
        #expect(cu16.boards.map(\.retries) == [1, 1, 1])
        #expect(cu16.boardProtocol.boardPulse == .milliseconds(500))
        let modbus = try #require(site.bus("rs485-2"))
        #expect(modbus.serial.baud == 19_200 && modbus.pollInterval == .milliseconds(200))
        #expect(modbus.boards == [LockBoardSettings(address: 7, timeout: .milliseconds(100), retries: 2)])
        #expect(modbus.boardProtocol is ModbusBoardProtocol)
        guard case .lockerBank(let wall) = site.devices[1] else {
            Issue.record("devices[1] is not a locker bank")
            return
        }
        #expect(wall.doors.isEmpty)
        #expect(wall.busDoors.map(\.id) == ["B1", "B2"] && wall.doorIDs == ["B1", "B2"])
        #expect(wall.busDoors.map(\.channel) == [5, 16])
    }

    @Test("a bus without a profile gets its protocol's defaults")
    func builtInDefaults() throws {
        let text = Self.valid.replacingOccurrences(of: #", "profile": "kerong-cu16""#, with: "")
        let bus = try #require(try Self.parse(text).bus("rs485-1"))
        #expect(bus.profileName == nil && bus.serial.baud == 19_200)
        #expect(bus.boardProtocol.sensorOpenWhenSet && bus.boardProtocol.lockReleasedWhenSet)
    }

    @Test("the site examples in hal/sites load: the demo's RS-485 column and a wall of two 16-door boards")
    func siteExamples() throws {
        let demo = try SiteConfiguration.load(
            path: repositoryHAL + "/sites/demo.json",
            hal: Self.hal
        )
        #expect(demo.buses.map(\.id) == ["rs485-1"])
        let wall = try SiteConfiguration.load(
            path: repositoryHAL + "/sites/locker-wall-rs485.json",
            hal: Self.hal
        )
        let bus = try #require(wall.bus("rs485-1"))
        #expect(bus.boards.map(\.address) == [1, 2])
        let banks = wall.devices.compactMap { device -> LockerBankSettings? in
            if case .lockerBank(let bank) = device { return bank }
            return nil
        }
        #expect(banks.map(\.doors.count) == [4, 0])
        #expect(banks.map(\.busDoors.count) == [0, 32])
    }

    typealias BadCase = ConfigRefusal

    static let badCases: [BadCase] = [
        BadCase(
            name: "unknown key on a bus",
            replace: #""pollMs": 250"#,
            with: #""pollMS": 250"#,
            message: "site.json: buses[0].pollMS: unknown key (check its spelling against the README)"
        ),
        BadCase(
            name: "unknown key on a bus door",
            replace: #""board": 1, "channel": 5}"#,
            with: #""board": 1, "channel": 5, "sensorActiveLow": true}"#,
            message:
                "site.json: devices[1].doors[0].sensorActiveLow: unknown key (check its spelling against the README)"
        ),
        BadCase(
            name: "unknown key on a board",
            replace: #""timeoutMs": 150}"#,
            with: #""timeout": 150}"#,
            message: "site.json: buses[0].boards[0].timeout: unknown key (check its spelling against the README)"
        ),
        BadCase(
            name: "unknown protocol",
            replace: #""protocol": "cu16""#,
            with: #""protocol": "cu12""#,
            message: #"site.json: buses[0].protocol: "cu12" is not a board protocol, expected "cu16" or "modbus-rtu""#
        ),
        BadCase(
            name: "profile of another protocol",
            replace: #""profile": "kerong-cu16""#,
            with: #""profile": "modbus-16ch-relay-input""#,
            message: "site.json: buses[0].profile: profile modbus-16ch-relay-input is for protocol modbus-rtu, not cu16"
        ),
        BadCase(
            name: "no such profile",
            replace: #""profile": "kerong-cu16""#,
            with: #""profile": "kerong-cu48""#,
            message: #"site.json: buses[0].profile: profile "kerong-cu48": no device profile found in "#
        ),
        BadCase(
            name: "a door on a bus that does not exist",
            replace: #""bus": "rs485-1", "board": 2"#,
            with: #""bus": "rs485-9", "board": 2"#,
            message: #"site.json: devices[1].doors[1].bus: no bus "rs485-9"; buses are rs485-1, rs485-2"#
        ),
        BadCase(
            name: "a CU16 board address beyond its DIP switches",
            replace: #""board": 2, "channel": 16"#,
            with: #""board": 32, "channel": 16"#,
            message: "site.json: devices[1].doors[1].board: 32 is not a cu16 board address, expected 0...31"
        ),
        BadCase(
            name: "Modbus broadcast address 0",
            replace: #""board": 7"#,
            with: #""board": 0"#,
            message: "site.json: devices[2].doors[0].board: 0 is not a modbus-rtu board address, expected 1...247"
        ),
        BadCase(
            name: "a channel the board does not have",
            replace: #""board": 2, "channel": 16"#,
            with: #""board": 2, "channel": 17"#,
            message: "site.json: devices[1].doors[1].channel: 17 is out of range, expected 1...16"
        ),
        BadCase(
            name: "channel 0",
            replace: #""board": 1, "channel": 5"#,
            with: #""board": 1, "channel": 0"#,
            message: "site.json: devices[1].doors[0].channel: 0 is out of range, expected 1...16"
        ),
        BadCase(
            name: "one channel for two doors",
            replace: #""board": 2, "channel": 16"#,
            with: #""board": 1, "channel": 5"#,
            message: "site.json: devices[1].doors[1].channel: bus rs485-1 board 1 channel 5 is already used by "
                + "devices[1].doors[0]"
        ),
        BadCase(
            name: "a board address that is not a number",
            replace: #""board": 7"#,
            with: #""board": "7""#,
            message: #"site.json: devices[2].doors[0].board: expected a board address, found the string "7""#
        ),
        BadCase(
            name: "a listed board beyond the protocol's addresses",
            replace: #""address": 3"#,
            with: #""address": 40"#,
            message: "site.json: buses[0].boards[0].address: 40 is not a cu16 board address, expected 0...31"
        ),
        BadCase(
            name: "pins and a bus on one door",
            replace: #""id": "B1", "bus": "rs485-1""#,
            with: #""id": "B1", "lock": "GPIO5", "bus": "rs485-1""#,
            message: "site.json: devices[1].doors[0].bus: a door is on pins (lock, sensor) or on a bus (bus, board, "
                + "channel), not both"
        ),
        BadCase(
            name: "GPIO and bus doors in one bank",
            replace: #"{"id": "C1", "bus": "rs485-2", "board": 7, "channel": 1}"#,
            with:
                #"{"id": "C1", "bus": "rs485-2", "board": 7, "channel": 1}, {"id": "C2", "lock": "GPIO5", "sensor": "GPIO6"}"#,
            message: "site.json: devices[2].doors: doors on pins and doors on a bus in one bank"
        ),
        BadCase(
            name: "one bus for two banks",
            replace: #""bus": "rs485-2", "board": 7"#,
            with: #""bus": "rs485-1", "board": 7"#,
            message: "site.json: devices[2].doors[0].bus: bus rs485-1 already drives locker bank wall-B"
        ),
        BadCase(
            name: "a board pulse longer than maxPulseMs",
            replace: #""pulseMs": 500, "maxPulseMs": 2000"#,
            with: #""pulseMs": 400, "maxPulseMs": 400"#,
            message: "site.json: devices[1].maxPulseMs: the cu16 boards on bus rs485-1 hold a lock released for 500 ms "
                + "themselves (profile kerong-cu16), longer than maxPulseMs 400"
        ),
        BadCase(
            name: "a bank pulse shorter than the board's own",
            replace: #""pulseMs": 500, "maxPulseMs": 2000"#,
            with: #""pulseMs": 300, "maxPulseMs": 2000"#,
            message:
                "site.json: devices[1].pulseMs: 300 is shorter than the 500 ms the cu16 boards on bus rs485-1 hold "
                + "a lock released themselves"
        ),
        BadCase(
            name: "duplicate bus id",
            replace: #""id": "rs485-2""#,
            with: #""id": "rs485-1""#,
            message: #"site.json: buses[1].id: duplicate bus id "rs485-1" (also buses[0])"#
        ),
        BadCase(
            name: "two buses on one port",
            replace: #""port": "/dev/floorlink/rs485-2""#,
            with: #""port": "/dev/floorlink/rs485-1""#,
            message: "site.json: buses[1].port: /dev/floorlink/rs485-1 is already the port of bus rs485-1 (buses[0])"
        ),
        BadCase(
            name: "a bus with a device's id",
            replace: #""id": "wall-C""#,
            with: #""id": "rs485-2""#,
            message: #"site.json: buses[1].id: "rs485-2" is also the id of devices[2]"#
        ),
        BadCase(
            name: "a poll interval too short",
            replace: #""pollMs": 250"#,
            with: #""pollMs": 5"#,
            message: "site.json: buses[0].pollMs: 5 is out of range, expected 20...10000"
        ),
    ]

    @Test("each kind of bad bus config is refused with its JSON path and what was expected", arguments: badCases)
    func badConfig(bad: BadCase) {
        bad.expectRefused(from: Self.valid, by: Self.parse)
    }

    @Test("a profile with an unknown key is refused, naming the profile file")
    func badProfile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("floorlink-profile-\(getpid())")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("devices"),
            withIntermediateDirectories: true
        )
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestFile.write(
            #"{"profile": "odd", "kind": "lock-board", "protocol": "cu16", "sensorOpen": true}"#,
            to: directory.appendingPathComponent("devices/odd.json").path
        )
        let text = Self.valid.replacingOccurrences(of: #""profile": "kerong-cu16""#, with: #""profile": "odd""#)
        #expect {
            try SiteConfiguration.parse(
                JSONValue(parsing: text),
                file: "site.json",
                hal: HALSearchPath(directories: [directory.path, repositoryHAL])
            )
        } throws: { error in
            (error as? ConfigError)?.description
                == "odd.json: sensorOpen: unknown key (check its spelling against the README)"
        }
    }
}

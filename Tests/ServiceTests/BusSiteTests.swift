import Devices
import Events
import Foundation
import Service
import Testing

/// A simulated site with a locker bank on an RS-485 bus of simulated Modbus boards, wired by the factory as the
/// daemon wires it: the bank drives the boards, and the control socket probes and reports the bus.
@Suite("A site with a bank on an RS-485 bus", .timeLimit(.minutes(1)))
struct BusSiteTests {
    static func configuration(in directory: String) throws -> SiteConfiguration {
        let document: JSONValue = [
            "site": "t", "controller": "c1", "hardware": "simulated",
            "dataDir": .string(directory + "/data"),
            "buses": [["id": "rs485-1", "port": "/dev/floorlink/rs485-1", "protocol": "modbus-rtu"]],
            "devices": [
                [
                    "id": "lockers-A", "kind": "locker-bank",
                    "doors": [
                        ["id": "B1", "bus": "rs485-1", "board": 1, "channel": 1],
                        ["id": "B2", "bus": "rs485-1", "board": 2, "channel": 16],
                    ],
                ]
            ],
            "control": ["socket": .string(directory + "/control.sock")],
        ]
        return try SiteConfiguration.parse(
            document,
            file: "site.json",
            hal: HALSearchPath(directories: [repositoryHAL])
        )
    }

    /// Waits (in real time: a site runs on the system clock) until `condition` holds.
    static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<1000 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("never: \(what)")
    }

    @Test("an unlock switches the board's coil, the door springs open, the bank sees it; probe and bus.status answer")
    func unlockProbeAndStatus() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bus-site-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let running = try await LockerOrderSiteTests.RunningSite.start(try Self.configuration(in: directory))
        let boards = try #require(running.site.simulated?.lockBoards["rs485-1"])
        let bank = try await running.bank()
        try await bank.open(door: "B2", reason: .deposit)
        #expect(boards.lockHistory(board: 2).first?.channel == 16)
        try await Self.eventually("B2 reads open") { try await bank.status().first { $0.door == "B2" }?.open == true }
        try await Self.eventually("the coil is off again after the pulse") {
            boards.lockHistory(board: 2).map(\.released) == [true, false]
        }
        let events = try await running.site.outbox.events(after: 0, limit: 1000)
        let opened = try #require(events.first { $0.type == .lockerDoorOpened })
        #expect(opened.data["door"] == "B2" && opened.data["authorised"] == true)
        #expect(events.contains { $0.type == .deviceConnected && $0.device == "rs485-1/2" })

        let client = try UnixStream.connect(path: directory + "/control.sock")
        let probe = try await ControlServerTests.ask(
            client,
            #"{"id":1,"op":"locker.probe","args":{"bus":"rs485-1","from":1,"to":3}}"#
        )
        guard case .array(let found) = probe["result"]?["boards"] ?? .null else {
            Issue.record("no boards in \(probe.jsonText)")
            return
        }
        #expect(found.map { $0["address"] } == [1, 2], "\(probe.jsonText)")
        #expect(found.allSatisfy { $0["answered"] == true && $0["sensors"]?.stringValue?.count == 16 })
        let status = try await ControlServerTests.ask(client, #"{"id":2,"op":"bus.status","args":{}}"#)
        guard case .array(let buses) = status["result"]?["buses"] ?? .null, let bus = buses.first,
            case .array(let health) = bus["boards"] ?? .null
        else {
            Issue.record("no bus in \(status.jsonText)")
            return
        }
        #expect(bus["connected"] == true && bus["protocol"] == "modbus-rtu")
        #expect(health.map { $0["state"] } == ["online", "online"])
        let unknown = try await ControlServerTests.ask(
            client,
            #"{"id":3,"op":"locker.probe","args":{"bus":"rs485-9"}}"#
        )
        #expect(unknown["ok"] == false && unknown["error"]?["code"] == "unknown-device", "\(unknown.jsonText)")
        client.close()
        await running.stop()
    }
}

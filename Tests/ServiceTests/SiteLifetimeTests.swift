import Events
import Foundation
import HALSimulated
import Service
import Testing

/// A site that has stopped is freed: `floorlinkd` opens a new one on every SIGHUP reload, so anything that kept
/// the old one alive would grow the daemon by a whole site per reload.
@Suite("Site lifetime")
struct SiteLifetimeTests {
    /// A simulated site with one device of each serial kind, in `directory`.
    static func configuration(in directory: String) throws -> SiteConfiguration {
        let document: JSONValue = [
            "site": "t", "controller": "c1", "hardware": "simulated", "dataDir": .string(directory + "/data"),
            "devices": [
                ["id": "scanner-1", "kind": "barcode-scanner", "port": "/dev/ttySIM0", "terminator": "\r\n"],
                ["id": "rfid-1", "kind": "rfid-reader", "port": "/dev/ttySIM1", "protocol": "m100"],
            ],
            "control": ["socket": .string(directory + "/control.sock")],
        ]
        return try SiteConfiguration.parse(document, file: "site.json", hal: repositoryHALSearch)
    }

    @Test("simulated hardware whose locks spring their doors open is freed with its chips")
    func simulatedLockerHardwareIsFreed() throws {
        let configuration = try LockerOrderSiteTests.configuration(in: "/tmp/floorlink-unused")
        weak var weakChip: SimulatedGPIOChip?
        do {
            let hardware = SimulatedHardware(configuration: configuration, clock: ManualClock())
            guard case .lockerBank(let bank)? = configuration.devices.first, let door = bank.doors.first else {
                Issue.record("the config has no locker bank")
                return
            }
            weakChip = hardware.chip(for: door.lock)
            #expect(weakChip != nil)
        }
        // Before the fix the lock's reaction held its chip (lock and sensor on one chip): a cycle, never freed.
        #expect(weakChip == nil, "the simulated chip outlived its hardware")
    }

    @Test("a site that ran and stopped is deallocated, with its devices", arguments: [false, true])
    func stoppedSiteIsFreed(simulate: Bool) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("site-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = try Self.configuration(in: directory)
        weak var weakSite: Site?
        weak var weakRegistry: DeviceRegistry?
        do {
            let site = try await Site.open(
                configuration: configuration,
                logger: Logger(label: "test", handler: MemoryLogHandler()),
                simulate: simulate
            )
            weakSite = site
            weakRegistry = site.registry
            let group = ServiceGroup(
                services: try site.serviceList(),
                gracefulTimeout: .seconds(5),
                logger: Logger(label: "test", handler: MemoryLogHandler())
            )
            let (trigger, fire) = AsyncStream<Void>.makeStream()
            let running = Task { await group.run(until: trigger) }
            // Running for real: the devices are up before the stop.
            while site.registry.handle("rfid-1") == nil { try await Task.sleep(for: .milliseconds(10)) }
            fire.yield()
            _ = await running.value
        }
        // Tasks the stop cancelled may still be unwinding; give them a moment, never a fixed sleep.
        let deadline = ContinuousClock.now + .seconds(30)
        while weakSite != nil || weakRegistry != nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(weakSite == nil, "the stopped site is still referenced")
        #expect(weakRegistry == nil, "the stopped site's device registry is still referenced")
    }
}

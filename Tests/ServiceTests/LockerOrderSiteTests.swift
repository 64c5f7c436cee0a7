import Devices
import Events
import Foundation
import Service
import Testing
import Uplink

/// Locker orders through the site's life: a `device.reset` of the bank and a reload (a new `Site` on the same data
/// directory, as SIGHUP builds one) keep them; a config that drops a door holding one does not load.
@Suite("Locker orders across resets and reloads", .timeLimit(.minutes(1)))
struct LockerOrderSiteTests {
    /// A simulated site with one locker bank of `doors` (of A1…A3) in `directory`.
    static func configuration(in directory: String, doors: [String] = ["A1", "A2", "A3"]) throws -> SiteConfiguration {
        let pins = ["A1": ("GPIO17", "GPIO27"), "A2": ("GPIO22", "GPIO23"), "A3": ("GPIO24", "GPIO25")]
        let doorList = doors.compactMap { door -> JSONValue? in
            guard let (lock, sensor) = pins[door] else { return nil }
            return ["id": .string(door), "lock": .string(lock), "sensor": .string(sensor)]
        }
        let document: JSONValue = [
            "site": "t", "controller": "c1", "hardware": "simulated", "board": "raspberry-pi-5",
            "dataDir": .string(directory + "/data"),
            "devices": [["id": "lockers-A", "kind": "locker-bank", "doors": .array(doorList)]],
            "control": ["socket": .string(directory + "/control.sock")],
        ]
        return try SiteConfiguration.parse(document, file: "site.json", hal: repositoryHALSearch)
    }

    /// A site running until `stop()`.
    struct RunningSite {
        let site: Site
        let running: Task<Void, Never>
        let fire: AsyncStream<Void>.Continuation

        static func start(_ configuration: SiteConfiguration) async throws -> RunningSite {
            let logger = Logger(label: "test", handler: MemoryLogHandler())
            let site = try await Site.open(configuration: configuration, logger: logger, simulate: false)
            let group = ServiceGroup(services: try site.serviceList(), gracefulTimeout: .seconds(5), logger: logger)
            let (trigger, fire) = AsyncStream<Void>.makeStream()
            let running = Task { _ = await group.run(until: trigger) }
            return RunningSite(site: site, running: running, fire: fire)
        }

        /// The running bank, once its loop answers (it may be restarting).
        func bank(replacing previous: LockerBank? = nil) async throws -> LockerBank {
            while true {
                if let bank = site.registry.lockerBank("lockers-A"), bank !== previous,
                    (try? await bank.status()) != nil
                {
                    return bank
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }

        func stop() async {
            fire.yield()
            await running.value
        }
    }

    private static func scratch() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("locker-site-\(UUID())").path
    }

    @Test("device.reset restarts the bank's I/O and keeps its orders and pickup codes")
    func resetKeepsOrders() async throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let running = try await RunningSite.start(try Self.configuration(in: directory))
        let bank = try await running.bank()
        try await bank.assign(door: "A2", order: "ORD-7", pickupCode: "483920")
        #expect(running.site.registry.restart("lockers-A"))
        let restarted = try await running.bank(replacing: bank)
        #expect(try await restarted.status().map { $0.order } == [nil, "ORD-7", nil])
        // The stored digest still knows the code: it matches, the order just is not deposited yet.
        await #expect(throws: LockerError.notDeposited) { try await restarted.submitCode("483920", keypad: "k") }
        await running.stop()
    }

    @Test("a reload (a new site on the same data directory) keeps orders and pickup codes")
    func reloadKeepsOrders() async throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = try Self.configuration(in: directory)
        let first = try await RunningSite.start(configuration)
        try await first.bank().assign(door: "A1", order: "ORD-1", pickupCode: "111222")
        await first.stop()
        let second = try await RunningSite.start(configuration)
        let bank = try await second.bank()
        #expect(try await bank.status().map { $0.order } == ["ORD-1", nil, nil])
        await #expect(throws: LockerError.notDeposited) { try await bank.submitCode("111222", keypad: "k") }
        await second.stop()
    }

    @Test("a config that removes a door holding an order refuses to load and names the locker, door and order")
    func removedOccupiedDoorRefused() async throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await RunningSite.start(try Self.configuration(in: directory))
        try await first.bank().assign(door: "A3", order: "ORD-3", pickupCode: "333444")
        await first.stop()
        let shrunk = try Self.configuration(in: directory, doors: ["A1", "A2"])
        let logger = Logger(label: "test", handler: MemoryLogHandler())
        do {
            _ = try await Site.open(configuration: shrunk, logger: logger, simulate: false)
            Issue.record("a site without door A3 opened although A3 holds ORD-3")
        } catch {
            #expect("\(error)".contains("locker lockers-A door A3 holds order ORD-3"), "\(error)")
        }
        // Removing an empty door is fine, and the order is still there once A3 is back.
        let keepsA3 = try await RunningSite.start(try Self.configuration(in: directory, doors: ["A1", "A3"]))
        #expect(try await keepsA3.bank().status().map { $0.order } == [nil, "ORD-3"])
        await keepsA3.stop()
    }

    static let digest =
        "pbkdf2-sha256$10000$000102030405060708090a0b0c0d0e0f$"
        + "c72d60e5f166083908f8f678bdfcab82379845e958f297aa4d1bddd0e6b6d9e5"

    /// Runs `args` as a `locker.assign` (or `command`) on lockers-A through the command router.
    private static func run(
        _ command: String,
        _ args: JSONValue,
        on running: RunningSite
    ) async throws -> Result<JSONValue?, CommandFailure> {
        let payload: JSONValue = ["id": "c1", "command": .string(command), "device": "lockers-A", "args": args]
        let parsed = try Command(parsing: Array(payload.jsonText.utf8))
        return await CommandRouter(registry: running.site.registry, configuration: running.site.configuration)
            .execute(parsed)
    }

    @Test(
        "a bad locker.assign gets a clear error code and assigns nothing",
        arguments: [
            (["door": "A1", "order": "ORD-1", "pickupCode": "12345"], "code-too-short"),
            (["door": "A1", "order": "ORD-1", "pickupCodeDigest": "pbkdf2-sha256$10000$00$00"], "bad-code-digest"),
            (
                ["door": "A1", "order": "ORD-1", "pickupCode": "123456", "pickupCodeDigest": .string(digest)],
                "bad-args"
            ),
            (["door": "A1", "order": "ORD-1"], "bad-args"),
            (["door": "A1", "order": "ORD-1", "pickupCode": 123_456], "bad-args"),
        ] as [(JSONValue, String)]
    )
    func badAssign(args: JSONValue, code: String) async throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let running = try await RunningSite.start(try Self.configuration(in: directory))
        let bank = try await running.bank()
        let result = try await Self.run("locker.assign", args, on: running)
        guard case .failure(let failure) = result else {
            Issue.record("expected \(code), got \(result)")
            await running.stop()
            return
        }
        #expect(failure.code == code, "\(failure.detail)")
        #expect(try await bank.status().allSatisfy { $0.order == nil })
        await running.stop()
    }

    @Test("locker.assign with pickupCodeDigest stores the digest: the code opens the door after a reset")
    func assignByDigest() async throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let running = try await RunningSite.start(try Self.configuration(in: directory))
        let bank = try await running.bank()
        let args: JSONValue = ["door": "A1", "order": "ORD-9", "pickupCodeDigest": .string(Self.digest)]
        #expect(try await Self.run("locker.assign", args, on: running).get() == nil)
        #expect(running.site.registry.restart("lockers-A"))
        let restarted = try await running.bank(replacing: bank)
        #expect(try await restarted.status().map { $0.order } == ["ORD-9", nil, nil])
        await #expect(throws: LockerError.notDeposited) { try await restarted.submitCode("483920", keypad: "k") }
        await running.stop()
    }

    @Test("locker.release removes the order for good: a reset does not bring it back")
    func releaseIsDurable() async throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let running = try await RunningSite.start(try Self.configuration(in: directory))
        let bank = try await running.bank()
        try await bank.assign(door: "A2", order: "ORD-2", pickupCode: "222333")
        #expect(try await Self.run("locker.release", ["door": "A2"], on: running).get() == nil)
        #expect(running.site.registry.restart("lockers-A"))
        let restarted = try await running.bank(replacing: bank)
        #expect(try await restarted.status().allSatisfy { $0.order == nil })
        await running.stop()
    }
}

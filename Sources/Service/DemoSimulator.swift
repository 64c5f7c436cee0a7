import Devices
import HAL

/// Realistic traffic for the demo site, so a newcomer sees events flow: GS1 scans at the scanners, RFID
/// bursts with repeats, locker deposits and pickups (assign, courier opens and closes, customer scans the
/// pickup code), and pick tasks lit and confirmed. It plays only the outside world: it drives the simulated
/// hardware and sends the commands an upstream would; the drivers do the rest.
struct DemoSimulator: Sendable {
    let configuration: SiteConfiguration
    let hardware: SimulatedHardware
    let registry: DeviceRegistry
    let clock: any Clock
    let logger: Logger

    init(
        configuration: SiteConfiguration,
        hardware: SimulatedHardware,
        registry: DeviceRegistry,
        clock: any Clock,
        logger: Logger
    ) {
        self.configuration = configuration
        self.hardware = hardware
        self.registry = registry
        self.clock = clock
        self.logger = logger
    }

    /// GS1 element strings as scanners deliver them (AIM identifier first, GS between variable fields).
    static let barcodes = [
        "]C1010950600013435217261231\u{1D}10ABC123",
        "]C100106141412345678908",
        "]E09506000134352",
        "]d2010950110153000321SN-0042\u{1D}10LOT77",
        "]C10104012345000009310200125017270115",
        "]Q3https://id.gs1.org/01/09506000134352/10/ABC123?17=261231",
    ]

    /// SGTIN-96 EPCs (the Tag Data Standard's example and neighbours) and one non-GS1 EPC.
    static let tags = [
        "3074257BF7194E4000001A85", "3074257BF7194E4000001A86", "3074257BF7194E4000001A87", "E2801160600002054A71B2C5",
    ]

    func run() async {
        let input = SimulatedInput(configuration: configuration, hardware: hardware)
        logger.info("demo traffic simulator running: scans, RFID bursts, locker deposits and pickups, pick tasks")
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await scans(input) }
            group.addTask { await rfidBursts(input) }
            group.addTask { await lockerRounds(input) }
            group.addTask { await pickTasks(input) }
        }
    }

    private func pause(_ duration: Duration) async -> Bool {
        (try? await clock.sleep(for: duration)) != nil
    }

    private var scanners: [BarcodeScanner.Configuration] {
        let codeReaders = Set(
            configuration.devices.compactMap { device -> String? in
                if case .lockerBank(let bank) = device { return bank.codeReader }
                return nil
            }
        )
        return configuration.devices.compactMap { device in
            guard case .barcodeScanner(let settings) = device, !codeReaders.contains(settings.id) else { return nil }
            return settings
        }
    }

    private func scans(_ input: SimulatedInput) async {
        var round = 0
        while await pause(.milliseconds(2300)) {
            guard !scanners.isEmpty else { return }
            let scanner = scanners[round % scanners.count]
            try? input.scan(device: scanner.id, text: Self.barcodes[round % Self.barcodes.count])
            round += 1
        }
    }

    private func rfidBursts(_ input: SimulatedInput) async {
        let readers = configuration.devices.compactMap { device -> RFIDSettings? in
            if case .rfidReader(let settings) = device { return settings }
            return nil
        }
        var round = 0
        while await pause(.seconds(5)) {
            for reader in readers {
                // A pallet passes the gate: each tag is read several times, the reader folds the repeats.
                for repeatIndex in 0..<4 {
                    for (index, tag) in Self.tags.enumerated() where (index + round) % 2 == 0 || repeatIndex < 2 {
                        try? input.tag(device: reader.id, epcHex: tag, rssi: -48 - index * 3 - repeatIndex)
                    }
                    _ = await pause(.milliseconds(60))
                }
            }
            round += 1
        }
    }

    /// The demo's orders are `DEMO-<n>`: the only ones it ever releases.
    static let demoOrderPrefix = "DEMO-"

    private func lockerRounds(_ input: SimulatedInput) async {
        let banks = configuration.devices.compactMap { device -> LockerBankSettings? in
            if case .lockerBank(let settings) = device { return settings }
            return nil
        }
        var round = 0
        while await pause(.seconds(4)) {
            for settings in banks {
                let doors = settings.doorIDs
                guard let bank = registry.lockerBank(settings.id), !doors.isEmpty else { continue }
                let door = doors[round % doors.count]
                let order = Self.demoOrderPrefix + "\(10_000 + round)"
                let code = String(100_000 + (round * 7919) % 900_000)
                do throws(LockerError) {
                    try await bank.assign(door: door, order: order, pickupCode: code)
                    // The courier deposits the parcel.
                    try await bank.open(door: door, reason: .deposit)
                } catch {
                    logger.debug("demo locker round skipped", ["reason": error.code])
                    // Orders are stored: one left over from a demo stopped mid-round would hold its door for ever.
                    // Only the demo's own orders are released; any other order is a real one and is left alone.
                    if case .doorAlreadyAssigned(_, let current) = error, current.hasPrefix(Self.demoOrderPrefix) {
                        try? await bank.release(door: door)
                    }
                    continue
                }
                guard await pause(.milliseconds(700)) else { return }
                try? input.door(locker: settings.id, door: door, open: true)
                guard await pause(.milliseconds(1500)) else { return }
                try? input.door(locker: settings.id, door: door, open: false)
                guard await pause(.seconds(3)) else { return }
                // The customer scans the pickup code at the locker's code reader, or enters it remotely.
                if let reader = settings.codeReader {
                    try? input.scan(device: reader, text: code)
                } else {
                    _ = try? await bank.submitCode(code, keypad: "demo-keypad")
                }
                guard await pause(.milliseconds(700)) else { return }
                try? input.door(locker: settings.id, door: door, open: true)
                guard await pause(.milliseconds(1200)) else { return }
                try? input.door(locker: settings.id, door: door, open: false)
            }
            round += 1
        }
    }

    private func pickTasks(_ input: SimulatedInput) async {
        let modules = configuration.devices.compactMap { device -> PickToLightSettings? in
            if case .pickToLight(let settings) = device { return settings }
            return nil
        }
        let colours = ["green", "blue", "red"]
        var round = 0
        while await pause(.seconds(3)) {
            for settings in modules {
                guard let module = registry.pickToLight(settings.id), !settings.slots.isEmpty else { continue }
                // A technician's `floorctl ptl test` takes every press as its answer: the pickers wait for it.
                guard await !module.status().testing else { continue }
                let slot = settings.slots[round % settings.slots.count].id
                try? await module.light(slot: slot, color: colours[round % colours.count], task: "pick-\(7000 + round)")
                guard await pause(.milliseconds(1800)) else { return }
                guard await !module.status().testing else { continue }
                try? await input.press(device: settings.id, slot: slot)
            }
            round += 1
        }
    }
}

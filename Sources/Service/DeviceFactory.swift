import Devices
import Events
import HAL
import Locking

/// Turns each configured device into a supervised loop on the chosen backends: serial readers on their port,
/// GPIO devices on lines of the chips their pins name (opened once per chip and shared).
struct DeviceFactory: Sendable {
    let configuration: SiteConfiguration
    let gpio: any GPIOBackend
    let serial: any SerialBackend
    let clock: any Clock
    let hub: EventHub
    let registry: DeviceRegistry
    let logger: Logger

    /// A supervisor per bus (first, so that the banks on them find their port opening), then one per device.
    func supervisors() -> [DeviceSupervisor] {
        let chips = ChipCache(backend: gpio)
        var buses: [String: LockBus] = [:]
        var supervisors: [DeviceSupervisor] = []
        for settings in configuration.buses {
            let bus = LockBus(
                configuration: settings.busConfiguration,
                boardProtocol: settings.boardProtocol,
                backend: serial,
                clock: clock,
                events: hub,
                backoff: Backoff(jitter: 0.2)
            )
            buses[settings.id] = bus
            registry.registerBus(settings.id, bus)
            let supervisor = DeviceSupervisor(
                device: settings.id,
                events: hub,
                clock: clock,
                logger: logger.labelled(settings.id),
                body: { await bus.run() }
            )
            registry.addSupervisor(supervisor)
            supervisors.append(supervisor)
        }
        for device in configuration.devices {
            let supervisor = DeviceSupervisor(
                device: device.id,
                events: hub,
                clock: clock,
                logger: logger.labelled(device.id),
                body: body(for: device, chips: chips, buses: buses)
            )
            registry.addSupervisor(supervisor)
            supervisors.append(supervisor)
        }
        return supervisors
    }

    private func body(
        for device: DeviceConfiguration,
        chips: ChipCache,
        buses: [String: LockBus]
    ) -> @Sendable () async throws -> Void {
        let hub = hub
        let clock = clock
        let registry = registry
        let serial = serial
        let logger = logger
        switch device {
        case .barcodeScanner(let settings):
            let bank = configuration.devices.compactMap { device -> String? in
                guard case .lockerBank(let bank) = device, bank.codeReader == settings.id else { return nil }
                return bank.id
            }.first
            let handler: (any ScanHandler)? = bank.map {
                CodeReaderScanHandler(
                    bank: $0,
                    keypad: settings.id,
                    registry: registry,
                    logger: logger.labelled(settings.id)
                )
            }
            let scanner = BarcodeScanner(
                configuration: settings,
                backend: serial,
                clock: clock,
                events: hub,
                handler: handler,
                backoff: Backoff(jitter: 0.2)
            )
            return {
                registry.register(settings.id, .scanner(scanner))
                defer { registry.unregister(settings.id) }
                await scanner.run()
            }
        case .rfidReader(let settings):
            let reader = RFIDReader(
                configuration: .init(
                    id: settings.id,
                    port: settings.port,
                    serial: settings.serial,
                    dedupWindow: settings.dedupWindow,
                    dedupCapacity: settings.dedupCapacity
                ),
                protocol: M100Protocol(),
                backend: serial,
                clock: clock,
                events: hub,
                backoff: Backoff(jitter: 0.2)
            )
            return {
                registry.register(settings.id, .rfidReader(reader))
                defer { registry.unregister(settings.id) }
                await reader.run()
            }
        case .lockerBank(let settings):
            return {
                let io: any DoorIO
                var kernelDebounced = false
                if settings.busDoors.isEmpty {
                    let wiring = try settings.doors.map { door throws(HALError) in
                        DoorWiring(
                            door: door.id,
                            lock: try chips.pin(door.lock),
                            sensor: try chips.pin(door.sensor),
                            sensorActiveLow: door.sensorActiveLow,
                            occupancy: try door.occupancy.map { pin throws(HALError) in try chips.pin(pin) },
                            occupancyActiveLow: door.occupancyActiveLow
                        )
                    }
                    let gpioIO = try GPIODoorIO(
                        wiring: wiring,
                        clock: clock,
                        consumer: "floorlink:\(settings.id)",
                        debounce: settings.debounce
                    )
                    kernelDebounced = gpioIO.kernelDebounced
                    io = gpioIO
                } else {
                    io = BusDoorIO(
                        doors: settings.busDoors.compactMap { door in
                            buses[door.bus].map {
                                BusDoorAddress(door: door.id, bus: $0, board: UInt8(door.board), channel: door.channel)
                            }
                        },
                        clock: clock,
                        maxPulse: settings.maxPulse
                    )
                }
                let bank = LockerBank(
                    configuration: LockerBankConfiguration(
                        id: settings.id,
                        doors: settings.doorIDs,
                        pulse: settings.pulse,
                        maxPulse: settings.maxPulse,
                        maxConcurrentUnlocks: settings.maxConcurrentUnlocks,
                        leftOpenAfter: settings.leftOpenAfter,
                        // The kernel debounces the sensors on libgpiod 2.x: a second, software wait would only delay.
                        debounce: kernelDebounced ? .zero : settings.debounce,
                        minimumCodeLength: settings.minimumCodeLength,
                        wrongCodeBudget: settings.wrongCodeBudget
                    ),
                    io: io,
                    clock: clock,
                    events: hub,
                    store: LockerStateFile(
                        directory: configuration.lockerStateDirectory,
                        locker: settings.id,
                        clock: clock
                    )
                )
                registry.register(settings.id, .lockerBank(bank))
                defer { registry.unregister(settings.id) }
                hub.setState(settings.id, "running", detail: "\(settings.doorIDs.count) doors")
                await bank.run()
            }
        case .pickToLight(let settings):
            return {
                let slots = try settings.slots.map { slot throws(HALError) in
                    var lights: [String: GPIOPin] = [:]
                    for (colour, pin) in slot.lights { lights[colour] = try chips.pin(pin) }
                    return PickToLightConfiguration.SlotWiring(
                        id: slot.id,
                        lights: lights,
                        button: try chips.pin(slot.button),
                        buttonActiveLow: slot.buttonActiveLow,
                        shortageButton: try slot.shortageButton.map { pin throws(HALError) in try chips.pin(pin) }
                    )
                }
                let module = PickToLight(
                    configuration: PickToLightConfiguration(id: settings.id, debounce: settings.debounce, slots: slots),
                    clock: clock,
                    events: hub
                )
                registry.register(settings.id, .pickToLight(module))
                defer { registry.unregister(settings.id) }
                hub.setState(settings.id, "running", detail: "\(settings.slots.count) slots")
                try await module.run()
            }
        }
    }
}

/// Opens each GPIO chip once and hands out pins on it.
final class ChipCache: Sendable {
    private let backend: any GPIOBackend
    private let chips = Locked<[GPIOChipSelector: any GPIOChip]>([:])

    init(backend: any GPIOBackend) {
        self.backend = backend
    }

    /// The pin on its chip, opening the chip on first use. Look-up, open and insert happen under one lock, so
    /// supervisors starting together never open a chip twice (opening is one quick `open` of a device node).
    func pin(_ reference: PinReference) throws(HALError) -> GPIOPin {
        let backend = self.backend
        let chip = try chips.withLock { chips throws(HALError) -> any GPIOChip in
            if let chip = chips[reference.chip] { return chip }
            let chip = try backend.openChip(reference.chip)
            chips[reference.chip] = chip
            return chip
        }
        return GPIOPin(chip: chip, offset: reference.offset)
    }
}

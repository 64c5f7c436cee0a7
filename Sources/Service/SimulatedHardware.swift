import Devices
import HAL
import HALSimulated

/// The hardware of a `"simulated"` site: a simulated chip for every chip the config's pins name (found by the
/// same label, name or number the real board would use) and a simulated serial device at every port. The
/// demo's traffic simulator and `floorctl simulate` drive it.
public final class SimulatedHardware: Sendable {
    public let gpio: SimulatedGPIOBackend
    public let serial: SimulatedSerialBackend
    private let chipsBySelector: [GPIOChipSelector: SimulatedGPIOChip]
    /// The simulated lock boards of each bus, by bus id.
    public let lockBoards: [String: SimulatedLockBoardBus]

    /// Lines per simulated chip: enough for any header (the Pi 5's RP1 has 54).
    public static let lineCount = 64

    public init(configuration: SiteConfiguration, clock: any Clock) {
        serial = SimulatedSerialBackend(clock: clock)
        var selectors: [GPIOChipSelector] = []
        for pin in configuration.pins where !selectors.contains(pin.chip) {
            selectors.append(pin.chip)
        }
        var numbered: [Int: SimulatedGPIOChip] = [:]
        var bySelector: [GPIOChipSelector: SimulatedGPIOChip] = [:]
        func chip(number: Int, label: String) -> SimulatedGPIOChip {
            if let existing = numbered[number] { return existing }
            let made = SimulatedGPIOChip(
                name: "gpiochip\(number)",
                label: label,
                lineCount: Self.lineCount,
                clock: clock
            )
            numbered[number] = made
            return made
        }
        // Chips named by number first, so that chips found by label take numbers nobody asked for.
        for selector in selectors {
            if let number = selector.chipNumber {
                bySelector[selector] = chip(number: number, label: "sim-gpiochip\(number)")
            }
        }
        for selector in selectors where selector.chipNumber == nil {
            guard case .label(let label) = selector else { continue }
            let number = (numbered.keys.max() ?? -1) + 1
            bySelector[selector] = chip(number: number, label: label)
        }
        chipsBySelector = bySelector
        gpio = SimulatedGPIOBackend(chips: numbered.keys.sorted().compactMap { numbered[$0] })
        var lockBoards: [String: SimulatedLockBoardBus] = [:]
        for bus in configuration.buses {
            let boards = SimulatedLockBoardBus(
                device: serial.addDevice(path: bus.port),
                protocol: Self.simulated(bus.boardProtocol),
                clock: clock
            )
            for board in bus.boards {
                boards.addBoard(address: board.address, channels: bus.boardProtocol.channelCount)
            }
            lockBoards[bus.id] = boards
        }
        self.lockBoards = lockBoards
        for device in configuration.devices {
            switch device {
            case .barcodeScanner(let settings): serial.addDevice(path: settings.port)
            case .rfidReader(let settings): serial.addDevice(path: settings.port)
            case .lockerBank(let bank):
                // Doors start closed: an active-low sensor idles high. A released lock lets its door spring open,
                // as a real locker's does; the door stays open until closed (`floorctl simulate door … closed`).
                for door in bank.doors {
                    bySelector[door.sensor.chip]?.drive(door.sensor.offset, high: door.sensorActiveLow)
                    if let sensorChip = bySelector[door.sensor.chip] {
                        let sensor = door.sensor.offset
                        let openLevel = !door.sensorActiveLow
                        // Weak: the lock's chip keeps this reaction, and is often the sensor's chip too.
                        bySelector[door.lock.chip]?.onOutputChange(of: door.lock.offset) {
                            [weak sensorChip] energised in
                            if energised { sensorChip?.drive(sensor, high: openLevel) }
                        }
                    }
                    if let occupancy = door.occupancy {
                        bySelector[occupancy.chip]?.drive(occupancy.offset, high: door.occupancyActiveLow)
                    }
                }
            case .pickToLight(let module):
                // Buttons start released: an active-low button idles high.
                for slot in module.slots {
                    bySelector[slot.button.chip]?.drive(slot.button.offset, high: slot.buttonActiveLow)
                    if let shortage = slot.shortageButton {
                        bySelector[shortage.chip]?.drive(shortage.offset, high: slot.buttonActiveLow)
                    }
                }
            }
        }
    }

    /// Boards that speak what the host's profile says: the same polarity, pulse and coil and input map.
    private static func simulated(_ boardProtocol: any LockBoardProtocol) -> SimulatedLockBoardBus.BoardProtocol {
        if let modbus = boardProtocol as? ModbusBoardProtocol {
            return .modbusRTU(
                firstCoil: modbus.firstCoil,
                firstInput: modbus.firstInput,
                sensorOpenWhenSet: modbus.sensorOpenWhenSet
            )
        }
        let cu16 = boardProtocol as? CU16BoardProtocol
        return .cu16(
            lockReleasedWhenSet: boardProtocol.lockReleasedWhenSet,
            sensorOpenWhenSet: boardProtocol.sensorOpenWhenSet,
            pulse: boardProtocol.boardPulse ?? .milliseconds(500),
            echoesUnlock: cu16?.unlockReplies ?? false
        )
    }

    /// The simulated chip that `pin` lives on.
    public func chip(for pin: PinReference) -> SimulatedGPIOChip? {
        chipsBySelector[pin.chip]
    }

    /// Drives `pin` physically high or low, as a switch or sensor would.
    public func drive(_ pin: PinReference, high: Bool) {
        chip(for: pin)?.drive(pin.offset, high: high)
    }

    /// The simulated reader at `port`.
    public func serialDevice(at port: String) -> SimulatedSerialDevice? {
        serial.device(at: port)
    }
}

extension GPIOChipSelector {
    /// The N of `gpiochipN` when the selector names a chip by number, name or path.
    var chipNumber: Int? {
        switch self {
        case .number(let number): return number
        case .name(let name): return Int(name.dropFirst("gpiochip".count))
        case .path(let path): return Int(path.split(separator: "/").last?.dropFirst("gpiochip".count) ?? "")
        case .label: return nil
        }
    }
}

extension SiteConfiguration {
    /// Every pin the site uses, in config order.
    public var pins: [PinReference] {
        devices.flatMap { device -> [PinReference] in
            switch device {
            case .barcodeScanner, .rfidReader: return []
            case .lockerBank(let bank):
                return bank.doors.flatMap { [$0.lock, $0.sensor] + ($0.occupancy.map { [$0] } ?? []) }
            case .pickToLight(let ptl):
                return ptl.slots.flatMap { slot in
                    slot.lights.keys.sorted().compactMap { slot.lights[$0] } + [slot.button]
                        + (slot.shortageButton.map { [$0] } ?? [])
                }
            }
        }
    }
}

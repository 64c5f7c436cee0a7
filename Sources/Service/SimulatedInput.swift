import Devices
import Events
import HAL
import HALSimulated
import IOEngine

/// Input played into a simulated site as a person or a reader would make it: a scan with the scanner's
/// terminator, an RFID inventory notice, a button press, a door opening. Used by `floorctl simulate` and the
/// demo's traffic simulator.
struct SimulatedInput: Sendable {
    struct Failure: Error {
        var code: String
        var message: String
    }

    let configuration: SiteConfiguration
    let hardware: SimulatedHardware

    /// How long a simulated finger holds a button: longer than any debounce.
    static let pressLength: Duration = .milliseconds(120)

    func scan(device: String, text: String) throws(Failure) {
        guard case .barcodeScanner(let settings) = configuration.devices.first(where: { $0.id == device }) else {
            throw missing(device, kind: "barcode-scanner")
        }
        let terminator: [UInt8]
        switch settings.framing.terminator {
        case .cr: terminator = [0x0D]
        case .lf: terminator = [0x0A]
        case .crlf: terminator = [0x0D, 0x0A]
        case .none: terminator = []
        }
        let bytes =
            settings.framing.prefix + Array(text.replacingEscapedGroupSeparators().utf8) + settings.framing.suffix
            + terminator
        try feed(settings.port, bytes)
    }

    func tag(device: String, epcHex: String, rssi: Int = -52) throws(Failure) {
        guard case .rfidReader(let settings) = configuration.devices.first(where: { $0.id == device }) else {
            throw missing(device, kind: "rfid-reader")
        }
        let epc = Hex.bytes(epcHex.filter { !$0.isWhitespace }) ?? []
        guard !epc.isEmpty, epc.count % 2 == 0, epc.count <= 62 else {
            throw Failure(
                code: "bad-request",
                message: "\"\(epcHex)\" is not an EPC in hex (an even number of 16-bit words)"
            )
        }
        let pc = UInt16(epc.count / 2) << 11
        let payload = [UInt8(bitPattern: Int8(clamping: rssi)), UInt8(pc >> 8), UInt8(pc & 0xFF)] + epc + [0x00, 0x00]
        try feed(settings.port, M100Protocol.frame(type: .notice, command: 0x22, payload: payload))
    }

    func press(device: String, slot: String) async throws(Failure) {
        guard case .pickToLight(let module) = configuration.devices.first(where: { $0.id == device }) else {
            throw missing(device, kind: "pick-to-light")
        }
        guard let wiring = module.slots.first(where: { $0.id == slot }) else {
            throw Failure(code: "unknown-slot", message: "\(device) has no slot \"\(slot)\"")
        }
        hardware.drive(wiring.button, high: !wiring.buttonActiveLow)
        await IOLoop.sleep(for: Self.pressLength)
        hardware.drive(wiring.button, high: wiring.buttonActiveLow)
    }

    func door(locker: String, door: String, open: Bool) throws(Failure) {
        guard case .lockerBank(let bank) = configuration.devices.first(where: { $0.id == locker }) else {
            throw missing(locker, kind: "locker-bank")
        }
        if let onBus = bank.busDoors.first(where: { $0.id == door }) {
            guard let boards = hardware.lockBoards[onBus.bus] else {
                throw Failure(code: "unknown-device", message: "no simulated bus \"\(onBus.bus)\"")
            }
            boards.setDoor(board: UInt8(onBus.board), channel: onBus.channel, open: open)
            return
        }
        guard let wiring = bank.doors.first(where: { $0.id == door }) else {
            throw Failure(code: "unknown-door", message: "\(locker) has no door \"\(door)\"")
        }
        // The sensor reads active (logical true) when the door is open.
        hardware.drive(wiring.sensor, high: open != wiring.sensorActiveLow)
    }

    /// Why no device `id` of `kind` was found: `wrong-device-kind` when the site has it as another kind,
    /// `unknown-device` when it has no such device.
    private func missing(_ id: String, kind: String) -> Failure {
        guard let device = configuration.devices.first(where: { $0.id == id }) else {
            return Failure(code: "unknown-device", message: "no \(kind) \"\(id)\"")
        }
        return Failure(code: "wrong-device-kind", message: "\(id) is a \(device.kind), not a \(kind)")
    }

    private func feed(_ port: String, _ bytes: [UInt8]) throws(Failure) {
        guard let device = hardware.serialDevice(at: port) else {
            throw Failure(code: "unknown-device", message: "no simulated reader at \(port)")
        }
        guard device.isOpen else {
            throw Failure(code: "device-unavailable", message: "\(port) is not open yet; the reader is reconnecting")
        }
        device.feed(bytes)
    }
}

extension String {
    /// Lets a technician type the GS separator as `\x1D`, `<GS>` or `{GS}` on a command line.
    func replacingEscapedGroupSeparators() -> String {
        var text = self
        for escape in ["\\x1D", "\\x1d", "<GS>", "{GS}"] {
            text = text.split(separator: escape, omittingEmptySubsequences: false).joined(separator: "\u{1D}")
        }
        return text
    }
}

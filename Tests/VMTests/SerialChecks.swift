import Devices
import Events
import Glibc
import HAL
import HALLinux

/// `HALLinux`'s serial backend on the VM's 16550 UARTs. The host plays the far ends (Tests/VM/host.py):
/// ttyS1 answers `PING x` lines with `PONG x` and plays a barcode scanner; ttyS2 plays an M100 RFID module.
/// Bytes the host sends before the port is open are lost, so the checks print `VM-READY phase` when the host may
/// start, and the host waits for that line on the console.
enum SerialChecks {
    static let scannerPort = "/dev/ttyS1"
    static let rfidPort = "/dev/ttyS2"

    static var all: [Check] {
        var checks = [Check("serial.enumeration", enumeration)]
        let settings = [
            SerialConfiguration(baud: 9600),
            SerialConfiguration(baud: 115_200),
            SerialConfiguration(baud: 9600, dataBits: 7, parity: .even),
            SerialConfiguration(baud: 115_200, dataBits: 7, parity: .even),
        ]
        for setting in settings {
            checks.append(Check("serial.open.\(setting.baud)-\(shortForm(setting))") { try await roundTrip(setting) })
        }
        checks += [
            Check("serial.exclusive", exclusive),
            Check("serial.scanner.gs1-scan", limit: .seconds(60), scanner),
            Check("serial.rfid.m100-inventory-and-mid-frame-reconnect", limit: .seconds(90), rfid),
        ]
        return checks
    }

    static func shortForm(_ setting: SerialConfiguration) -> String {
        "\(setting.dataBits)\(setting.parity == .none ? "N" : setting.parity == .odd ? "O" : "E")\(setting.stopBits)"
    }

    static func enumeration() async throws {
        let ports = try LinuxSerialBackend().ports()
        let paths = ports.map(\.path)
        for path in [scannerPort, rfidPort] {
            let port = try require(ports.first { $0.path == path }, "\(path) not enumerated: \(paths)")
            try expect(port.transport == .native, "\(path) transport \(port.transport)")
        }
        try expect(!paths.contains("/dev/ttyS3"), "ttyS3 has no UART behind it but was listed: \(paths)")
    }

    /// The line settings the kernel holds for `path`, read through a second descriptor (root passes TIOCEXCL).
    static func kernelSettings(_ path: String) throws -> termios {
        let fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK)
        try expect(fd >= 0, "open \(path) for tcgetattr: errno \(errno)")
        defer { close(fd) }
        var settings = termios()
        try expect(tcgetattr(fd, &settings) == 0, "tcgetattr \(path): errno \(errno)")
        return settings
    }

    /// Opens ttyS1 with `setting`, checks what the kernel applied, and round-trips a line through the host.
    static func roundTrip(_ setting: SerialConfiguration) async throws {
        let port = try await LinuxSerialBackend().open(path: scannerPort, configuration: setting)
        defer { port.close() }
        let applied = try kernelSettings(scannerPort)
        var copy = applied
        let speed = cfgetospeed(&copy)
        try expect(speed == (setting.baud == 9600 ? speed_t(B9600) : speed_t(B115200)), "speed \(speed)")
        try expect(
            applied.c_cflag & tcflag_t(CSIZE) == tcflag_t(setting.dataBits == 7 ? CS7 : CS8),
            "CSIZE \(applied.c_cflag & tcflag_t(CSIZE))"
        )
        try expect(
            (applied.c_cflag & tcflag_t(PARENB) != 0) == (setting.parity != .none),
            "PARENB \(applied.c_cflag & tcflag_t(PARENB))"
        )
        try expect(applied.c_cflag & tcflag_t(PARODD) == 0, "PARODD set")
        try expect(applied.c_cflag & tcflag_t(CSTOPB) == 0, "CSTOPB set")
        let token = "\(setting.baud)-\(shortForm(setting))"
        try await port.write(Array("PING \(token)\n".utf8))
        try await port.drain(timeout: .seconds(5))
        var received: [UInt8] = []
        let expected = Array("PONG \(token)\r\n".utf8)
        while received.count < expected.count {
            received += try await port.read(maxBytes: 256, timeout: .seconds(10))
        }
        try expect(received == expected, "got \(String(decoding: received, as: UTF8.self).debugDescription)")
    }

    static func exclusive() async throws {
        let backend = LinuxSerialBackend()
        let first = try await backend.open(path: scannerPort, configuration: SerialConfiguration())
        defer { first.close() }
        do {
            _ = try await backend.open(path: scannerPort, configuration: SerialConfiguration())
            throw CheckFailure("a second open of an open port succeeded")
        } catch HALError.busy {}
    }

    static func scanner() async throws {
        let events = EventRecorder()
        let scanner = BarcodeScanner(
            configuration: .init(id: "scanner-1", port: scannerPort),
            backend: LinuxSerialBackend(),
            clock: SystemClock(),
            events: events
        )
        let runner = Task { await scanner.run() }
        defer { runner.cancel() }
        let connected = try await events.next(.deviceConnected)
        try expect(connected.data["settings"] == "9600 8N1", "device.connected \(connected.data.jsonText)")
        say("VM-READY scanner")
        let scan = try await events.next(.scan, within: .seconds(20))
        try expect(scan.device == "scanner-1", "scan from \(scan.device)")
        try expect(scan.data["symbology"] == "gs1-128", "scan \(scan.data.jsonText)")
        try expect(scan.data["aim"] == "]C1", "scan \(scan.data.jsonText)")
        try expect(
            scan.data["gs1"] == ["01": "09506000134352", "17": "261231", "10": "ABC123"],
            "scan \(scan.data.jsonText)"
        )
        runner.cancel()
        await runner.value
    }

    /// The module gets the start-inventory command (the host answers only once it has it, checking the bytes),
    /// sends three notices of one SGTIN-96 and one of an unknown EPC; then sends half a frame, hangs up,
    /// reconnects and sends a whole one: the half frame is a fault, never a tag, and the next tag comes through.
    static func rfid() async throws {
        let events = EventRecorder()
        let reader = RFIDReader(
            configuration: .init(
                id: "rfid-1",
                port: rfidPort,
                dedupWindow: .milliseconds(500),
                inventoryRefresh: .seconds(600)
            ),
            protocol: M100Protocol(),
            backend: LinuxSerialBackend(),
            clock: SystemClock(),
            events: events
        )
        let runner = Task { await reader.run() }
        defer { runner.cancel() }
        let connected = try await events.next(.deviceConnected)
        try expect(connected.data["settings"] == "115200 8N1", "device.connected \(connected.data.jsonText)")
        var tags: [String: RecordedEvent] = [:]
        for _ in 0..<2 {
            let tag = try await events.next(.tagRead, within: .seconds(20))
            tags[tag.data["epc"]?.stringValue ?? "?"] = tag
        }
        let sgtin = try require(tags["3074257bf7194e4000001a85"], "no tag.read of the SGTIN: \(tags)")
        try expect(
            sgtin.data.jsonText
                == #"{"epc":"3074257bf7194e4000001a85","uri":"urn:epc:id:sgtin:0614141.812345.6789","#
                + #""rssi":-48,"antenna":1,"count":3}"#,
            "tag.read \(sgtin.data.jsonText)"
        )
        let unknown = try require(tags["e2801160600002054a71b2c5"], "no tag.read of the unknown EPC: \(tags)")
        try expect(unknown.data["uri"] == .null, "tag.read \(unknown.data.jsonText)")

        say("VM-READY m100-mid-frame")
        let fault = try await events.next(.deviceFault, within: .seconds(20))
        try expect(fault.data["count"] == 1, "device.fault \(fault.data.jsonText)")
        let after = try await events.next(.tagRead, within: .seconds(20))
        try expect(after.data["epc"] == "e28011606000020000000099", "tag.read after reconnect \(after.data.jsonText)")
        try expect(after.data["count"] == 1, "tag.read after reconnect \(after.data.jsonText)")
        let all = await events.all
        try expect(
            all.filter { $0.type == .tagRead }.count == 3,
            "tag reads \(all.filter { $0.type == .tagRead })"
        )
        runner.cancel()
        await runner.value
    }
}

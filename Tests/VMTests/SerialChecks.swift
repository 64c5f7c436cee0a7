import Devices
import Events
import Foundation
import Glibc
import HAL
import HALLinux

/// `HALLinux`'s serial backend on the VM's 16550 UARTs and on a USB serial adapter. The host plays the far ends
/// (Tests/VM/host.py): ttyS1 answers `PING x` lines with `PONG x` and plays a barcode scanner; ttyS2 plays an M100
/// RFID module; ttyUSB0 is qemu's `usb-serial` (an FTDI FT232) on xHCI, which the host unplugs by closing its socket
/// and plugs back in by connecting again. Bytes the host sends before the port is open are lost, so the checks
/// print `VM-READY phase` when the host may start, and the host waits for that line on the console.
enum SerialChecks {
    static let scannerPort = "/dev/ttyS1"
    static let rfidPort = "/dev/ttyS2"
    static let usbPort = "/dev/ttyUSB0"
    /// What the host's scanner sends: a GS1-128 read with its AIM identifier, CR LF terminated.
    static let gs1Scan = Array("]C1010950600013435217261231".utf8) + Array("10ABC123\r\n".utf8)
    /// The part of `gs1Scan` the host sends on `VM-READY usb-half-frame`.
    static let halfScan = Array(gs1Scan.prefix(12))

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
            Check("serial.usb.enumeration", limit: .seconds(60), usbEnumeration),
            Check("serial.usb.unplug-mid-read-and-back", limit: .seconds(90), usbUnplugMidRead),
            Check("serial.usb.scanner-unplug-mid-frame-and-back", limit: .seconds(90), usbScanner),
        ]
        return checks
    }

    static func shortForm(_ setting: SerialConfiguration) -> String {
        "\(setting.dataBits)\(setting.parity == .none ? "N" : setting.parity == .odd ? "O" : "E")\(setting.stopBits)"
    }

    static func enumeration() async throws {
        let ports = try LinuxSerialBackend().ports()
        let paths = ports.map(\.path)
        for path in [scannerPort, rfidPort, BusChecks.port] {
            let port = try require(ports.first { $0.path == path }, "\(path) not enumerated: \(paths)")
            try expect(port.transport == .native, "\(path) transport \(port.transport)")
        }
        // qemu's PC has four ISA UARTs, all backed here (console, scanner, RFID, RS-485): nothing beyond them.
        try expect(!paths.contains("/dev/ttyS4"), "ttyS4 has no UART behind it but was listed: \(paths)")
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

    // MARK: - The USB serial adapter (qemu usb-serial on xHCI; the host unplugs it by closing its socket)

    /// Waits until `path` exists (or, with `present: false`, is gone); returns how long that took.
    @discardableResult
    static func waitForNode(_ path: String, present: Bool, within limit: Duration) async throws -> Duration {
        let started = ContinuousClock.now
        while (access(path, F_OK) == 0) != present {
            try expect(
                ContinuousClock.now - started < limit,
                "\(path) still \(present ? "absent" : "present") after \(limit); /dev has \(usbNodes())"
            )
            try await Task.sleep(for: .milliseconds(10))
        }
        return ContinuousClock.now - started
    }

    /// Asks the host to plug the adapter in (a no-op when it is: an earlier check that failed may have left it
    /// out) and waits for its node; the kernel enumerates USB in the background, also at boot.
    @discardableResult
    static func plugAdapterIn() async throws -> Duration {
        say("VM-READY usb-plug")
        return try await waitForNode(usbPort, present: true, within: .seconds(45))
    }

    /// The `ttyUSB` nodes in /dev, for failure messages (a replug while the old node is still open gets ttyUSB1).
    static func usbNodes() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []).filter { $0.hasPrefix("ttyUSB") }
            .sorted()
    }

    /// `duration` as whole milliseconds, for the lines that report timings.
    static func milliseconds(_ duration: Duration) -> String {
        "\(duration.wholeMilliseconds) ms"
    }

    /// `poll(2)` revents as flag names.
    static func pollFlags(_ revents: Int16) -> String {
        let names: [(Int32, String)] = [
            (POLLIN, "POLLIN"), (POLLPRI, "POLLPRI"), (POLLOUT, "POLLOUT"), (POLLERR, "POLLERR"),
            (POLLHUP, "POLLHUP"), (POLLNVAL, "POLLNVAL"),
        ]
        let set = names.filter { Int32(revents) & $0.0 != 0 }.map(\.1)
        return set.isEmpty ? "none" : set.joined(separator: "|")
    }

    /// libserialport lists the adapter as USB with the identity qemu's usb-serial gives it (FTDI FT232, 0403:6001).
    static func usbEnumeration() async throws {
        let waited = try await plugAdapterIn()
        let ports = try LinuxSerialBackend().ports()
        let port = try require(ports.first { $0.path == usbPort }, "\(usbPort) not enumerated: \(ports.map(\.path))")
        say(
            "  \(usbPort) (there after \(milliseconds(waited))): \(port.transport) "
                + "\(String(port.usbVendorID ?? 0, radix: 16)):\(String(port.usbProductID ?? 0, radix: 16)) "
                + "manufacturer \(port.manufacturer ?? "-"), product \(port.product ?? "-"), "
                + "serial \(port.serialNumber ?? "-"), description \(port.description ?? "-")"
        )
        try expect(port.transport == .usb, "transport \(port.transport)")
        try expect(port.usbVendorID == 0x0403, "USB vendor \(String(describing: port.usbVendorID))")
        try expect(port.usbProductID == 0x6001, "USB product \(String(describing: port.usbProductID))")
        try expect(port.manufacturer == "QEMU", "manufacturer \(String(describing: port.manufacturer))")
        try expect(port.product == "QEMU USB SERIAL", "product \(String(describing: port.product))")
        try expect(port.serialNumber == "FLOORLINK-VM-1", "serial number \(String(describing: port.serialNumber))")
        // The identity the daemon compares on every reopen, read from sysfs for the node actually opened.
        let opened = try await LinuxSerialBackend().open(path: usbPort, configuration: SerialConfiguration(baud: 9600))
        defer { opened.close() }
        say("  \(usbPort) opened: \(opened.usbIdentity.map(String.init(describing:)) ?? "no USB identity")")
        try expect(
            opened.usbIdentity
                == SerialPortIdentity(usbVendorID: 0x0403, usbProductID: 0x6001, serialNumber: "FLOORLINK-VM-1"),
            "identity of the open port \(String(describing: opened.usbIdentity))"
        )
        for path in [scannerPort, rfidPort] {
            let uart = try require(ports.first { $0.path == path }, "\(path) not enumerated with the adapter")
            try expect(uart.transport == .native && uart.usbVendorID == nil, "\(path) described as \(uart)")
        }
    }

    /// At the HAL: half a frame arrives, the adapter is pulled mid-read, the pending read fails with
    /// `disconnected`; an open fails with `notFound` while the adapter is out; once it is back in, the port opens
    /// again and a whole frame reads correctly. Prints what the kernel reported on a second, raw descriptor.
    static func usbUnplugMidRead() async throws {
        try await plugAdapterIn()
        let backend = LinuxSerialBackend()
        let configuration = SerialConfiguration(baud: 9600)
        let port = try await backend.open(path: usbPort, configuration: configuration)
        // Root passes TIOCEXCL: this descriptor shows what poll(2), read(2) and write(2) say after the unplug.
        let observer = open(usbPort, O_RDWR | O_NOCTTY | O_NONBLOCK)
        try expect(observer >= 0, "open \(usbPort) for observing: errno \(errno)")
        var portOpen = true
        var observerOpen = true
        defer {
            if portOpen { port.close() }
            if observerOpen { close(observer) }
        }

        say("VM-READY usb-half-frame")
        var received: [UInt8] = []
        while received.count < halfScan.count {
            received += try await port.read(maxBytes: 256, timeout: .seconds(10))
        }
        try expect(received == halfScan, "half frame \(String(decoding: received, as: UTF8.self).debugDescription)")

        say("VM-READY usb-unplug")
        let unplugAsked = ContinuousClock.now
        do {
            let bytes = try await port.read(maxBytes: 256, timeout: .seconds(20))
            throw CheckFailure("a read after the unplug returned \(bytes.count) bytes, not disconnected")
        } catch HALError.disconnected {}
        let readFailed = ContinuousClock.now - unplugAsked
        let nodeThere = access(usbPort, F_OK) == 0

        var descriptor = pollfd(fd: observer, events: Int16(POLLIN | POLLOUT), revents: 0)
        let polled = poll(&descriptor, 1, 0)
        var byte: UInt8 = 0
        let readResult = read(observer, &byte, 1)
        let readErrno = readResult < 0 ? errno : 0
        let writeResult = write(observer, &byte, 1)
        let writeErrno = writeResult < 0 ? errno : 0
        do {
            try await port.write(Array("after".utf8))
            throw CheckFailure("a write after the unplug succeeded")
        } catch HALError.disconnected {}

        port.close()
        portOpen = false
        close(observer)
        observerOpen = false
        let gone = try await waitForNode(usbPort, present: false, within: .seconds(10))
        say(
            "  unplug: read threw disconnected \(milliseconds(readFailed)) after VM-READY usb-unplug "
                + "(node \(nodeThere ? "still there" : "already gone") then); raw descriptor: "
                + "poll \(polled) revents \(pollFlags(descriptor.revents)), read() \(readResult) errno \(readErrno), "
                + "write() \(writeResult) errno \(writeErrno); node gone \(milliseconds(gone)) after close"
        )
        try expect(
            Int32(descriptor.revents) & POLLHUP != 0,
            "the kernel did not report POLLHUP: \(pollFlags(descriptor.revents))"
        )

        do {
            _ = try await backend.open(path: usbPort, configuration: configuration)
            throw CheckFailure("\(usbPort) opened while the adapter was unplugged")
        } catch HALError.notFound {}

        say("VM-READY usb-plug")
        let plugAsked = ContinuousClock.now
        let appeared = try await waitForNode(usbPort, present: true, within: .seconds(30))
        var failures: [String] = []
        var reopened: (any SerialPort)?
        while reopened == nil {
            do {
                reopened = try await backend.open(path: usbPort, configuration: configuration)
            } catch {
                failures.append("\(error)")
                try expect(ContinuousClock.now - plugAsked < .seconds(30), "no open after the replug: \(failures)")
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let again = try require(reopened, "no port")
        defer { again.close() }
        say(
            "  replug: \(usbPort) back \(milliseconds(appeared)) after VM-READY usb-plug, open after "
                + "\(milliseconds(ContinuousClock.now - plugAsked)); \(failures.count) failed opens before \(failures)"
        )

        say("VM-READY usb-scan")
        var frame: [UInt8] = []
        while frame.suffix(2) != [0x0D, 0x0A], frame.count < gs1Scan.count * 2 {
            frame += try await again.read(maxBytes: 256, timeout: .seconds(10))
        }
        try expect(
            frame == gs1Scan,
            "frame after the replug \(String(decoding: frame, as: UTF8.self).debugDescription)"
        )
    }

    /// The scanner driver as the service runs it (`DeviceFactory`'s backoff): the adapter is pulled after half a
    /// scan → `device.disconnected` (reason `unplugged`) and no scan or fault; plugged back in → `device.connected`,
    /// and the next whole scan comes out right (the half frame is dropped, never glued to it).
    static func usbScanner() async throws {
        try await plugAdapterIn()
        let events = EventRecorder()
        let backend = TappedSerialBackend(LinuxSerialBackend())
        let scanner = BarcodeScanner(
            configuration: .init(id: "usb-scanner", port: usbPort),
            backend: backend,
            clock: SystemClock(),
            events: events,
            backoff: Backoff(jitter: 0.2)
        )
        let runner = Task { await scanner.run() }
        defer { runner.cancel() }
        let connected = try await events.next(.deviceConnected, within: .seconds(20))
        try expect(connected.data["settings"] == "9600 8N1", "device.connected \(connected.data.jsonText)")

        say("VM-READY usb-half-frame")
        try await backend.waitForBytes(halfScan.count, within: .seconds(20))
        say("VM-READY usb-unplug")
        let unplugAsked = ContinuousClock.now
        let disconnected = try await events.next(.deviceDisconnected, within: .seconds(20))
        let noticed = ContinuousClock.now - unplugAsked
        try expect(disconnected.data["reason"] == "unplugged", "device.disconnected \(disconnected.data.jsonText)")
        try expect(disconnected.data["port"] == .string(usbPort), "device.disconnected \(disconnected.data.jsonText)")
        try await waitForNode(usbPort, present: false, within: .seconds(10))

        say("VM-READY usb-plug")
        let plugAsked = ContinuousClock.now
        let reconnected = try await events.next(.deviceConnected, within: .seconds(40))
        let back = ContinuousClock.now - plugAsked
        try expect(reconnected.data["port"] == .string(usbPort), "device.connected \(reconnected.data.jsonText)")
        say(
            "  device.disconnected \(milliseconds(noticed)) after VM-READY usb-unplug, "
                + "device.connected \(milliseconds(back)) after VM-READY usb-plug"
        )

        say("VM-READY usb-scan")
        let scan = try await events.next(.scan, within: .seconds(20))
        try expect(scan.device == "usb-scanner", "scan from \(scan.device)")
        try expect(scan.data["symbology"] == "gs1-128", "scan \(scan.data.jsonText)")
        try expect(scan.data["aim"] == "]C1", "scan \(scan.data.jsonText)")
        try expect(
            scan.data["gs1"] == ["01": "09506000134352", "17": "261231", "10": "ABC123"],
            "scan \(scan.data.jsonText)"
        )
        runner.cancel()
        await runner.value
        let all = await events.all
        let watched: [EventType] = [.scan, .deviceFault, .deviceDisconnected]
        try expect(
            all.filter { watched.contains($0.type) }.map(\.type) == [.deviceDisconnected, .scan],
            "events other than one disconnect and one scan: \(all)"
        )
    }
}

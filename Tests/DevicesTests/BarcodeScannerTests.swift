import Devices
import Events
import HAL
import HALSimulated
import TestSupport
import Testing

/// The barcode scanner driver on a simulated serial port with a manual clock.
@Suite("Barcode scanner")
struct BarcodeScannerTests {
    /// A scanner wired to a simulated device, running in a task the test cancels at the end.
    struct Rig {
        let clock = ManualClock()
        let backend: SimulatedSerialBackend
        let device: SimulatedSerialDevice
        let events = EventRecorder()
        let scanner: BarcodeScanner

        init(
            framing: ScannerFramer.Configuration = .init(terminator: .crlf),
            aimPrefix: Bool = true,
            good: [UInt8]? = nil,
            bad: [UInt8]? = nil,
            plugged: Bool = true,
            handler: (any ScanHandler)? = nil
        ) {
            backend = SimulatedSerialBackend(clock: clock)
            device = backend.addDevice(path: "/dev/floorlink/scanner-1")
            if !plugged { device.unplug() }
            scanner = BarcodeScanner(
                configuration: .init(
                    id: "scanner-1",
                    port: "/dev/floorlink/scanner-1",
                    framing: framing,
                    aimPrefix: aimPrefix,
                    goodReadCommand: good,
                    badReadCommand: bad
                ),
                backend: backend,
                clock: clock,
                events: events,
                handler: handler,
                backoff: Backoff(initial: .milliseconds(100), maximum: .seconds(1))
            )
        }

        func start() -> Task<Void, Never> {
            let scanner = scanner
            return Task { await scanner.run() }
        }

        /// Lets the scanner's quiet gap pass after it opened the port, so the next read counts as whole.
        func waitOutQuietGap() async {
            await clock.waitForSleepers(1)
            clock.advance(by: BarcodeScanner.Configuration.defaultQuietGap)
        }
    }

    struct ScanCase: Sendable, CustomTestStringConvertible {
        var name: String
        var wire: String
        var symbology: String
        var gs1: [String: String]?
        var testDescription: String { name }
    }

    static let scans: [ScanCase] = [
        // GS1 General Specifications: the element string (01)09506000134352(17)261231(10)ABC123.
        ScanCase(
            name: "GS1-128, fixed-length AIs first so no separator is needed",
            wire: "]C1010950600013435217261231" + "10ABC123",
            symbology: "gs1-128",
            gs1: ["01": "09506000134352", "17": "261231", "10": "ABC123"]
        ),
        ScanCase(name: "EAN-13", wire: "]E09506000134352", symbology: "ean-13", gs1: ["01": "09506000134352"]),
        ScanCase(name: "Code 128 (not GS1)", wire: "]C0PARCEL-7781", symbology: "code-128", gs1: nil),
        ScanCase(name: "no AIM identifier", wire: "RETURN-0042", symbology: "unknown", gs1: nil),
    ]

    @Test(
        "a read split across serial chunks becomes one scan event with its symbology and GS1 data",
        arguments: scans,
        [1, 3, 100]
    )
    func scanEvent(scan: ScanCase, chunk: Int) async throws {
        let rig = Rig(aimPrefix: scan.wire.hasPrefix("]"))
        let task = rig.start()
        defer { task.cancel() }
        #expect(await rig.events.next().type == .deviceConnected)
        await rig.waitOutQuietGap()
        let wire = Array((scan.wire + "\r\n").utf8)
        for start in stride(from: 0, to: wire.count, by: chunk) {
            rig.device.feed(Array(wire[start..<min(start + chunk, wire.count)]))
        }
        let event = await rig.events.next()
        #expect(event.type == .scan)
        #expect(event.data["symbology"] == .string(scan.symbology))
        #expect(event.data["text"] == .string(scan.wire))
        if let gs1 = scan.gs1 {
            guard case .object(let members) = try #require(event.data["gs1"]) else {
                Issue.record("gs1 is not an object: \(event)")
                return
            }
            #expect(Dictionary(uniqueKeysWithValues: members.map { ($0.0, $0.1.stringValue ?? "") }) == gs1)
        } else {
            #expect(event.data["gs1"] == nil)
        }
        #expect(rig.device.unreadBytes.isEmpty)
    }

    @Test("the exact JSON of a GS1 scan is stable")
    func pinnedJSON() async throws {
        let rig = Rig()
        let task = rig.start()
        defer { task.cancel() }
        _ = await rig.events.next()
        rig.device.feed("]C1010950600013435217261231\u{1D}10ABC123\r\n")
        let event = await rig.events.next()
        #expect(
            event.data.jsonText
                == #"{"symbology":"gs1-128","aim":"]C1","text":"]C1010950600013435217261231\u001d10ABC123","#
                + #""gs1":{"01":"09506000134352","17":"261231","10":"ABC123"}}"#
        )
    }

    @Test("bytes that are not UTF-8 are kept as hex and flagged, not dropped")
    func invalidUTF8() async throws {
        let rig = Rig(aimPrefix: false)
        let task = rig.start()
        defer { task.cancel() }
        _ = await rig.events.next()
        await rig.waitOutQuietGap()
        rig.device.feed([0x41, 0xFF, 0xFE, 0x42, 0x0D, 0x0A])
        let event = await rig.events.next()
        #expect(event.type == .scan)
        #expect(event.data["invalidUTF8"] == true)
        #expect(event.data["hex"] == "41fffe42")
    }

    @Test("with no terminator a read ends after the inter-byte gap, measured on the clock")
    func gapFraming() async throws {
        let rig = Rig(framing: .init(terminator: .none(gap: .milliseconds(50))))
        let task = rig.start()
        defer { task.cancel() }
        _ = await rig.events.next()
        rig.device.feed("]E0950600")
        await rig.clock.waitForSleepers(1)
        rig.clock.advance(by: .milliseconds(20))
        rig.device.feed("0134352")
        await rig.clock.waitForSleepers(1)
        #expect(await rig.events.pending.isEmpty, "no scan before the gap has passed")
        rig.clock.advance(by: .milliseconds(50))
        let event = await rig.events.next()
        #expect(event.data["text"] == "]E09506000134352")
    }

    @Test("an over-long frame is a frame-too-long fault with a bad-read beep, and the next read is fine")
    func frameTooLong() async throws {
        let bad: [UInt8] = [0x07]
        let rig = Rig(framing: .init(terminator: .cr, maxFrameLength: 16), bad: bad)
        let task = rig.start()
        defer { task.cancel() }
        _ = await rig.events.next()
        rig.device.feed(String(repeating: "9", count: 40) + "\r]C0OK-1\r")
        let fault = await rig.events.next()
        #expect(fault.type == .deviceFault)
        #expect(fault.data["reason"] == "frame-too-long")
        #expect(fault.data["count"] == 1)
        let scan = await rig.events.next()
        #expect(scan.data["text"] == "]C0OK-1")
        // The beeps follow once every frame of the read has its outcome: wait until the driver reads again.
        await rig.clock.waitForSleepers(1)
        #expect(rig.device.takeWritten() == bad)
    }

    @Test(
        "good and bad reads are answered with the profile's beep commands",
        arguments: [
            ("]C0PARCEL-1", true), ("]C101095060001343", false),
        ]
    )
    func beeps(wire: String, good: Bool) async throws {
        let rig = Rig(good: [0x16, 0x47], bad: [0x16, 0x42])
        let task = rig.start()
        defer { task.cancel() }
        _ = await rig.events.next()
        rig.device.feed(wire + "\r\n")
        _ = await rig.events.next(.scan)
        await rig.clock.waitForSleepers(1)
        #expect(rig.device.takeWritten() == (good ? [0x16, 0x47] : [0x16, 0x42]))
    }

    @Test(
        "a scan the event sink could not store beeps bad (or not at all without a bad-read command), never good",
        arguments: [[0x16, 0x42], nil] as [[UInt8]?]
    )
    func unstoredScanBeepsBad(bad: [UInt8]?) async throws {
        let rig = Rig(good: [0x16, 0x47], bad: bad)
        await rig.events.refuse(.scan)
        let task = rig.start()
        defer { task.cancel() }
        _ = await rig.events.next()
        rig.device.feed("]C0PARCEL-1\r\n")
        _ = await rig.events.next(.scan)
        await rig.clock.waitForSleepers(1)
        #expect(rig.device.takeWritten() == (bad ?? []))
    }

    @Test(
        "every frame of a read is handed on before the first is durable, and each beep follows its own outcome",
        arguments: [[true, true, true], [true, false, true], [false, false, false]]
    )
    func beepsWaitForTheirOwnEventWithoutHoldingTheNextFrame(stored: [Bool]) async throws {
        let good: [UInt8] = [0x16, 0x47]
        let bad: [UInt8] = [0x15]
        let rig = Rig(good: good, bad: bad)
        await rig.events.holdReceipts()
        let task = rig.start()
        defer { task.cancel() }
        _ = await rig.events.next()
        rig.device.feed("]C0PARCEL-A\r\n]C0PARCEL-B\r\n]C0PARCEL-C\r\n")
        for text in ["]C0PARCEL-A", "]C0PARCEL-B", "]C0PARCEL-C"] {
            #expect(await rig.events.next(.scan).data["text"] == .string(text))
        }
        // All three were taken while none is durable, and nothing has beeped yet.
        #expect(await rig.events.heldCount == 3)
        #expect(rig.device.takeWritten() == [])
        await rig.events.release(stored)
        await rig.clock.waitForSleepers(1)
        #expect(rig.device.takeWritten() == stored.flatMap { $0 ? good : bad })
    }

    @Test("unplugging the scanner reports disconnected; plugging it back reconnects after the backoff")
    func unplugAndReplug() async throws {
        let rig = Rig()
        let task = rig.start()
        defer { task.cancel() }
        let connected = await rig.events.next()
        #expect(connected.type == .deviceConnected)
        rig.device.unplug()
        let gone = await rig.events.next()
        #expect(gone.type == .deviceDisconnected)
        #expect(gone.data["reason"] == "unplugged")
        rig.device.plug()
        await rig.clock.waitForSleepers(1)
        rig.clock.advance(by: .milliseconds(100))
        let back = await rig.events.next()
        #expect(back.type == .deviceConnected)
        rig.device.feed("]C0AFTER\r\n")
        let scan = await rig.events.next()
        #expect(scan.data["text"] == "]C0AFTER")
        // The same events against their published schemas (python3-jsonschema).
        try #require(JSONSchemaValidator.isInstalled, "needs python3-jsonschema")
        let (status, report) = try await JSONSchemaValidator.validate(
            data: [connected, gone, back, scan].map { ($0.type, $0.data) },
            schemas: EventType.coreSchemas
        )
        #expect(status == 0 && report.isEmpty, "\(report)")
    }

    @Test("a scanner absent at start is reported once, retried with growing delays, and found when plugged in")
    func absentAtStart() async throws {
        let rig = Rig(plugged: false)
        let task = rig.start()
        defer { task.cancel() }
        let absent = await rig.events.next()
        #expect(absent.type == .deviceDisconnected)
        #expect(absent.data["reason"] == "not-found")
        for delay in [100, 200, 400] {
            await rig.clock.waitForSleepers(1)
            #expect(rig.clock.nextDeadline == rig.clock.now + .milliseconds(delay))
            rig.clock.advance(by: .milliseconds(delay))
        }
        await rig.clock.waitForSleepers(1)
        #expect(await rig.events.pending.isEmpty, "an outage is reported once, not once per retry")
        rig.device.plug()
        rig.clock.advance(by: .milliseconds(800))
        #expect(await rig.events.next().type == .deviceConnected)
    }

    @Test("a port whose stale input cannot be discarded is closed unread, reported once, and retried")
    func discardFailure() async throws {
        let rig = Rig()
        rig.device.failDiscardingInput(
            with: .operationFailed(path: "/dev/floorlink/scanner-1", operation: "tcflush(TCIFLUSH)", errno: 5)
        )
        let task = rig.start()
        defer { task.cancel() }
        let gone = await rig.events.next()
        #expect(gone.type == .deviceDisconnected)
        #expect(gone.data["reason"] == "io-error")
        await rig.clock.waitForSleepers(1)
        #expect(!rig.device.isOpen, "the port is closed again, nothing read")
        rig.clock.advance(by: .milliseconds(100))
        await rig.clock.waitForSleepers(1)
        #expect(await rig.events.pending.isEmpty, "reported once, not once per retry")
        rig.device.failDiscardingInput(with: nil)
        rig.clock.advance(by: .milliseconds(200))
        #expect(await rig.events.next().type == .deviceConnected)
    }

    /// How a port comes to be opened again in the middle of a read.
    enum Reopen: String, CaseIterable, Sendable {
        /// The daemon stops (SIGKILL, SIGTERM, or a reload) and a new driver opens the port.
        case restart
        /// The reader is unplugged and plugged back.
        case unplug
    }

    @Test(
        "a read cut in two by a reopen gives a partial-frame fault for its tail, never a scan, and the next read is fine",
        arguments: Reopen.allCases
    )
    func partialFrameAcrossReopen(reopen: Reopen) async throws {
        let rig = Rig(bad: [0x07])
        var task = rig.start()
        #expect(await rig.events.next().type == .deviceConnected)
        rig.device.feed("]A0PK-PART-")
        await rig.clock.waitForSleepers(1)
        #expect(rig.device.unreadBytes.isEmpty)
        switch reopen {
        case .restart:
            task.cancel()
            await task.value
            task = rig.start()
        case .unplug:
            rig.device.unplug()
            #expect(await rig.events.next().type == .deviceDisconnected)
            rig.device.plug()
            await rig.clock.waitForSleepers(1)
            rig.clock.advance(by: .milliseconds(100))
        }
        defer { task.cancel() }
        #expect(await rig.events.next().type == .deviceConnected)
        await rig.clock.waitForSleepers(1)
        rig.device.feed("00001\r\n")
        let fault = await rig.events.next()
        #expect(fault.type == .deviceFault)
        #expect(fault.data["reason"] == "partial-frame")
        rig.device.feed("]C0NEXT-1\r\n")
        let scan = await rig.events.next()
        #expect(scan.type == .scan)
        #expect(scan.data["text"] == "]C0NEXT-1")
        #expect(await rig.events.events.allSatisfy { $0.type != .scan || $0.data["text"] != "00001" })
        #expect(rig.device.takeWritten() == [0x07])
    }

    @Test(
        "without a start marker the first read after an open counts only after a quiet gap (default 100 ms)",
        arguments: [(0, false), (99, false), (100, true), (2000, true)]
    )
    func quietGapBeforeFirstRead(silenceMs: Int, whole: Bool) async throws {
        let rig = Rig(aimPrefix: false)
        let task = rig.start()
        defer { task.cancel() }
        #expect(await rig.events.next().type == .deviceConnected)
        await rig.clock.waitForSleepers(1)
        rig.clock.advance(by: .milliseconds(silenceMs))
        rig.device.feed("00001\r\n")
        let first = await rig.events.next()
        if whole {
            #expect(first.type == .scan)
            #expect(first.data["text"] == "00001")
        } else {
            #expect(first.type == .deviceFault)
            #expect(first.data["reason"] == "partial-frame")
        }
        rig.device.feed("00002\r\n")
        #expect(await rig.events.next().data["text"] == "00002", "only the first read after an open is in doubt")
    }

    @Test(
        "a configured prefix marks a whole first read at once; a first read without it is a partial frame",
        arguments: [("\u{02}PARCEL-9\r\n", true), ("CEL-9\r\n", false)]
    )
    func prefixMarksFirstRead(wire: String, whole: Bool) async throws {
        let rig = Rig(framing: .init(terminator: .crlf, prefix: [0x02]), aimPrefix: false)
        let task = rig.start()
        defer { task.cancel() }
        #expect(await rig.events.next().type == .deviceConnected)
        await rig.clock.waitForSleepers(1)
        rig.device.feed(wire)
        let first = await rig.events.next()
        #expect(first.type == (whole ? .scan : .deviceFault))
        #expect(first.data[whole ? "text" : "reason"] == (whole ? "PARCEL-9" : "partial-frame"))
    }

    @Test("bytes a previous open left unread are discarded when the port is opened again")
    func staleInputDiscardedOnOpen() async throws {
        let rig = Rig()
        let previous = try await rig.backend.open(path: "/dev/floorlink/scanner-1", configuration: .init())
        rig.device.feed("]C0STALE-1\r\n")
        previous.close()
        #expect(!rig.device.unreadBytes.isEmpty, "the simulated line keeps unread input across a close, as a tty does")
        let task = rig.start()
        defer { task.cancel() }
        #expect(await rig.events.next().type == .deviceConnected)
        await rig.clock.waitForSleepers(1)
        rig.device.feed("]C0FRESH-1\r\n")
        let first = await rig.events.next()
        #expect(first.type == .scan)
        #expect(first.data["text"] == "]C0FRESH-1")
    }

    /// Who is behind a simulated port: a USB vendor, product and serial number, or a pseudo-terminal.
    struct Identity: Sendable, CustomTestStringConvertible {
        var name: String
        var transport: SerialPortInfo.Transport = .usb
        var vendor: UInt16?
        var product: UInt16?
        var serial: String?
        var testDescription: String { name }

        static let original = Identity(name: "the original", vendor: 0x0C2E, product: 0x0B6A, serial: "19283746")

        /// Plugs a device with this identity in at the rig's port, in place of whatever was there.
        @discardableResult
        func plug(into rig: Rig) -> SimulatedSerialDevice {
            rig.backend.addDevice(
                path: "/dev/floorlink/scanner-1",
                transport: transport,
                usbVendorID: vendor,
                usbProductID: product,
                serialNumber: serial
            )
        }
    }

    static let strangers = [
        Identity(name: "another model", vendor: 0x1A86, product: 0x7523),
        Identity(name: "the same model, another serial number", vendor: 0x0C2E, product: 0x0B6A, serial: "55501234"),
        Identity(name: "a pseudo-terminal", transport: .pseudoTerminal),
    ]

    @Test(
        "a stranger at the port after a reconnect is an identity-changed fault and is never read; the original is",
        arguments: strangers
    )
    func strangerAtThePort(stranger: Identity) async throws {
        let rig = Rig()
        Identity.original.plug(into: rig)
        let task = rig.start()
        defer { task.cancel() }
        #expect(await rig.events.next().type == .deviceConnected)
        rig.backend.device(at: "/dev/floorlink/scanner-1")?.unplug()
        #expect(await rig.events.next().type == .deviceDisconnected)

        let impostor = stranger.plug(into: rig)
        await rig.clock.waitForSleepers(1)
        rig.clock.advance(by: .milliseconds(100))
        let fault = await rig.events.next()
        #expect(fault.type == .deviceFault)
        #expect(fault.data["reason"] == "identity-changed")
        #expect(fault.data["expected"] == "USB 0c2e:0b6a serial 19283746")
        await rig.clock.waitForSleepers(1)
        #expect(!impostor.isOpen, "the stranger's port is closed again at once")
        impostor.feed("]C0STRANGER-1\r\n")
        // Still retried with backoff, and the same stranger is reported once, not once per retry.
        rig.clock.advance(by: .milliseconds(200))
        await rig.clock.waitForSleepers(1)
        #expect(rig.clock.nextDeadline == rig.clock.now + .milliseconds(400))
        #expect(await rig.events.pending.isEmpty)

        let original = Identity.original.plug(into: rig)
        rig.clock.advance(by: .milliseconds(400))
        #expect(await rig.events.next().type == .deviceConnected)
        await rig.clock.waitForSleepers(1)
        original.feed("]C0BACK-1\r\n")
        #expect(await rig.events.next().data["text"] == "]C0BACK-1")
        #expect(await rig.events.events.allSatisfy { $0.type != .scan || $0.data["text"] != "]C0STRANGER-1" })
    }

    @Test(
        "a port without a USB identity (a pseudo-terminal) is not compared: what is at the path after a reconnect is read"
    )
    func noIdentityNotCompared() async throws {
        let rig = Rig()
        let pty = Identity(name: "a pseudo-terminal", transport: .pseudoTerminal)
        pty.plug(into: rig)
        let task = rig.start()
        defer { task.cancel() }
        #expect(await rig.events.next().type == .deviceConnected)
        rig.backend.device(at: "/dev/floorlink/scanner-1")?.unplug()
        #expect(await rig.events.next().type == .deviceDisconnected)
        let next = pty.plug(into: rig)
        await rig.clock.waitForSleepers(1)
        rig.clock.advance(by: .milliseconds(100))
        #expect(await rig.events.next().type == .deviceConnected)
        await rig.clock.waitForSleepers(1)
        next.feed("]C0PTY-2\r\n")
        #expect(await rig.events.next().data["text"] == "]C0PTY-2")
    }

    /// A handler that keeps scans local, as a locker's code reader does.
    actor LocalHandler: ScanHandler {
        var texts: [String] = []
        func handle(_ scan: Scan) async -> ScanOutcome {
            texts.append(scan.text)
            return .rejected
        }
    }

    @Test("scans given to a local handler are never published")
    func localHandler() async throws {
        let handler = LocalHandler()
        let rig = Rig(aimPrefix: false, bad: [0x07], handler: handler)
        let task = rig.start()
        defer { task.cancel() }
        _ = await rig.events.next()
        await rig.waitOutQuietGap()
        rig.device.feed("483920\r\n")
        while rig.device.written.isEmpty { await Task.yield() }
        #expect(await handler.texts == ["483920"])
        #expect(await rig.events.events.allSatisfy { $0.type != .scan })
    }

    @Test(
        "a scan whose GS1 data repeats an AI still gives readable JSON, each AI once, first occurrence first",
        arguments: [
            // The fuzzer's input (FuzzScanner): separator recovery splits the run of 1s into AI 11 three times.
            ("]C1101C10109501091111111111111111111111111111111", ["10", "11"]),
            // More than 16 elements, which are told apart by hashing rather than by comparing each with the rest.
            ("]C1" + String(repeating: "10A\u{1D}21B\u{1D}", count: 12), ["10", "21"]),
        ]
    )
    func repeatedAI(_ text: String, keys: [String]) throws {
        let scan = Scan(device: "scanner-1", bytes: Array(text.utf8), aimPrefix: true, time: .zero)
        #expect(scan.decoded.gs1Error == nil)
        let reparsed = try JSONValue(parsing: scan.eventData.jsonText)
        #expect(reparsed == scan.eventData)
        guard case .object(let members) = try #require(reparsed["gs1"]) else {
            Issue.record("no gs1 object")
            return
        }
        #expect(members.map(\.0) == keys)
    }
}

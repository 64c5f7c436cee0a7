import Devices
import Events
import HAL
import HALSimulated
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
        let rig = Rig()
        let task = rig.start()
        defer { task.cancel() }
        #expect(await rig.events.next().type == .deviceConnected)
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
        let rig = Rig()
        let task = rig.start()
        defer { task.cancel() }
        _ = await rig.events.next()
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

    @Test("unplugging the scanner reports disconnected; plugging it back reconnects after the backoff")
    func unplugAndReplug() async throws {
        let rig = Rig()
        let task = rig.start()
        defer { task.cancel() }
        #expect(await rig.events.next().type == .deviceConnected)
        rig.device.unplug()
        let gone = await rig.events.next()
        #expect(gone.type == .deviceDisconnected)
        #expect(gone.data["reason"] == "unplugged")
        rig.device.plug()
        await rig.clock.waitForSleepers(1)
        rig.clock.advance(by: .milliseconds(100))
        #expect(await rig.events.next().type == .deviceConnected)
        rig.device.feed("]C0AFTER\r\n")
        #expect(await rig.events.next().data["text"] == "]C0AFTER")
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
        let rig = Rig(bad: [0x07], handler: handler)
        let task = rig.start()
        defer { task.cancel() }
        _ = await rig.events.next()
        rig.device.feed("483920\r\n")
        while rig.device.written.isEmpty { await Task.yield() }
        #expect(await handler.texts == ["483920"])
        #expect(await rig.events.events.allSatisfy { $0.type != .scan })
    }

    @Test("a scan whose GS1 data repeats an AI still gives readable JSON, each AI once (found by FuzzScanner)")
    func repeatedAI() throws {
        // The fuzzer's input: separator recovery splits the run of 1s into AI 11 three times.
        let bytes = Array("]C1101C10109501091111111111111111111111111111111".utf8)
        let scan = Scan(device: "scanner-1", bytes: bytes, aimPrefix: true, time: .zero)
        let reparsed = try JSONValue(parsing: scan.eventData.jsonText)
        #expect(reparsed == scan.eventData)
        guard case .object(let members) = try #require(reparsed["gs1"]) else {
            Issue.record("no gs1 object")
            return
        }
        #expect(Set(members.map(\.0)).count == members.count)
    }
}

import Devices
import Events
import HAL
import HALSimulated
import Testing

/// The RFID reader driver with the M100 protocol on a simulated serial port and a manual clock.
@Suite("RFID reader")
struct RFIDReaderTests {
    struct Rig {
        let clock = ManualClock()
        let backend: SimulatedSerialBackend
        let device: SimulatedSerialDevice
        let events = EventRecorder()
        let reader: RFIDReader<M100Protocol>

        init(window: Duration = .seconds(2), refresh: Duration = .seconds(30)) {
            backend = SimulatedSerialBackend(clock: clock)
            device = backend.addDevice(path: "/dev/ttyUSB1")
            reader = RFIDReader(
                configuration: .init(
                    id: "rfid-1",
                    port: "/dev/ttyUSB1",
                    dedupWindow: window,
                    inventoryRefresh: refresh
                ),
                protocol: M100Protocol(),
                backend: backend,
                clock: clock,
                events: events,
                backoff: Backoff(initial: .milliseconds(100))
            )
        }

        func start() async -> Task<Void, Never> {
            let reader = reader
            let task = Task { await reader.run() }
            #expect(await events.next().type == .deviceConnected)
            return task
        }
    }

    /// EPC TDS SGTIN-96 example: urn:epc:id:sgtin:0614141.812345.6789 (filter 3).
    static let sgtin = bytes("3074257BF7194E4000001A85")

    static func notice(_ epc: [UInt8], rssi: Int = -50) -> [UInt8] {
        M100Vectors.notice(for: TagObservation(epc: epc, pc: 0x3000, rssi: rssi, antenna: 1, crc: 0x1234))
    }

    @Test("on connect the reader is told to start a multi-round inventory")
    func startsInventory() async throws {
        let rig = Rig()
        let task = await rig.start()
        defer { task.cancel() }
        await rig.clock.waitForSleepers(1)
        #expect(rig.device.takeWritten() == M100Protocol().encode(.startInventory(rounds: .max)))
    }

    @Test(
        "repeated reads of a tag within the window fold into one tag.read with a count and the EPC URI",
        arguments: [1, 5, 50]
    )
    func dedup(reads: Int) async throws {
        let rig = Rig()
        let task = await rig.start()
        defer { task.cancel() }
        for index in 0..<reads {
            rig.device.feed(Self.notice(Self.sgtin, rssi: -60 + index % 10))
        }
        await rig.clock.waitForSleepers(1)
        #expect(await rig.events.pending.isEmpty, "nothing before the window closes")
        rig.clock.advance(by: .seconds(2))
        let event = await rig.events.next()
        #expect(event.type == .tagRead)
        #expect(
            event.data.jsonText
                == #"{"epc":"3074257bf7194e4000001a85","uri":"urn:epc:id:sgtin:0614141.812345.6789","#
                + #""rssi":\#(-60 + min(reads - 1, 9)),"antenna":1,"count":\#(reads)}"#
        )
    }

    @Test("an EPC that is no known scheme is reported with a null URI, not guessed")
    func unknownScheme() async throws {
        let rig = Rig()
        let task = await rig.start()
        defer { task.cancel() }
        rig.device.feed(Self.notice(bytes("E2801160600002054A71B2C5")))
        await rig.clock.waitForSleepers(1)
        rig.clock.advance(by: .seconds(2))
        let event = await rig.events.next()
        #expect(event.data["uri"] == .null)
        #expect(event.data["epc"] == "e2801160600002054a71b2c5")
    }

    @Test("bad frames and garbage become device.fault with running counts, and good frames still get through")
    func faults() async throws {
        let rig = Rig()
        let task = await rig.start()
        defer { task.cancel() }
        var corrupt = Self.notice(Self.sgtin)
        corrupt[corrupt.count - 2] ^= 0xFF
        rig.device.feed(corrupt + Self.notice(Self.sgtin) + corrupt + [0x00, 0x11] + M100Vectors.noTag)
        let first = await rig.events.next()
        #expect(first.type == .deviceFault && first.data["reason"] == "bad-checksum" && first.data["count"] == 1)
        let second = await rig.events.next()
        #expect(second.data["reason"] == "bad-checksum" && second.data["count"] == 2)
        await rig.clock.waitForSleepers(1)
        rig.clock.advance(by: .seconds(2))
        let read = await rig.events.next(.tagRead)
        #expect(read.data["count"] == 1)
        #expect(await rig.events.events.allSatisfy { $0.data["reason"] != "module-error" }, "no-tag is not a fault")
    }

    @Test("reads still in a window when the reader is unplugged are reported before the disconnect")
    func unplugFlushes() async throws {
        let rig = Rig()
        let task = await rig.start()
        defer { task.cancel() }
        rig.device.feed(Self.notice(Self.sgtin) + Self.notice(Self.sgtin))
        await rig.clock.waitForSleepers(1)
        rig.device.unplug()
        let read = await rig.events.next()
        #expect(read.type == .tagRead && read.data["count"] == 2)
        #expect(await rig.events.next().type == .deviceDisconnected)
    }

    @Test("the inventory command is sent again after the refresh interval")
    func refresh() async throws {
        let rig = Rig(refresh: .seconds(30))
        let task = await rig.start()
        defer { task.cancel() }
        await rig.clock.waitForSleepers(1)
        _ = rig.device.takeWritten()
        rig.clock.advance(by: .seconds(30))
        await rig.clock.waitForSleepers(1)
        #expect(rig.device.takeWritten() == M100Protocol().encode(.startInventory(rounds: .max)))
    }
}

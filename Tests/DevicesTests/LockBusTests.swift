import Devices
import Events
import HAL
import HALSimulated
import Testing

/// Which board family a bus test runs with: the host's protocol and the simulator's, set alike.
enum BoardFamily: String, CaseIterable, Sendable, CustomStringConvertible {
    case cu16
    case modbus

    var hostProtocol: any LockBoardProtocol {
        switch self {
        case .cu16: CU16BoardProtocol()
        case .modbus: ModbusBoardProtocol()
        }
    }

    var simulated: SimulatedLockBoardBus.BoardProtocol {
        switch self {
        case .cu16: .cu16()
        case .modbus: .modbusRTU()
        }
    }

    var description: String { rawValue }
}

/// A bus of simulated boards at addresses 1 and 2 on a manual clock that runs by itself (`runVirtualTime`).
struct BusRig {
    static let port = "/dev/floorlink/rs485-1"

    let clock = ManualClock()
    let backend: SimulatedSerialBackend
    let device: SimulatedSerialDevice
    let boards: SimulatedLockBoardBus
    let events = EventRecorder()
    let bus: LockBus
    let runner: Task<Void, Never>
    let time: Task<Void, Never>

    init(
        family: BoardFamily,
        hostProtocol: (any LockBoardProtocol)? = nil,
        simulated: SimulatedLockBoardBus.BoardProtocol? = nil,
        addresses: [UInt8] = [1, 2],
        serial: SerialConfiguration = SerialConfiguration(baud: 19_200)
    ) {
        backend = SimulatedSerialBackend(clock: clock)
        device = backend.addDevice(path: Self.port, usbVendorID: 0x0403, usbProductID: 0x6001, serialNumber: "RS485A")
        boards = SimulatedLockBoardBus(device: device, protocol: simulated ?? family.simulated, clock: clock)
        for address in addresses { boards.addBoard(address: address) }
        let bus = LockBus(
            configuration: LockBusConfiguration(
                id: "rs485-1",
                port: Self.port,
                serial: serial,
                boards: addresses.map { LockBoardSettings(address: $0) }
            ),
            boardProtocol: hostProtocol ?? family.hostProtocol,
            backend: backend,
            clock: clock,
            events: events,
            backoff: Backoff(initial: .milliseconds(250), maximum: .seconds(1))
        )
        self.bus = bus
        runner = Task { await bus.run() }
        time = runVirtualTime(clock)
    }

    /// Waits for the bus and each of its boards to be connected.
    func connected(boards count: Int = 2) async {
        #expect(await events.next(.deviceConnected).device == "rs485-1")
        for _ in 0..<count { _ = await events.next(.deviceConnected) }
    }

    /// The next event from `device`, skipping others.
    func next(from device: String) async -> RecordedEvent {
        while true {
            let event = await events.next()
            if event.device == device { return event }
        }
    }

    func stop() async {
        runner.cancel()
        await runner.value
        time.cancel()
        await time.value
    }
}

@Suite("LockBus on simulated boards", .timeLimit(.minutes(1)))
struct LockBusTests {
    @Test(
        "the bus and every board answering are reported connected, each board under <bus>/<address>",
        arguments: BoardFamily.allCases
    )
    func connects(family: BoardFamily) async {
        let rig = BusRig(family: family)
        let bus = await rig.events.next(.deviceConnected)
        #expect(bus.device == "rs485-1")
        #expect(bus.data["port"] == .string(BusRig.port))
        let first = await rig.events.next(.deviceConnected)
        let second = await rig.events.next(.deviceConnected)
        #expect([first.device, second.device] == ["rs485-1/1", "rs485-1/2"])
        #expect(
            first.data["bus"] == "rs485-1" && first.data["board"] == 1 && first.data["port"] == .string(BusRig.port)
        )
        #expect(await rig.bus.health().map(\.state) == [.online, .online])
        await rig.stop()
    }

    @Test(
        "a board that stops answering: a fault per attempt, then disconnected, then connected again",
        arguments: BoardFamily.allCases
    )
    func boardStopsAnswering(family: BoardFamily) async {
        let rig = BusRig(family: family)
        await rig.connected()
        rig.boards.setFault(board: 2, .noReply)
        for attempt in 1...3 {
            let fault = await rig.next(from: "rs485-1/2")
            #expect(fault.type == .deviceFault, "attempt \(attempt): \(fault)")
            #expect(fault.data["reason"] == "no-reply")
            #expect(fault.data["count"] == .int(Int64(attempt)))
            #expect(fault.data["detail"]?.stringValue?.contains("status read of board 2") == true, "\(fault)")
        }
        let down = await rig.next(from: "rs485-1/2")
        #expect(down.type == .deviceDisconnected)
        #expect(down.data["reason"] == "no-reply")
        #expect(await rig.bus.health().map(\.state) == [.online, .offline])
        rig.boards.setFault(board: 2, nil)
        let back = await rig.next(from: "rs485-1/2")
        #expect(back.type == .deviceConnected, "\(back)")
        #expect(await rig.events.events.allSatisfy { $0.device != "rs485-1/1" || $0.type == .deviceConnected })
        await rig.stop()
    }

    struct Misbehaviour: Sendable, CustomStringConvertible {
        var family: BoardFamily
        var fault: SimulatedLockBoardBus.Fault
        var reason: String
        var detail: String
        var description: String { "\(family) \(fault)" }
    }

    static let misbehaviours: [Misbehaviour] = [
        Misbehaviour(family: .cu16, fault: .badChecksum, reason: "bad-checksum", detail: "SUM"),
        Misbehaviour(family: .modbus, fault: .badChecksum, reason: "bad-checksum", detail: "CRC"),
        Misbehaviour(family: .cu16, fault: .wrongAddress(7), reason: "bad-frame", detail: "an answer from board 7"),
        Misbehaviour(family: .modbus, fault: .wrongAddress(7), reason: "bad-frame", detail: "an answer from unit 7"),
        Misbehaviour(family: .modbus, fault: .exception(2), reason: "exception", detail: "illegal data address"),
        Misbehaviour(family: .cu16, fault: .slowReply(.milliseconds(150)), reason: "no-reply", detail: "within 100 ms"),
        Misbehaviour(
            family: .modbus,
            fault: .slowReply(.milliseconds(150)),
            reason: "no-reply",
            detail: "within 100 ms"
        ),
    ]

    @Test("a board that answers wrongly gives a fault with its reason and what was wrong", arguments: misbehaviours)
    func misbehaviour(_ case: Misbehaviour) async throws {
        let rig = BusRig(family: `case`.family)
        await rig.connected()
        rig.boards.setFault(board: 1, `case`.fault)
        let fault = await rig.next(from: "rs485-1/1")
        #expect(fault.type == .deviceFault, "\(`case`): \(fault)")
        #expect(fault.data["reason"] == .string(`case`.reason), "\(`case`): \(fault)")
        let detail = try #require(fault.data["detail"]?.stringValue)
        #expect(detail.contains(`case`.detail), "\(`case`): \(detail)")
        if case .exception(let code) = `case`.fault { #expect(fault.data["code"] == .int(Int64(code))) }
        await rig.stop()
    }

    @Test("a reply that takes 60 ms, within the 100 ms timeout, is no fault")
    func slowButInTime() async {
        let rig = BusRig(family: .modbus)
        await rig.connected()
        rig.boards.setFault(board: 1, .slowReply(.milliseconds(60)))
        let before = rig.boards.requestCount(board: 1)
        while rig.boards.requestCount(board: 1) < before + 5 {
            await rig.clock.waitForSleepers(1)
            await Task.yield()
        }
        await rig.stop()
        #expect(await rig.events.events.filter { $0.type == .deviceFault }.isEmpty)
    }

    @Test("transactions never overlap: each request waits for the previous one's reply and the inter-frame gap")
    func halfDuplex() async {
        let rig = BusRig(family: .modbus, serial: SerialConfiguration(baud: 9600))
        await rig.connected()
        _ = try? await rig.bus.setLock(board: 1, channel: 3, energised: true)
        _ = try? await rig.bus.setLock(board: 1, channel: 3, energised: false)
        while rig.boards.requests.count < 12 {
            await rig.clock.waitForSleepers(1)
            await Task.yield()
        }
        await rig.stop()
        let requests = rig.boards.requests
        let gap = BusLine.interFrameGap(for: SerialConfiguration(baud: 9600))
        for (earlier, later) in zip(requests, requests.dropFirst()) {
            #expect(later.time - earlier.time >= gap, "\(earlier.time) then \(later.time)")
        }
        // Both boards are polled in turn, and each answer came from the board asked.
        let units = Set(requests.map { $0.bytes[0] })
        #expect(units == [1, 2])
        #expect(await rig.events.events.allSatisfy { $0.type != .deviceFault })
    }

    struct GapCase: Sendable, CustomStringConvertible {
        var serial: SerialConfiguration
        var nanoseconds: Int64
        var description: String { "\(serial)" }
    }

    static let gaps: [GapCase] = [
        GapCase(serial: SerialConfiguration(baud: 9600), nanoseconds: 3_645_834),
        GapCase(serial: SerialConfiguration(baud: 9600, parity: .even), nanoseconds: 4_010_417),
        GapCase(serial: SerialConfiguration(baud: 19_200), nanoseconds: 1_822_917),
        GapCase(serial: SerialConfiguration(baud: 38_400), nanoseconds: 1_750_000),
        GapCase(serial: SerialConfiguration(baud: 115_200), nanoseconds: 1_750_000),
    ]

    /// A bus restarted mid-transaction (a reload, an unplugged adapter, the VM checks' buses one after another) opens
    /// its port while a board's reply to the old session is still on its way. Without settling, its tail arrives
    /// after the first request's discard and is read ahead of that request's reply: a `bad-frame` fault, "7 bytes
    /// outside any frame", for a board that answered correctly.
    @Test(
        "a reply still on its way when the port opens is dropped by the first request once the line has settled",
        arguments: [(Duration.zero, false), (.milliseconds(100), true)]
    )
    func replyFromBeforeTheOpen(settling: Duration, answered: Bool) async throws {
        let clock = ManualClock()
        let backend = SimulatedSerialBackend(clock: clock)
        let device = backend.addDevice(path: BusRig.port, usbVendorID: 0x0403, usbProductID: 0x6001)
        let boards = SimulatedLockBoardBus(device: device, protocol: .cu16(), clock: clock)
        boards.addBoard(address: 1)
        boards.setFault(board: 1, .slowReply(.milliseconds(5)))
        let serial = SerialConfiguration(baud: 19_200)
        let port = try await backend.open(path: BusRig.port, configuration: serial)
        defer { port.close() }
        let opened = clock.now
        let transaction = Task {
            var line = BusLine(
                port: port,
                boardProtocol: CU16BoardProtocol(),
                serial: serial,
                clock: clock,
                settling: settling
            )
            return try await line.transact(CU16BoardProtocol().statusRequest(address: 1), timeout: .milliseconds(100))
        }
        // The line settling, or (with none) the request sent and its reply due: then the last seven bytes of a status
        // reply to the old session come in (its STX and address went before the open).
        await clock.waitForSleepers(1)
        device.feed([0x35, 0x00, 0x00, 0x00, 0x00, 0x03, 0x3A])
        let time = runVirtualTime(clock)
        let outcome = try await transaction.value
        time.cancel()
        await time.value
        if answered {
            guard case .reply(.status(let status), let at) = outcome else {
                Issue.record("expected board 1's status, got \(outcome)")
                return
            }
            #expect(status.address == 1)
            #expect(at >= opened + settling, "the request waited for the line to settle")
        } else {
            #expect(
                outcome == .fault(BoardFault(reason: BoardFault.Reason.badFrame, detail: "7 bytes outside any frame"))
            )
        }
        #expect(device.unreadBytes.isEmpty)
    }

    @Test("the inter-frame gap is 3.5 character times, and 1.75 ms above 19200 baud", arguments: gaps)
    func interFrameGap(_ gap: GapCase) {
        #expect(BusLine.interFrameGap(for: gap.serial) == .nanoseconds(gap.nanoseconds), "\(gap)")
    }

    @Test("a Modbus lock write switches the coil and returns when the board has it; off switches it back")
    func modbusLockWrite() async throws {
        let rig = BusRig(family: .modbus)
        await rig.connected()
        let driven = try await rig.bus.setLock(board: 2, channel: 5, energised: true)
        #expect(rig.boards.isLockReleased(board: 2, channel: 5))
        #expect(rig.boards.lockHistory(board: 2).first?.time ?? .zero <= driven)
        _ = try await rig.bus.setLock(board: 2, channel: 5, energised: false)
        #expect(!rig.boards.isLockReleased(board: 2, channel: 5))
        #expect(rig.boards.lockHistory(board: 2).map(\.released) == [true, false])
        await rig.stop()
    }

    @Test("a CU16 unlock pulses the lock for the board's own time, with no reply expected and none needed")
    func cu16Unlock() async throws {
        let rig = BusRig(family: .cu16)
        await rig.connected()
        let driven = try await rig.bus.setLock(board: 1, channel: 16, energised: true)
        // The board ends the pulse itself: a switch-off sends nothing.
        let requests = rig.boards.requests.count
        _ = try await rig.bus.setLock(board: 1, channel: 16, energised: false)
        #expect(rig.boards.requests.count == requests)
        while rig.boards.lockHistory(board: 1).count < 2 {
            await rig.clock.waitForSleepers(1)
            await Task.yield()
        }
        let history = rig.boards.lockHistory(board: 1)
        #expect(history.map(\.channel) == [16, 16])
        #expect(history[1].time - history[0].time == .milliseconds(500))
        #expect(history[0].time <= driven)
        await rig.stop()
    }

    @Test("a CU16 unlock to a board that stopped answering is refused, not sent into the void")
    func cu16UnlockToDeadBoard() async throws {
        let rig = BusRig(family: .cu16)
        await rig.connected()
        rig.boards.setFault(board: 1, .noReply)
        while await rig.next(from: "rs485-1/1").type != .deviceDisconnected {}
        await #expect {
            try await rig.bus.setLock(board: 1, channel: 2, energised: true)
        } throws: { error in
            (error as? HALError)?.description.contains("not answering its status polls") == true
        }
        #expect(rig.boards.requests.allSatisfy { $0.bytes[3] != 0x31 }, "no unlock went out")
        await rig.stop()
    }

    @Test("a host-timed lock nobody switches off is switched off by the bus at its limit, and reported")
    func hardLimit() async throws {
        let rig = BusRig(family: .modbus)
        await rig.connected()
        let driven = try await rig.bus.setLock(board: 1, channel: 2, energised: true, limit: .seconds(2))
        let fault = await rig.next(from: "rs485-1/1")
        #expect(fault.type == .deviceFault && fault.data["reason"] == "pulse-cap", "\(fault)")
        let history = rig.boards.lockHistory(board: 1)
        #expect(history.map(\.released) == [true, false])
        let off = try #require(history.last?.time)
        #expect(off - driven >= .seconds(2))
        await rig.stop()
    }

    @Test("an unplugged adapter: its boards and the bus are reported gone, and all come back when it is replugged")
    func unplugged() async {
        let rig = BusRig(family: .cu16)
        await rig.connected()
        rig.device.unplug()
        var gone: [String: String] = [:]
        while gone.count < 3 {
            let event = await rig.events.next(.deviceDisconnected)
            gone[event.device] = event.data["reason"]?.stringValue
        }
        #expect(gone == ["rs485-1/1": "bus-down", "rs485-1/2": "bus-down", "rs485-1": "unplugged"])
        await #expect(throws: HALError.disconnected(path: BusRig.port)) {
            try await rig.bus.setLock(board: 1, channel: 1, energised: true)
        }
        rig.device.plug()
        await rig.connected()
        await rig.stop()
    }

    @Test(
        "Modbus boards read with input registers (04) or written with multiple coils (0F) work as the default map does",
        arguments: [
            ModbusBoardProtocol(sensorRead: .inputRegisters), ModbusBoardProtocol(lockWrite: .multipleCoils),
            ModbusBoardProtocol(firstCoil: 100, firstInput: 200),
        ]
    )
    func modbusMaps(_ host: ModbusBoardProtocol) async throws {
        let simulated: SimulatedLockBoardBus.BoardProtocol = .modbusRTU(
            firstCoil: host.firstCoil,
            firstInput: host.firstInput
        )
        let rig = BusRig(family: .modbus, hostProtocol: host, simulated: simulated)
        await rig.connected()
        rig.boards.setDoor(board: 2, channel: 12, open: true)
        let status = try await rig.bus.status(board: 2)
        #expect(status.sensorBits.enumerated().filter(\.element).map(\.offset) == [11])
        _ = try await rig.bus.setLock(board: 1, channel: 9, energised: true)
        #expect(rig.boards.isLockReleased(board: 1, channel: 9))
        _ = try await rig.bus.setLock(board: 1, channel: 9, energised: false)
        #expect(!rig.boards.isLockReleased(board: 1, channel: 9))
        await rig.stop()
        #expect(await rig.events.events.allSatisfy { $0.type != .deviceFault })
    }

    @Test("a switch-off asked for while the adapter is out is sent first when it is back, and is no fault")
    func switchOffWhileDown() async throws {
        let rig = BusRig(family: .modbus)
        await rig.connected()
        rig.device.unplug()
        while await rig.events.next(.deviceDisconnected).device != "rs485-1" {}
        _ = try await rig.bus.setLock(board: 1, channel: 3, energised: false)
        rig.device.plug()
        await rig.connected()
        let off = ModbusRequest(unit: 1, .writeSingleCoil(address: 2, on: false)).bytes
        while !rig.boards.requests.contains(where: { $0.bytes == off }) {
            await rig.clock.waitForSleepers(1)
            await Task.yield()
        }
        await rig.stop()
        #expect(await rig.events.events.allSatisfy { $0.type != .deviceFault })
    }

    @Test("probe shows the raw bits as the board sends them, before any polarity", arguments: BoardFamily.allCases)
    func probe(family: BoardFamily) async throws {
        let simulated: SimulatedLockBoardBus.BoardProtocol =
            family == .cu16
            ? .cu16(lockReleasedWhenSet: false, sensorOpenWhenSet: false) : .modbusRTU(sensorOpenWhenSet: false)
        let rig = BusRig(family: family, simulated: simulated)
        await rig.connected()
        rig.boards.setDoor(board: 1, channel: 3, open: true)
        let answer = try await rig.bus.probe(address: 1, timeout: .milliseconds(100))
        let sensors = try #require(answer.sensorBits)
        #expect(sensors.count == 16)
        #expect(sensors.enumerated().filter { !$0.element }.map(\.offset) == [2], "only channel 3 reads clear")
        let locks = try #require(answer.lockBits)
        // CU16 reports "held" as set with this polarity; Modbus coils are off while held.
        #expect(locks == Array(repeating: family == .cu16, count: 16))
        let nobody = try await rig.bus.probe(address: 9, timeout: .milliseconds(50))
        #expect(nobody.sensorBits == nil && nobody.fault?.reason == "no-reply")
        await rig.stop()
    }
}

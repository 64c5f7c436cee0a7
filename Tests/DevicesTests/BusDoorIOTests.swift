import Devices
import Events
import HAL
import HALSimulated
import Testing

/// A locker bank whose doors are on simulated lock boards: B1 and B2 on board 1 channels 1 and 2, C16 on board 2
/// channel 16. The bus and the bank share one event recorder and a clock that runs by itself.
private struct BankRig {
    let bus: BusRig
    let bank: LockerBank
    let runner: Task<Void, Never>

    init(
        family: BoardFamily,
        hostProtocol: (any LockBoardProtocol)? = nil,
        simulated: SimulatedLockBoardBus.BoardProtocol? = nil,
        maxConcurrentUnlocks: Int = 2,
        prepare: (SimulatedLockBoardBus) -> Void = { _ in }
    ) async {
        bus = BusRig(family: family, hostProtocol: hostProtocol, simulated: simulated)
        prepare(bus.boards)
        await bus.connected()
        let io = BusDoorIO(
            doors: [
                BusDoorAddress(door: "B1", bus: bus.bus, board: 1, channel: 1),
                BusDoorAddress(door: "B2", bus: bus.bus, board: 1, channel: 2),
                BusDoorAddress(door: "C16", bus: bus.bus, board: 2, channel: 16),
            ],
            clock: bus.clock,
            maxPulse: .seconds(2)
        )
        var configuration = lockerConfiguration(doors: ["B1", "B2", "C16"])
        configuration.maxConcurrentUnlocks = maxConcurrentUnlocks
        let bank = LockerBank(configuration: configuration, io: io, clock: bus.clock, events: bus.events)
        self.bank = bank
        runner = Task { await bank.run() }
        _ = try? await bank.status()
    }

    func stop() async {
        runner.cancel()
        await runner.value
        await bus.stop()
    }
}

@Suite("LockerBank on RS-485 lock boards (BusDoorIO)", .timeLimit(.minutes(1)))
struct BusDoorIOTests {
    @Test(
        "unlock → the next status poll shows the door open → locker.door.opened; closed when it is shut",
        arguments: BoardFamily.allCases
    )
    func unlockOpenClose(family: BoardFamily) async throws {
        let rig = await BankRig(family: family)
        try await rig.bank.open(door: "C16", reason: .deposit)
        let unlocked = await rig.bus.events.next(.lockerUnlocked)
        #expect(unlocked.data["door"] == "C16")
        let opened = await rig.bus.events.next(.lockerDoorOpened)
        #expect(opened.data["door"] == "C16" && opened.data["authorised"] == true, "\(opened)")
        #expect(rig.bus.boards.isDoorOpen(board: 2, channel: 16))
        rig.bus.boards.setDoor(board: 2, channel: 16, open: false)
        let closed = await rig.bus.events.next(.lockerDoorClosed)
        #expect(closed.data["door"] == "C16")
        #expect(await rig.bus.events.events.allSatisfy { $0.type != .lockerDoorForced && $0.type != .deviceFault })
        await rig.stop()
    }

    @Test("a door opened without an unlock is forced", arguments: BoardFamily.allCases)
    func forced(family: BoardFamily) async throws {
        let rig = await BankRig(family: family)
        rig.bus.boards.setDoor(board: 1, channel: 2, open: true)
        let opened = await rig.bus.events.next(.lockerDoorOpened)
        #expect(opened.data["door"] == "B2" && opened.data["authorised"] == false)
        let forced = await rig.bus.events.next(.lockerDoorForced)
        #expect(forced.data["door"] == "B2")
        await rig.stop()
    }

    @Test(
        "a door already open when the bank starts is its initial state, not an opening",
        arguments: BoardFamily.allCases
    )
    func openAtStart(family: BoardFamily) async throws {
        let rig = await BankRig(family: family) { boards in boards.setDoor(board: 1, channel: 1, open: true) }
        #expect(try await rig.bank.status().first { $0.door == "B1" }?.open == true)
        rig.bus.boards.setDoor(board: 1, channel: 1, open: false)
        _ = await rig.bus.events.next(.lockerDoorClosed)
        #expect(await rig.bus.events.events.allSatisfy { $0.type != .lockerDoorOpened && $0.type != .lockerDoorForced })
        await rig.stop()
    }

    @Test("a Modbus lock's coil is on for the pulse, timed from when the board had the write")
    func modbusPulse() async throws {
        let rig = await BankRig(family: .modbus)
        try await rig.bank.open(door: "B1", reason: .deposit)
        _ = await rig.bus.events.next(.lockerDoorOpened)
        while rig.bus.boards.lockHistory(board: 1).count < 2 {
            await rig.bus.clock.waitForSleepers(1)
            await Task.yield()
        }
        let history = rig.bus.boards.lockHistory(board: 1)
        #expect(history.map(\.released) == [true, false] && history.map(\.channel) == [1, 1])
        let width = history[1].time - history[0].time
        // Never shorter than the pulse. (How much longer depends on a poll in flight; virtual time runs on while
        // the loops wait for a thread, so no upper bound is asserted here.)
        #expect(width >= .milliseconds(500), "\(width)")
        await rig.stop()
    }

    @Test("at most maxConcurrentUnlocks locks are energised at once on the bus")
    func concurrency() async throws {
        let rig = await BankRig(family: .modbus, maxConcurrentUnlocks: 1)
        try await rig.bank.open(door: "B1", reason: .remote)
        try await rig.bank.open(door: "B2", reason: .remote)
        while rig.bus.boards.lockHistory(board: 1).count < 4 {
            await rig.bus.clock.waitForSleepers(1)
            await Task.yield()
        }
        let history = rig.bus.boards.lockHistory(board: 1)
        #expect(history.map(\.channel) == [1, 1, 2, 2], "\(history)")
        #expect(history.map(\.released) == [true, false, true, false])
        #expect(history[2].time >= history[1].time)
        await rig.stop()
    }

    @Test("sensor polarity comes from the board protocol: a board that clears the bit for an open door")
    func polarity() async throws {
        let rig = await BankRig(
            family: .cu16,
            hostProtocol: CU16BoardProtocol(sensorOpenWhenSet: false),
            simulated: .cu16(sensorOpenWhenSet: false)
        )
        #expect(try await rig.bank.status().allSatisfy { !$0.open })
        rig.bus.boards.setDoor(board: 2, channel: 16, open: true)
        let opened = await rig.bus.events.next(.lockerDoorOpened)
        #expect(opened.data["door"] == "C16")
        await rig.stop()
    }

    @Test("a board that does not answer: the unlock is a device.fault of the bank, which keeps running")
    func deadBoard() async throws {
        let rig = await BankRig(family: .modbus)
        rig.bus.boards.setFault(board: 2, .noReply)
        try await rig.bank.open(door: "C16", reason: .remote)
        var fault = await rig.bus.events.next(.deviceFault)
        while fault.device != "lockers-A" { fault = await rig.bus.events.next(.deviceFault) }
        #expect(fault.data["reason"] == "io-error")
        #expect(fault.data["detail"]?.stringValue?.contains("board 2") == true, "\(fault)")
        #expect(try await rig.bank.status().count == 3)
        await rig.stop()
    }
}

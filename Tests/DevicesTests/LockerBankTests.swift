import Devices
import Events
import HAL
import HALSimulated
import Testing

/// A running bank of doors A1 and A2 on one simulated chip: lines 0/1 are A1's lock/sensor, 2/3 A2's, 4 is
/// A1's occupancy sensor. Sensors read high = open.
private struct Rig {
    static let a1Lock = 0
    static let a1Sensor = 1
    static let a2Lock = 2
    static let a2Sensor = 3
    static let a1Occupancy = 4

    let clock = ManualClock()
    let chip: SimulatedGPIOChip
    let sink = EventRecorder()
    let bank: LockerBank
    let runner: Task<Void, Never>

    init(
        sensorActiveLow: Bool = false,
        energiseDelay: Duration = .zero,
        prepare: (SimulatedGPIOChip) -> Void = { _ in }
    ) throws {
        chip = SimulatedGPIOChip(
            name: "gpiochip0",
            label: "floorlink-sim",
            lineNames: ["A1-lock", "A1-door", "A2-lock", "A2-door", "A1-occupancy"],
            clock: clock
        )
        prepare(chip)
        let io = try GPIODoorIO(
            wiring: [
                DoorWiring(
                    door: "A1",
                    lock: GPIOPin(chip: chip, offset: Rig.a1Lock),
                    sensor: GPIOPin(chip: chip, offset: Rig.a1Sensor),
                    sensorActiveLow: sensorActiveLow,
                    occupancy: GPIOPin(chip: chip, offset: Rig.a1Occupancy)
                ),
                DoorWiring(
                    door: "A2",
                    lock: GPIOPin(chip: chip, offset: Rig.a2Lock),
                    sensor: GPIOPin(chip: chip, offset: Rig.a2Sensor),
                    sensorActiveLow: sensorActiveLow
                ),
            ],
            clock: clock
        )
        let bank = LockerBank(
            configuration: lockerConfiguration(doors: ["A1", "A2"]),
            io: SlowEnergiseDoorIO(inner: io, clock: clock, delay: energiseDelay),
            clock: clock,
            events: sink
        )
        self.bank = bank
        runner = Task { await bank.run() }
    }

    /// Builds the rig and returns once the bank's loop runs (initial levels read, sensors forwarded), so that
    /// an edge driven afterwards is an edge and not the starting level.
    static func running(
        sensorActiveLow: Bool = false,
        energiseDelay: Duration = .zero,
        prepare: (SimulatedGPIOChip) -> Void = { _ in }
    )
        async throws -> Rig
    {
        let rig = try Rig(sensorActiveLow: sensorActiveLow, energiseDelay: energiseDelay, prepare: prepare)
        _ = try await rig.bank.status()
        return rig
    }

    /// The lock line's physical changes after the request's initial level, as (ms, high).
    func lockChanges(_ offset: Int) -> [(ms: Int64, high: Bool)] {
        chip.outputHistory.filter { $0.offset == offset }.dropFirst().map { (milliseconds($0.time), $0.high) }
    }

    /// Stops the bank and waits until it has.
    func stop() async {
        runner.cancel()
        await runner.value
    }
}

private func milliseconds(_ instant: ClockInstant) -> Int64 {
    instant.sinceOrigin.wholeMilliseconds
}

@Suite("LockerBank: the shell over GPIODoorIO and a simulated chip", .timeLimit(.minutes(1)))
struct LockerBankTests {
    @Test("locker.open energises the lock for exactly pulseMs")
    func pulseOnTheWire() async throws {
        let rig = try await Rig.running()
        rig.clock.advance(by: .milliseconds(1000))
        try await rig.bank.open(door: "A1", reason: .deposit)
        let unlocked = await rig.sink.next()
        #expect(unlocked.type == .lockerUnlocked)
        #expect(unlocked.device == "lockers-A")
        #expect(unlocked.data.jsonText == #"{"locker":"lockers-A","door":"A1","reason":"deposit","pulseMs":500}"#)
        #expect(rig.chip.physicalLevel(Rig.a1Lock))

        await rig.clock.waitForSleepers(1)
        rig.clock.advance(by: .milliseconds(499))
        #expect(try await rig.bank.status()[0].energised)
        await rig.clock.waitForSleepers(1)
        rig.clock.advance(by: .milliseconds(1))
        #expect(try await rig.bank.status()[0].locked)
        #expect(rig.lockChanges(Rig.a1Lock).map(\.ms) == [1000, 1500])
        #expect(rig.lockChanges(Rig.a1Lock).map(\.high) == [true, false])
        #expect(rig.lockChanges(Rig.a2Lock).isEmpty)
        await rig.stop()
    }

    @Test("a lock write that takes 20 ms still energises the lock for the full pulseMs, timed from the write")
    func slowWriteKeepsFullPulse() async throws {
        let rig = try await Rig.running(energiseDelay: .milliseconds(20))
        rig.clock.advance(by: .milliseconds(1000))
        try await rig.bank.open(door: "A1", reason: .deposit)
        #expect(await rig.sink.next().type == .lockerUnlocked)
        // `status` catches up with every deadline passed by the clock's time, so no sleeper needs waiting for.
        rig.clock.advance(by: .milliseconds(499))
        #expect(try await rig.bank.status()[0].energised, "released before pulseMs had run from the write")
        rig.clock.advance(by: .milliseconds(1))
        #expect(try await rig.bank.status()[0].locked)
        #expect(rig.lockChanges(Rig.a1Lock).map(\.ms) == [1020, 1520])
        await rig.stop()
    }

    @Test("a pulse asked above maxPulse is cut to maxPulse on the wire")
    func clampedPulseOnTheWire() async throws {
        let rig = try await Rig.running()
        try await rig.bank.open(door: "A2", pulse: .seconds(30))
        #expect(await rig.sink.next().data["pulseMs"] == 2000)
        await rig.clock.waitForSleepers(1)
        rig.clock.advance(by: .milliseconds(1999))
        #expect(try await rig.bank.status()[1].energised)
        rig.clock.advance(by: .milliseconds(1))
        #expect(try await rig.bank.status()[1].locked)
        #expect(rig.lockChanges(Rig.a2Lock).map(\.ms) == [0, 2000])
        await rig.stop()
    }

    @Test("a door sensor edge becomes locker.door.opened after the debounce, authorised by the unlock")
    func sensorEdgeBecomesOpened() async throws {
        let rig = try await Rig.running()
        try await rig.bank.open(door: "A1")
        #expect(await rig.sink.next().type == .lockerUnlocked)
        await rig.clock.waitForSleepers(1)
        rig.clock.advance(by: .milliseconds(500))
        #expect(try await rig.bank.status()[0].locked)

        rig.chip.drive(Rig.a1Sensor, high: true)
        await rig.clock.waitForSleepers(1)
        #expect(rig.clock.nextDeadline == ClockInstant.zero + .milliseconds(550))
        rig.clock.advance(by: .milliseconds(50))
        let opened = await rig.sink.next()
        #expect(opened.type == .lockerDoorOpened)
        #expect(opened.data.jsonText == #"{"locker":"lockers-A","door":"A1","authorised":true,"reason":"remote"}"#)
        #expect(try await rig.bank.status()[0].open)

        rig.clock.advance(by: .seconds(2))
        rig.chip.drive(Rig.a1Sensor, high: false)
        rig.clock.advance(by: .milliseconds(50))
        let closed = await rig.sink.next()
        #expect(closed.type == .lockerDoorClosed)
        #expect(closed.data["openMs"] == 2050)
        await rig.stop()
    }

    @Test("a door left open is reported by the loop's own deadline, with no input to wake it")
    func leftOpenByTimer() async throws {
        let rig = try await Rig.running()
        rig.chip.drive(Rig.a1Sensor, high: true)
        await rig.clock.waitForSleepers(1)
        rig.clock.advance(by: .milliseconds(50))
        #expect(await rig.sink.next().type == .lockerDoorOpened)
        #expect(await rig.sink.next().type == .lockerDoorForced)
        await rig.clock.waitForSleepers(1)
        #expect(rig.clock.nextDeadline == ClockInstant.zero + .seconds(60))
        rig.clock.advance(by: .seconds(60))
        let leftOpen = await rig.sink.next()
        #expect(leftOpen.type == .lockerDoorLeftOpen)
        #expect(leftOpen.data["state"] == "open")
        await rig.stop()
    }

    @Test("a door opened with no unlock is reported forced")
    func forcedOnTheWire() async throws {
        let rig = try await Rig.running()
        rig.chip.drive(Rig.a2Sensor, high: true)
        await rig.clock.waitForSleepers(1)
        rig.clock.advance(by: .milliseconds(50))
        #expect(await rig.sink.next().type == .lockerDoorOpened)
        let forced = await rig.sink.next()
        #expect(forced.type == .lockerDoorForced)
        #expect(forced.data.jsonText == #"{"locker":"lockers-A","door":"A2"}"#)
        await rig.stop()
    }

    @Test("active-low sensors: the initial levels are read at start, low means open")
    func initialLevelsActiveLow() async throws {
        let rig = try await Rig.running(sensorActiveLow: true) { chip in
            chip.drive(Rig.a1Sensor, high: true)
            chip.drive(Rig.a1Occupancy, high: true)
        }
        let doors = try await rig.bank.status()
        #expect(doors.map(\.open) == [false, true])
        #expect(doors.map(\.occupied) == [true, nil])
        #expect(doors.allSatisfy { $0.locked })
        await rig.stop()
    }

    @Test("commands with bad input get typed errors through the shell")
    func badCommands() async throws {
        let rig = try await Rig.running()
        await #expect(throws: LockerError.unknownDoor("B7")) { try await rig.bank.open(door: "B7") }
        await #expect(throws: LockerError.invalidPulse) { try await rig.bank.open(door: "A1", pulse: .zero) }
        await #expect(throws: LockerError.doorNotAssigned("A1")) { try await rig.bank.release(door: "A1") }
        try await rig.bank.assign(door: "A1", order: "ORD-1", pickupCode: "K7Q9-ZX31")
        await #expect(throws: LockerError.doorAlreadyAssigned(door: "A1", order: "ORD-1")) {
            try await rig.bank.assign(door: "A1", order: "ORD-2", pickupCode: "5555")
        }
        await #expect(throws: LockerError.codeTooShort(minimum: 6)) {
            try await rig.bank.assign(door: "A2", order: "ORD-2", pickupCode: "12")
        }
        await #expect(throws: LockerError.wrongCode(attempts: 1)) {
            try await rig.bank.submitCode("0000", keypad: "scanner-2")
        }
        let rejected = await rig.sink.next()
        #expect(
            rejected.data.jsonText
                == #"{"locker":"lockers-A","keypad":"scanner-2","reason":"wrong-code","attempts":1}"#
        )
        #expect(rig.chip.outputHistory.allSatisfy { !$0.high })
        await rig.stop()
    }

    @Test("assign, deposit, collect by code, end to end on the wire")
    func orderFlow() async throws {
        let rig = try await Rig.running()
        try await rig.bank.assign(door: "A2", order: "ORD-9", pickupCode: "K7Q9-ZX31")
        try await rig.bank.open(door: "A2", reason: .deposit)
        #expect(await rig.sink.next().type == .lockerUnlocked)
        try await cycleDoor(rig, sensor: Rig.a2Sensor)
        #expect(await rig.sink.next().type == .lockerDoorOpened)
        #expect(await rig.sink.next().type == .lockerDoorClosed)
        let deposited = await rig.sink.next()
        #expect(deposited.type == .lockerDeposited)
        #expect(deposited.data["order"] == "ORD-9")

        #expect(try await rig.bank.submitCode("K7Q9-ZX31", keypad: "scanner-2") == "A2")
        #expect(await rig.sink.next().data["reason"] == "pickup-code")
        try await cycleDoor(rig, sensor: Rig.a2Sensor)
        #expect(await rig.sink.next().type == .lockerDoorOpened)
        #expect(await rig.sink.next().type == .lockerDoorClosed)
        let collected = await rig.sink.next()
        #expect(collected.type == .lockerCollected)
        #expect(collected.data["order"] == "ORD-9")
        #expect(try await rig.bank.status()[1].order == nil)
        for event in await rig.sink.events {
            #expect(!event.data.jsonText.contains("K7Q9-ZX31"))
        }
        await rig.stop()
    }

    @Test("cancelling run de-energises every lock, and later commands get notRunning")
    func cancellationLocksEverything() async throws {
        let rig = try await Rig.running()
        try await rig.bank.open(door: "A1")
        try await rig.bank.open(door: "A2")
        #expect(rig.chip.physicalLevel(Rig.a1Lock) && rig.chip.physicalLevel(Rig.a2Lock))
        await rig.stop()
        #expect(!rig.chip.physicalLevel(Rig.a1Lock))
        #expect(!rig.chip.physicalLevel(Rig.a2Lock))
        #expect(rig.lockChanges(Rig.a1Lock).map(\.high) == [true, false])
        await #expect(throws: LockerError.notRunning) { try await rig.bank.open(door: "A1") }
        await #expect(throws: LockerError.notRunning) { try await rig.bank.status() }
    }

    @Test("a lock write that fails is reported as device.fault and the bank keeps running")
    func lockWriteFailure() async throws {
        let clock = ManualClock()
        let sink = EventRecorder()
        let bank = LockerBank(
            configuration: lockerConfiguration(doors: ["A1"]),
            io: UnpluggedDoorIO(),
            clock: clock,
            events: sink
        )
        let runner = Task { await bank.run() }
        let startup = await sink.next()
        #expect(startup.type == .deviceFault)
        #expect(startup.data["reason"] == "io-error")
        #expect(startup.data["count"] == 1)
        try await bank.open(door: "A1")
        let fault = await sink.next()
        #expect(fault.type == .deviceFault)
        #expect(fault.data["count"] == 2)
        #expect(await sink.next().type == .lockerUnlocked)
        #expect(try await bank.status().count == 1)
        runner.cancel()
        await runner.value
    }

    @Test("a keypad's lock-out end is a UTC time in locker.code.rejected (lockedUntil), not a monotonic clock value")
    func lockOutEndIsUTC() async throws {
        let clock = ManualClock()
        clock.advance(by: .seconds(5000))
        let start = clock.now
        let sink = EventRecorder()
        let bank = LockerBank(
            configuration: lockerConfiguration(doors: ["A1"]),
            io: QuietDoorIO(clock: clock),
            clock: clock,
            events: sink,
            // The wall clock reads 2026-11-22T10:00:00.123Z when the bank's clock reads `start`, and moves with it.
            wallClock: { EventTime(millisecondsSinceEpoch: 1_795_341_600_123 + (clock.now - start).wholeMilliseconds) }
        )
        let runner = Task { await bank.run() }
        try await bank.assign(door: "A1", order: "ORD-1", pickupCode: "483920")
        for wrong in ["000000", "000001", "000002"] {
            await #expect(throws: LockerError.self) { try await bank.submitCode(wrong, keypad: "scanner-2") }
        }
        clock.advance(by: .seconds(5))
        await #expect(throws: LockerError.keypadLockedOut(remaining: .seconds(25))) {
            try await bank.submitCode("483920", keypad: "scanner-2")
        }
        let rejected = await sink.events.filter { $0.type == .lockerCodeRejected }.map(\.data)
        #expect(
            rejected.map { $0["lockedUntil"]?.stringValue }
                == [nil, nil, "2026-11-22T10:00:30.123Z", "2026-11-22T10:00:30.123Z"]
        )
        #expect(rejected.map { $0["lockedForMs"]?.intValue } == [nil, nil, 30_000, 25_000])
        #expect(rejected.allSatisfy { $0["lockedUntilMs"] == nil })
        // floorctl locker status shows the same end of the lock-out, as a UTC time.
        #expect(
            try await bank.keypads() == [
                KeypadStatus(
                    keypad: "scanner-2",
                    failures: 3,
                    recentWrongCodes: 3,
                    lockedUntil: EventTime(parsing: "2026-11-22T10:00:30.123Z"),
                    blocked: false
                )
            ]
        )
        clock.advance(by: .seconds(25))
        #expect(try await bank.keypads().map(\.lockedUntil) == [nil])
        runner.cancel()
        await runner.value
    }

    /// Opens a door through its sensor 100 ms from now and closes it 1 s later. Each edge carries the time it
    /// was driven, so moving the clock past its debounce at once is enough: whenever the loop takes the edge,
    /// its settling deadline has already passed and the event follows without any further waiting.
    private func cycleDoor(_ rig: Rig, sensor: Int) async throws {
        rig.clock.advance(by: .milliseconds(100))
        rig.chip.drive(sensor, high: true)
        rig.clock.advance(by: .seconds(1))
        rig.chip.drive(sensor, high: false)
        rig.clock.advance(by: .milliseconds(50))
    }
}

/// Door I/O whose energising writes are slow: the clock moves on by `delay` before the line is driven, as when
/// the kernel or a lock board takes that long to act on the write.
private struct SlowEnergiseDoorIO: DoorIO {
    let inner: any DoorIO
    let clock: ManualClock
    let delay: Duration

    func setLock(door: String, energised: Bool) async throws(HALError) -> ClockInstant {
        if energised && delay > .zero { clock.advance(by: delay) }
        return try await inner.setLock(door: door, energised: energised)
    }

    func currentLevels() async throws(HALError) -> [DoorSignal] { try await inner.currentLevels() }

    func start(deliver: @escaping @Sendable (DoorSignal) -> Void) throws(HALError) { try inner.start(deliver: deliver) }

    func close() { inner.close() }
}

/// Door I/O that works and never moves: locks take every write, doors stay closed.
private struct QuietDoorIO: DoorIO {
    let clock: ManualClock

    func setLock(door: String, energised: Bool) async throws(HALError) -> ClockInstant { clock.now }

    func currentLevels() async throws(HALError) -> [DoorSignal] { [] }

    func start(deliver: @escaping @Sendable (DoorSignal) -> Void) throws(HALError) {}

    func close() {}
}

/// Door I/O whose lock board is gone: every lock write fails, sensors read closed.
private struct UnpluggedDoorIO: DoorIO {
    func setLock(door: String, energised: Bool) async throws(HALError) -> ClockInstant {
        throw .disconnected(path: "/dev/ttyRS485-0")
    }

    func currentLevels() async throws(HALError) -> [DoorSignal] { [] }

    func start(deliver: @escaping @Sendable (DoorSignal) -> Void) throws(HALError) {}

    func close() {}
}

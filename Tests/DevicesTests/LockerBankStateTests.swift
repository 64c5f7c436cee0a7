import Devices
import Events
import HAL
import Testing

/// A pickup code distinctive enough that finding its text anywhere means it leaked.
private let secretCode = "K7Q9-ZX31"

/// A state of doors A1…A4 at the origin, every door closed.
private func makeState(_ configuration: LockerBankConfiguration = lockerConfiguration()) -> LockerBankState {
    LockerBankState(configuration: configuration, now: .zero)
}

@Suite("LockerBankState: lock pulses")
struct LockerBankStatePulseTests {
    struct PulseCase: Sendable, CustomTestStringConvertible {
        let requestedMs: Int?
        let expectedMs: Int
        var testDescription: String { "requested \(requestedMs.map(String.init) ?? "default") → \(expectedMs) ms" }
    }

    @Test(
        "a pulse lasts the configured time, or the requested one clamped to maxPulse",
        arguments: [
            PulseCase(requestedMs: nil, expectedMs: 500),
            PulseCase(requestedMs: 300, expectedMs: 300),
            PulseCase(requestedMs: 2000, expectedMs: 2000),
            PulseCase(requestedMs: 5000, expectedMs: 2000),
            PulseCase(requestedMs: 3_600_000, expectedMs: 2000),
        ]
    )
    func pulseLength(_ example: PulseCase) throws {
        var state = makeState()
        try state.unlock(
            door: "A1",
            reason: .remote,
            requestedPulse: example.requestedMs.map { .milliseconds($0) },
            at: at(ms: 1000)
        )
        let start = state.takeActions()
        #expect(lockWrites(start) == [.energise("A1")])
        let unlocked = try #require(emitted(start).first)
        #expect(unlocked.type == .lockerUnlocked)
        #expect(
            unlocked.data.jsonText
                == #"{"locker":"lockers-A","door":"A1","reason":"remote","pulseMs":\#(example.expectedMs)}"#
        )
        #expect(state.deadline == at(ms: 1000 + example.expectedMs))

        state.expire(at: at(ms: 1000 + example.expectedMs - 1))
        #expect(state.takeActions().isEmpty)
        #expect(state.status()[0].energised)
        state.expire(at: at(ms: 1000 + example.expectedMs))
        #expect(state.takeActions() == [.deenergise("A1")])
        #expect(state.status()[0].locked)
    }

    @Test(
        "the pulse runs its full length from when the shell drove the line, never from before the unlock",
        arguments: [(1030, 3030), (1000, 3000), (900, 3000)] as [(Int, Int)]
    )
    func pulseTimedFromDrivenLine(drivenMs: Int, releasedMs: Int) throws {
        var state = makeState()
        try state.unlock(door: "A1", reason: .remote, requestedPulse: .seconds(5), at: at(ms: 1000))
        #expect(lockWrites(state.takeActions()) == [.energise("A1")])
        state.lockDriven(door: "A1", at: at(ms: drivenMs))
        #expect(state.deadline == at(ms: releasedMs), "2 s (maxPulse) from the later of unlock and drive")
        state.expire(at: at(ms: releasedMs - 1))
        #expect(state.status()[0].energised)
        state.expire(at: at(ms: releasedMs))
        #expect(state.takeActions() == [.deenergise("A1")])
    }

    @Test("a pulse of zero or less is refused and changes nothing", arguments: [0, -1, -500])
    func nonPositivePulse(ms: Int) {
        var state = makeState()
        #expect(throws: LockerError.invalidPulse) {
            try state.unlock(door: "A1", reason: .remote, requestedPulse: .milliseconds(ms), at: .zero)
        }
        #expect(state.takeActions().isEmpty)
        #expect(state.deadline == nil)
    }

    @Test("a configured pulse above maxPulse is clamped too")
    func configuredPulseAboveMaximum() throws {
        var configuration = lockerConfiguration()
        configuration.pulse = .seconds(10)
        var state = makeState(configuration)
        try state.unlock(door: "A2", reason: .remote, at: .zero)
        _ = state.takeActions()
        #expect(state.deadline == at(ms: 2000))
    }

    @Test("four unlocks with two slots: the third starts exactly when the first ends, the fourth when the second does")
    func concurrencyLimit() throws {
        var state = makeState()
        for (index, door) in ["A1", "A2", "A3", "A4"].enumerated() {
            try state.unlock(door: door, reason: .remote, at: at(ms: index * 100))
        }
        #expect(lockWrites(state.takeActions()) == [.energise("A1"), .energise("A2")])
        #expect(state.status().map(\.unlockQueued) == [false, false, true, true])
        #expect(state.deadline == at(ms: 500))

        state.expire(at: at(ms: 499))
        #expect(state.takeActions().isEmpty)
        state.expire(at: at(ms: 500))
        let slotFreed = state.takeActions()
        #expect(lockWrites(slotFreed) == [.deenergise("A1"), .energise("A3")])
        #expect(eventTypes(slotFreed) == [.lockerUnlocked])
        #expect(state.deadline == at(ms: 600))

        state.expire(at: at(ms: 600))
        #expect(lockWrites(state.takeActions()) == [.deenergise("A2"), .energise("A4")])
        #expect(state.status().map(\.energised) == [false, false, true, true])
        state.expire(at: at(ms: 1000))
        #expect(state.takeActions() == [.deenergise("A3")])
        state.expire(at: at(ms: 1100))
        #expect(state.takeActions() == [.deenergise("A4")])
        #expect(state.deadline == nil)
    }

    @Test("a late catch-up starts queued pulses at the instant the slot freed, not at the late instant")
    func lateCatchUpKeepsTimeline() throws {
        var state = makeState()
        for (index, door) in ["A1", "A2", "A3", "A4"].enumerated() {
            try state.unlock(door: door, reason: .remote, at: at(ms: index * 100))
        }
        _ = state.takeActions()
        state.expire(at: at(ms: 700))
        #expect(
            lockWrites(state.takeActions()) == [
                .deenergise("A1"), .energise("A3"), .deenergise("A2"), .energise("A4"),
            ]
        )
        #expect(state.deadline == at(ms: 1000))
    }

    @Test("an unlock of a door already energised or queued is not pulsed twice")
    func repeatedUnlockCoalesces() throws {
        var state = makeState()
        try state.unlock(door: "A1", reason: .remote, at: .zero)
        try state.unlock(door: "A1", reason: .remote, at: at(ms: 100))
        #expect(lockWrites(state.takeActions()) == [.energise("A1")])
        #expect(state.deadline == at(ms: 500))
    }

    @Test("lockAll de-energises every door and drops queued unlocks")
    func lockAll() throws {
        var state = makeState()
        for door in ["A1", "A2", "A3"] { try state.unlock(door: door, reason: .remote, at: .zero) }
        _ = state.takeActions()
        state.lockAll(at: at(ms: 10))
        #expect(state.takeActions() == ["A1", "A2", "A3", "A4"].map { .deenergise($0) })
        #expect(state.status().allSatisfy { $0.locked && !$0.unlockQueued })
        #expect(state.deadline == nil)
    }
}

@Suite("LockerBankState: doors")
struct LockerBankStateDoorTests {
    @Test("a door opened with no unlock is forced; opened and closed are still reported")
    func forcedDoor() {
        var state = makeState()
        state.door("A1", open: true, ms: 1000)
        #expect(state.takeActions().isEmpty)
        state.expire(at: at(ms: 1050))
        let events = emitted(state.takeActions())
        #expect(events.map(\.type) == [.lockerDoorOpened, .lockerDoorForced])
        #expect(events[0].data.jsonText == #"{"locker":"lockers-A","door":"A1","authorised":false}"#)
        #expect(events[1].data.jsonText == #"{"locker":"lockers-A","door":"A1"}"#)
        state.door("A1", open: false, ms: 3000)
        state.expire(at: at(ms: 3050))
        let closed = emitted(state.takeActions())
        #expect(closed.map(\.type) == [.lockerDoorClosed])
        #expect(closed[0].data["openMs"] == .int(2000))
    }

    struct GraceCase: Sendable, CustomTestStringConvertible {
        let openedAtMs: Int
        let forced: Bool
        var testDescription: String { "opened at \(openedAtMs) ms → \(forced ? "forced" : "authorised")" }
    }

    @Test(
        "an unlock at 1 s with a 500 ms pulse authorises an opening until 5 s after the pulse",
        arguments: [
            GraceCase(openedAtMs: 900, forced: true),
            GraceCase(openedAtMs: 1000, forced: false),
            GraceCase(openedAtMs: 1200, forced: false),
            GraceCase(openedAtMs: 6500, forced: false),
            GraceCase(openedAtMs: 6501, forced: true),
        ]
    )
    func graceWindow(_ example: GraceCase) throws {
        var state = makeState()
        if example.openedAtMs < 1000 { state.door("A1", open: true, ms: example.openedAtMs) }
        try state.unlock(door: "A1", reason: .deposit, at: at(ms: 1000))
        if example.openedAtMs >= 1000 { state.door("A1", open: true, ms: example.openedAtMs) }
        state.expire(at: at(ms: example.openedAtMs + 50))
        let types = eventTypes(state.takeActions())
        #expect(types.contains(.lockerDoorOpened))
        #expect(types.contains(.lockerDoorForced) == example.forced)
    }

    @Test("one unlock authorises one opening: reopening after the pulse and close is forced")
    func oneOpeningPerUnlock() throws {
        var state = makeState()
        try state.unlock(door: "A1", reason: .remote, at: .zero)
        state.door("A1", open: true, ms: 1000)
        state.door("A1", open: false, ms: 2000)
        state.door("A1", open: true, ms: 3000)
        state.expire(at: at(ms: 3050))
        #expect(
            eventTypes(state.takeActions()) == [
                .lockerUnlocked, .lockerDoorOpened, .lockerDoorClosed, .lockerDoorOpened, .lockerDoorForced,
            ]
        )
    }

    @Test("a 10 ms bounce is ignored by the 50 ms debounce")
    func bounceIgnored() {
        var state = makeState()
        state.door("A1", open: true, ms: 1000)
        state.door("A1", open: false, ms: 1010)
        state.expire(at: at(ms: 5000))
        #expect(state.takeActions().isEmpty)
        #expect(state.status()[0].open == false)
    }

    @Test("a real opening after bounces counts from the last bounce")
    func openingAfterBounces() {
        var state = makeState()
        state.door("A1", open: true, ms: 1000)
        state.door("A1", open: false, ms: 1010)
        state.door("A1", open: true, ms: 1020)
        #expect(state.deadline == at(ms: 1070))
        state.expire(at: at(ms: 1069))
        #expect(state.takeActions().isEmpty)
        state.expire(at: at(ms: 1070))
        #expect(eventTypes(state.takeActions()) == [.lockerDoorOpened, .lockerDoorForced])
        #expect(state.status()[0].open)
    }

    @Test("the debounce interval is configurable", arguments: [0, 20, 200])
    func configurableDebounce(ms: Int) {
        var state = makeState(lockerConfiguration(debounce: .milliseconds(ms)))
        state.door("A2", open: true, ms: 1000)
        if ms > 0 {
            state.expire(at: at(ms: 1000 + ms - 1))
            #expect(state.takeActions().isEmpty)
        }
        state.expire(at: at(ms: 1000 + ms))
        #expect(eventTypes(state.takeActions()).first == .lockerDoorOpened)
    }

    @Test("a door open longer than leftOpenAfter is reported once while open, and again when it closes")
    func leftOpen() throws {
        var state = makeState()
        try state.unlock(door: "A1", reason: .remote, at: .zero)
        state.door("A1", open: true, ms: 100)
        state.expire(at: at(ms: 60_099))
        #expect(!eventTypes(state.takeActions()).contains(.lockerDoorLeftOpen))
        state.expire(at: at(ms: 60_100))
        let reported = emitted(state.takeActions())
        #expect(reported.map(\.type) == [.lockerDoorLeftOpen])
        #expect(reported[0].data.jsonText == #"{"locker":"lockers-A","door":"A1","state":"open","openMs":60000}"#)

        state.expire(at: at(ms: 500_000))
        #expect(state.takeActions().isEmpty)
        state.door("A1", open: false, ms: 600_100)
        state.expire(at: at(ms: 600_150))
        let closed = emitted(state.takeActions())
        #expect(closed.map(\.type) == [.lockerDoorClosed, .lockerDoorLeftOpen])
        #expect(
            closed[1].data.jsonText == #"{"locker":"lockers-A","door":"A1","state":"closed","openMs":600000}"#
        )
    }

    @Test("a door closed before leftOpenAfter is never reported left open")
    func closedInTime() throws {
        var state = makeState()
        state.door("A1", open: true, ms: 0)
        state.door("A1", open: false, ms: 59_000)
        state.expire(at: at(ms: 200_000))
        #expect(!eventTypes(state.takeActions()).contains(.lockerDoorLeftOpen))
        #expect(state.deadline == nil)
    }

    @Test("a door open at start is tracked for left-open without an opened event")
    func openAtStart() {
        var state = LockerBankState(
            configuration: lockerConfiguration(),
            initialLevels: [DoorSignal(door: "A3", kind: .sensor, value: true, time: .zero)],
            now: .zero
        )
        #expect(state.status()[2].open)
        state.expire(at: at(ms: 60_000))
        #expect(eventTypes(state.takeActions()) == [.lockerDoorLeftOpen])
    }

    @Test("occupancy levels are debounced and shown in the status")
    func occupancy() {
        var state = LockerBankState(
            configuration: lockerConfiguration(),
            initialLevels: [DoorSignal(door: "A1", kind: .occupancy, value: false, time: .zero)],
            now: .zero
        )
        #expect(state.status()[0].occupied == false)
        #expect(state.status()[1].occupied == nil)
        state.signal(DoorSignal(door: "A1", kind: .occupancy, value: true, time: at(ms: 100)))
        state.expire(at: at(ms: 149))
        #expect(state.status()[0].occupied == false)
        state.expire(at: at(ms: 150))
        #expect(state.status()[0].occupied == true)
        #expect(state.takeActions().isEmpty)
    }

    @Test("signals for a door the bank does not have are ignored")
    func unknownDoorSignal() {
        var state = makeState()
        state.door("Z9", open: true, ms: 10)
        state.expire(at: at(ms: 1000))
        #expect(state.takeActions().isEmpty)
    }
}

@Suite("LockerBankState: orders and pickup codes")
struct LockerBankStateOrderTests {
    /// A1 assigned to ORD-1 and deposited by a courier between 0 and 3 s; actions taken.
    private func depositedState(
        _ configuration: LockerBankConfiguration = lockerConfiguration(),
        expiresAt: ClockInstant? = nil
    ) throws -> LockerBankState {
        var state = makeState(configuration)
        try state.assign(door: "A1", order: "ORD-1", pickupCode: secretCode, expiresAt: expiresAt, at: .zero)
        try state.unlock(door: "A1", reason: .deposit, at: .zero)
        state.door("A1", open: true, ms: 200)
        state.door("A1", open: false, ms: 3000)
        state.expire(at: at(ms: 3050))
        _ = state.takeActions()
        return state
    }

    @Test("assign, deposit, collect by pickup code")
    func assignDepositCollect() throws {
        var state = makeState()
        try state.assign(door: "A1", order: "ORD-1", pickupCode: secretCode, at: .zero)
        #expect(state.takeActions().isEmpty)
        #expect(state.status()[0].order == "ORD-1")
        #expect(!state.status()[0].deposited)

        try state.unlock(door: "A1", reason: .deposit, at: .zero)
        state.door("A1", open: true, ms: 200)
        state.door("A1", open: false, ms: 3000)
        state.expire(at: at(ms: 3050))
        let deposit = emitted(state.takeActions())
        #expect(
            deposit.map(\.type) == [
                .lockerUnlocked, .lockerDoorOpened, .lockerDoorClosed, .lockerDeposited,
            ]
        )
        #expect(deposit[0].data["order"] == "ORD-1")
        #expect(deposit[3].data.jsonText == #"{"locker":"lockers-A","door":"A1","order":"ORD-1"}"#)
        #expect(state.status()[0].deposited)

        let door = try state.pickupCode(secretCode, keypad: "scanner-2", at: at(ms: 10_000))
        #expect(door == "A1")
        let pickup = state.takeActions()
        #expect(lockWrites(pickup) == [.energise("A1")])
        #expect(emitted(pickup)[0].data["reason"] == "pickup-code")
        state.door("A1", open: true, ms: 10_300)
        state.door("A1", open: false, ms: 15_000)
        state.expire(at: at(ms: 15_050))
        let collect = emitted(state.takeActions())
        #expect(collect.map(\.type) == [.lockerDoorOpened, .lockerDoorClosed, .lockerCollected])
        #expect(collect[2].data.jsonText == #"{"locker":"lockers-A","door":"A1","order":"ORD-1"}"#)
        #expect(state.status()[0].order == nil)
        #expect(!state.status()[0].deposited)
    }

    @Test("deposit and collect events report occupancy when the compartment has a sensor")
    func occupancyInDeposit() throws {
        var state = LockerBankState(
            configuration: lockerConfiguration(),
            initialLevels: [DoorSignal(door: "A1", kind: .occupancy, value: false, time: .zero)],
            now: .zero
        )
        try state.assign(door: "A1", order: "ORD-1", pickupCode: secretCode, at: .zero)
        try state.unlock(door: "A1", reason: .deposit, at: .zero)
        state.door("A1", open: true, ms: 200)
        state.signal(DoorSignal(door: "A1", kind: .occupancy, value: true, time: at(ms: 1000)))
        state.door("A1", open: false, ms: 3000)
        state.expire(at: at(ms: 3050))
        let deposited = try #require(emitted(state.takeActions()).last)
        #expect(deposited.type == .lockerDeposited)
        #expect(deposited.data["occupied"] == true)
    }

    @Test("a forced opening of an assigned door is not a deposit")
    func forcedIsNotDeposit() throws {
        var state = makeState()
        try state.assign(door: "A1", order: "ORD-1", pickupCode: secretCode, at: .zero)
        state.door("A1", open: true, ms: 200)
        state.door("A1", open: false, ms: 3000)
        state.expire(at: at(ms: 3050))
        let events = emitted(state.takeActions())
        #expect(events.map(\.type) == [.lockerDoorOpened, .lockerDoorForced, .lockerDoorClosed])
        #expect(events.allSatisfy { $0.data["order"] == "ORD-1" })
        #expect(!state.status()[0].deposited)
    }

    @Test("staff can hand an order out with reason collect; a plain remote open does not collect")
    func collectByStaff() throws {
        var state = try depositedState()
        try state.unlock(door: "A1", reason: .remote, at: at(ms: 10_000))
        state.door("A1", open: true, ms: 10_100)
        state.door("A1", open: false, ms: 11_000)
        state.expire(at: at(ms: 11_050))
        #expect(!eventTypes(state.takeActions()).contains(.lockerCollected))
        try state.unlock(door: "A1", reason: .collect, at: at(ms: 20_000))
        state.door("A1", open: true, ms: 20_100)
        state.door("A1", open: false, ms: 21_000)
        state.expire(at: at(ms: 21_050))
        #expect(eventTypes(state.takeActions()).last == .lockerCollected)
        #expect(state.status()[0].order == nil)
    }

    @Test("a pickup code works once")
    func singleUse() throws {
        var state = try depositedState()
        try state.pickupCode(secretCode, keypad: "scanner-2", at: at(ms: 10_000))
        _ = state.takeActions()
        #expect(throws: LockerError.wrongCode(attempts: 1)) {
            try state.pickupCode(secretCode, keypad: "scanner-2", at: at(ms: 10_100))
        }
        let rejected = emitted(state.takeActions())
        #expect(rejected.map(\.type) == [.lockerCodeRejected])
        #expect(rejected[0].data["reason"] == "wrong-code")
    }

    @Test("an expired code is rejected as expired and does not count as a wrong code")
    func expiredCode() throws {
        var state = try depositedState(expiresAt: at(ms: 5000))
        #expect(throws: LockerError.codeExpired) {
            try state.pickupCode(secretCode, keypad: "scanner-2", at: at(ms: 5000))
        }
        let rejected = emitted(state.takeActions())
        #expect(
            rejected.map(\.data.jsonText) == [
                #"{"locker":"lockers-A","door":"A1","order":"ORD-1","keypad":"scanner-2","reason":"expired","#
                    + #""attempts":0}"#
            ]
        )
        #expect(state.status()[0].energised == false)
    }

    @Test("without an expiry the code lives codeTTL")
    func codeTTL() throws {
        let state = try depositedState(lockerConfiguration(codeTTL: .seconds(3600)))
        var early = state
        #expect(try early.pickupCode(secretCode, keypad: "k", at: at(ms: 3_599_999)) == "A1")
        var late = state
        #expect(throws: LockerError.codeExpired) {
            try late.pickupCode(secretCode, keypad: "k", at: at(ms: 3_600_000))
        }
    }

    @Test("a code for an order not yet deposited opens nothing")
    func notDeposited() throws {
        var state = makeState()
        try state.assign(door: "A1", order: "ORD-1", pickupCode: secretCode, at: .zero)
        #expect(throws: LockerError.notDeposited) {
            try state.pickupCode(secretCode, keypad: "k", at: at(ms: 10))
        }
        let actions = state.takeActions()
        #expect(lockWrites(actions).isEmpty)
        #expect(emitted(actions).first?.data["reason"] == "not-deposited")
    }

    @Test("release frees the door and its code stops working")
    func release() throws {
        var state = try depositedState()
        try state.release(door: "A1", at: at(ms: 4000))
        #expect(state.status()[0].order == nil)
        #expect(throws: LockerError.wrongCode(attempts: 1)) {
            try state.pickupCode(secretCode, keypad: "k", at: at(ms: 5000))
        }
        try state.assign(door: "A1", order: "ORD-2", pickupCode: "999999", at: at(ms: 6000))
        #expect(state.status()[0].order == "ORD-2")
    }

    @Test("the right code among several assigned doors opens its own door")
    func codeMatchedAcrossDoors() throws {
        var state = makeState()
        let codes = ["A1": "1111-aaaa", "A2": "2222-bbbb", "A3": "3333-cccc"]
        for (index, (door, code)) in codes.sorted(by: { $0.key < $1.key }).enumerated() {
            let base = index * 10_000
            try state.assign(door: door, order: "ORD-\(door)", pickupCode: code, at: at(ms: base))
            try state.unlock(door: door, reason: .deposit, at: at(ms: base))
            state.door(door, open: true, ms: base + 100)
            state.door(door, open: false, ms: base + 1000)
        }
        state.expire(at: at(ms: 40_000))
        #expect(eventTypes(state.takeActions()).filter { $0 == .lockerDeposited }.count == 3)
        #expect(try state.pickupCode("2222-bbbb", keypad: "k", at: at(ms: 41_000)) == "A2")
        #expect(try state.pickupCode("3333-cccc", keypad: "k", at: at(ms: 41_001)) == "A3")
    }
}

@Suite("LockerBankState: wrong codes and lockout")
struct LockerBankStateLockoutTests {
    @Test(
        "the default policy locks after 3 wrong codes for 30 s, doubling up to 15 min",
        arguments: [(1, nil), (2, nil), (3, 30), (4, 60), (5, 120), (6, 240), (7, 480), (8, 900), (9, 900), (100, 900)]
            as [(Int, Int?)]
    )
    func policy(failures: Int, seconds: Int?) {
        #expect(KeypadLockoutPolicy().lockout(afterFailures: failures) == seconds.map { .seconds($0) })
    }

    @Test("wrong codes escalate per keypad, attempts during a lockout are refused, a success resets")
    func escalation() throws {
        var state = makeState()
        try state.assign(door: "A1", order: "ORD-1", pickupCode: secretCode, at: .zero)
        try state.unlock(door: "A1", reason: .deposit, at: .zero)
        state.door("A1", open: true, ms: 100)
        state.door("A1", open: false, ms: 1000)
        state.expire(at: at(ms: 2000))
        _ = state.takeActions()

        func attempt(_ code: String, _ keypad: String = "scanner-2", ms: Int) -> Result<String, LockerError> {
            do throws(LockerError) {
                return .success(try state.pickupCode(code, keypad: keypad, at: at(ms: ms)))
            } catch {
                return .failure(error)
            }
        }

        #expect(attempt("0000", ms: 10_000) == .failure(.wrongCode(attempts: 1)))
        #expect(attempt("0001", ms: 11_000) == .failure(.wrongCode(attempts: 2)))
        #expect(attempt("0002", ms: 12_000) == .failure(.wrongCode(attempts: 3)))
        let third = emitted(state.takeActions())[2].data
        #expect(
            third.jsonText
                == #"{"locker":"lockers-A","keypad":"scanner-2","reason":"wrong-code","attempts":3,"lockedForMs":30000}"#
        )
        // Locked out: even the right code is refused, and the refusal is reported.
        #expect(attempt(secretCode, ms: 20_000) == .failure(.keypadLockedOut(remaining: .seconds(22))))
        let refused = emitted(state.takeActions())
        #expect(refused.map { $0.data["reason"] } == ["locked-out"])
        #expect(refused[0].data["attempts"] == 3)
        // Another keypad is not affected.
        #expect(attempt("7777", "scanner-3", ms: 20_000) == .failure(.wrongCode(attempts: 1)))
        // After the lockout, the next wrong code doubles it.
        #expect(attempt("0003", ms: 42_000) == .failure(.wrongCode(attempts: 4)))
        #expect(attempt("0004", ms: 101_999) == .failure(.keypadLockedOut(remaining: .milliseconds(1))))
        #expect(attempt("0004", ms: 102_000) == .failure(.wrongCode(attempts: 5)))
        #expect(attempt(secretCode, ms: 221_999) == .failure(.keypadLockedOut(remaining: .milliseconds(1))))
        // The right code after the lockout opens the door and resets the count.
        #expect(attempt(secretCode, ms: 222_000) == .success("A1"))
        #expect(attempt("0005", ms: 223_000) == .failure(.wrongCode(attempts: 1)))
        let last = try #require(emitted(state.takeActions()).last)
        #expect(last.data["lockedForMs"] == nil)
    }

    @Test(
        "codes of the wrong length count as wrong codes without being hashed",
        arguments: ["", "123", String(repeating: "9", count: 65)]
    )
    func wrongLength(code: String) throws {
        var state = makeState()
        #expect(throws: LockerError.wrongCode(attempts: 1)) {
            try state.pickupCode(code, keypad: "k", at: .zero)
        }
    }
}

@Suite("LockerBankState: bad commands")
struct LockerBankStateErrorTests {
    @Test("every command refuses a door the bank does not have")
    func unknownDoor() {
        var state = makeState()
        #expect(throws: LockerError.unknownDoor("Z9")) { try state.unlock(door: "Z9", reason: .remote, at: .zero) }
        #expect(throws: LockerError.unknownDoor("Z9")) {
            try state.assign(door: "Z9", order: "ORD-1", pickupCode: secretCode, at: .zero)
        }
        #expect(throws: LockerError.unknownDoor("Z9")) { try state.release(door: "Z9", at: .zero) }
        #expect(state.takeActions().isEmpty)
    }

    @Test("a door cannot be assigned twice")
    func assignTwice() throws {
        var state = makeState()
        try state.assign(door: "A1", order: "ORD-1", pickupCode: secretCode, at: .zero)
        #expect(throws: LockerError.doorAlreadyAssigned(door: "A1", order: "ORD-1")) {
            try state.assign(door: "A1", order: "ORD-2", pickupCode: "5555-x", at: .zero)
        }
        #expect(state.status()[0].order == "ORD-1")
    }

    @Test("releasing a door with no order fails")
    func releaseUnassigned() {
        var state = makeState()
        #expect(throws: LockerError.doorNotAssigned("A2")) { try state.release(door: "A2", at: .zero) }
    }

    @Test("pickup codes shorter than 6 characters are refused", arguments: ["", "1", "12345"])
    func shortCode(code: String) {
        var state = makeState()
        #expect(throws: LockerError.codeTooShort(minimum: 6)) {
            try state.assign(door: "A1", order: "ORD-1", pickupCode: code, at: .zero)
        }
        #expect(state.status()[0].order == nil)
    }

    @Test("other assignment inputs are checked")
    func otherAssignmentErrors() throws {
        var state = makeState()
        #expect(throws: LockerError.emptyOrder) {
            try state.assign(door: "A1", order: "", pickupCode: secretCode, at: .zero)
        }
        #expect(throws: LockerError.codeTooLong(maximum: 64)) {
            try state.assign(door: "A1", order: "O", pickupCode: String(repeating: "x", count: 65), at: .zero)
        }
        #expect(throws: LockerError.expiryInPast) {
            try state.assign(door: "A1", order: "O", pickupCode: secretCode, expiresAt: at(ms: 10), at: at(ms: 10))
        }
        try state.assign(door: "A1", order: "ORD-1", pickupCode: secretCode, at: .zero)
        #expect(throws: LockerError.codeInUse) {
            try state.assign(door: "A2", order: "ORD-2", pickupCode: secretCode, at: .zero)
        }
    }

    @Test("errors have stable codes and say what is wrong without any pickup code")
    func errorTexts() {
        let errors: [LockerError] = [
            .unknownDoor("Z9"), .doorAlreadyAssigned(door: "A1", order: "O"), .doorNotAssigned("A1"),
            .emptyOrder, .codeTooShort(minimum: 4), .codeTooLong(maximum: 64), .codeInUse, .expiryInPast,
            .invalidPulse, .wrongCode(attempts: 2), .keypadLockedOut(remaining: .seconds(30)), .codeExpired,
            .notDeposited, .cryptoUnavailable, .notRunning,
        ]
        #expect(Set(errors.map(\.code)).count == errors.count)
        #expect(LockerError.unknownDoor("Z9").code == "unknown-door")
        #expect(LockerError.unknownDoor("Z9").description == #"unknown door "Z9""#)
    }
}

@Suite("LockerBankState: the pickup code stays secret")
struct LockerBankStateSecrecyTests {
    @Test("no event, error or dump of the state ever contains a pickup code")
    func codeNeverLeaks() throws {
        var state = makeState()
        var texts: [String] = []
        func collect() { texts += emitted(state.takeActions()).map(\.data.jsonText) }

        try state.assign(door: "A1", order: "ORD-1", pickupCode: secretCode, expiresAt: at(ms: 900_000), at: .zero)
        try state.assign(door: "A2", order: "ORD-2", pickupCode: "A2-\(secretCode)", at: .zero)
        texts.append(String(reflecting: state))
        for door in ["A1", "A2"] { try state.unlock(door: door, reason: .deposit, at: .zero) }
        for door in ["A1", "A2"] {
            state.door(door, open: true, ms: 100)
            state.door(door, open: false, ms: 1000)
        }
        state.expire(at: at(ms: 2000))
        collect()
        for (index, wrong) in ["\(secretCode)x", "x\(secretCode)", "0000", "1111", secretCode].enumerated() {
            do {
                try state.pickupCode(wrong, keypad: "scanner-2", at: at(ms: 3000 + index))
            } catch {
                texts.append(error.description)
            }
        }
        collect()
        try state.pickupCode("A2-\(secretCode)", keypad: "scanner-3", at: at(ms: 4000))
        state.door("A2", open: true, ms: 4100)
        state.door("A2", open: false, ms: 5000)
        state.expire(at: at(ms: 6000))
        collect()
        do {
            try state.pickupCode(secretCode, keypad: "scanner-4", at: at(ms: 1_000_000))
        } catch {
            texts.append(error.description)
        }
        collect()

        #expect(texts.count > 10)
        for text in texts {
            #expect(!text.contains(secretCode), "leaked in: \(text)")
        }
    }
}

@Suite("LockerBankState: guessing is bounded")
struct LockerBankStateGuessingTests {
    /// A1 assigned to ORD-1 with `secretCode` and deposited between 0 and 2 s; actions taken.
    private func depositedState(_ configuration: LockerBankConfiguration) throws -> LockerBankState {
        var state = makeState(configuration)
        try state.assign(door: "A1", order: "ORD-1", pickupCode: secretCode, at: .zero)
        try state.unlock(door: "A1", reason: .deposit, at: .zero)
        state.door("A1", open: true, ms: 100)
        state.door("A1", open: false, ms: 1000)
        state.expire(at: at(ms: 2000))
        _ = state.takeActions()
        return state
    }

    /// The error code `pickupCode` failed with, or nil when it opened a door.
    private func attempt(
        _ state: inout LockerBankState,
        _ code: String,
        keypad: String = "scanner-2",
        at: ClockInstant
    )
        -> String?
    {
        do {
            try state.pickupCode(code, keypad: keypad, at: at)
            return nil
        } catch {
            return error.code
        }
    }

    @Test(
        "by default a pickup code shorter than 6 characters is refused with code-too-short",
        arguments: ["12345", "1234"]
    )
    func defaultMinimumLength(code: String) {
        var state = LockerBankState(configuration: LockerBankConfiguration(id: "lockers-A", doors: ["A1"]), now: .zero)
        #expect(throws: LockerError.codeTooShort(minimum: 6)) {
            try state.assign(door: "A1", order: "ORD-1", pickupCode: code, at: .zero)
        }
        #expect(state.status()[0].order == nil)
    }

    @Test("the 20th wrong code within 24 hours blocks the keypad for good: the right code is refused days later")
    func budgetBlocksKeypad() throws {
        var state = try depositedState(lockerConfiguration())
        let minutes16 = 16 * 60_000  // longer than the longest lockout, so every attempt is judged
        for number in 1...20 {
            let code = attempt(&state, "999\(100 + number)", at: at(ms: number * minutes16))
            #expect(code == "wrong-code", "attempt \(number)")
        }
        let events = emitted(state.takeActions())
        let blocked = events.filter { $0.type == EventType(rawValue: "locker.keypad.blocked") }
        #expect(blocked.count == 1)
        #expect(blocked.first?.data["keypad"] == "scanner-2")
        #expect(blocked.first?.data["wrongCodes"] == 20)
        #expect(attempt(&state, secretCode, at: at(ms: 21 * minutes16)) == "keypad-blocked")
        #expect(attempt(&state, secretCode, at: at(ms: 5 * 24 * 3_600_000)) == "keypad-blocked")
        #expect(lockWrites(state.takeActions()).isEmpty)
        // Another keypad is not blocked.
        #expect(attempt(&state, secretCode, keypad: "scanner-3", at: at(ms: 5 * 24 * 3_600_000)) == nil)
    }

    @Test("the budget is configurable, and only wrong codes of the last 24 hours count", arguments: [1, 5, 20])
    func configurableBudget(budget: Int) throws {
        var configuration = lockerConfiguration()
        configuration.wrongCodeBudget = budget
        var state = try depositedState(configuration)
        let minutes16 = 16 * 60_000
        // budget - 1 wrong codes, then 30 hours later as many again: never more than budget - 1 within 24 hours.
        for day in 0..<2 {
            for number in 1..<budget {
                let ms = day * 30 * 3_600_000 + number * minutes16
                #expect(attempt(&state, "999\(100 + number)", at: at(ms: ms)) == "wrong-code")
            }
        }
        #expect(!eventTypes(state.takeActions()).contains(.lockerKeypadBlocked))
        // One more within the second day's window uses the budget up.
        #expect(attempt(&state, "999999", at: at(ms: 30 * 3_600_000 + budget * minutes16)) == "wrong-code")
        #expect(eventTypes(state.takeActions()).contains(.lockerKeypadBlocked))
        #expect(attempt(&state, secretCode, at: at(ms: 31 * 3_600_000 + budget * minutes16)) == "keypad-blocked")
    }

    @Test("a technician clears a blocked keypad; clearing one that is not blocked is refused")
    func unblock() throws {
        var configuration = lockerConfiguration()
        configuration.wrongCodeBudget = 2
        var state = try depositedState(configuration)
        #expect(throws: LockerError.keypadNotBlocked("scanner-2")) { try state.unblockKeypad("scanner-2", at: .zero) }
        #expect(attempt(&state, "111111", at: at(ms: 10_000)) == "wrong-code")
        #expect(attempt(&state, "111112", at: at(ms: 11_000)) == "wrong-code")
        #expect(attempt(&state, secretCode, at: at(ms: 3_600_000)) == "keypad-blocked")
        let refused = emitted(state.takeActions()).last
        #expect(refused?.type == .lockerCodeRejected)
        #expect(refused?.data["reason"] == "blocked")
        try state.unblockKeypad("scanner-2", at: at(ms: 3_600_001))
        #expect(state.records.keypads.isEmpty)
        #expect(attempt(&state, secretCode, at: at(ms: 3_600_002)) == nil)
    }

    @Test("a blocked keypad and its wrong codes are part of the records a restart restores")
    func blockedIsRecorded() throws {
        var configuration = lockerConfiguration()
        configuration.wrongCodeBudget = 2
        var state = try depositedState(configuration)
        _ = attempt(&state, "111111", at: at(ms: 10_000))
        _ = attempt(&state, "111112", at: at(ms: 11_000))
        let records = state.records
        #expect(records.keypads.map(\.blocked) == [true])
        var restarted = makeState(configuration)
        try restarted.restore(records)
        #expect(restarted.records == records)
        #expect(attempt(&restarted, secretCode, at: at(ms: 20_000)) == "keypad-blocked")
    }
}

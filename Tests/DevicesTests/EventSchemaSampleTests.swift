import Devices
import Events
import HAL
import TestSupport
import Testing

/// Events the drivers' state machines produce, checked against their schemas (`EventType.coreSchemas`) with
/// python3-jsonschema: the locker and pick-to-light types an end-to-end run does not reach quickly (left open,
/// collected, keypad blocked, shortage) among them. A type without a schema fails.
@Suite("Driver events match the published schemas")
struct EventSchemaSampleTests {
    @Test(
        "a locker bank's deposit, collection, forced and left-open doors and wrong codes match their schemas",
        .enabled(if: JSONSchemaValidator.isInstalled, "needs python3-jsonschema")
    )
    func lockerEvents() async throws {
        var state = LockerBankState(configuration: lockerConfiguration(), now: .zero)
        var samples: [(type: EventType, data: JSONValue)] = []
        try state.assign(door: "A1", order: "ORD-1", pickupCode: "K7Q9-ZX31", at: .zero)
        try state.unlock(door: "A1", reason: .deposit, at: .zero)
        state.door("A1", open: true, ms: 100)
        state.door("A1", open: false, ms: 1000)
        state.expire(at: at(ms: 2000))
        samples += emitted(state.takeActions())
        _ = try state.pickupCode("K7Q9-ZX31", keypad: "scanner-2", at: at(ms: 10_000))
        state.door("A1", open: true, ms: 10_300)
        state.door("A1", open: false, ms: 15_000)
        state.expire(at: at(ms: 15_050))
        samples += emitted(state.takeActions())
        // A2 opened without an unlock, left open, then closed.
        state.door("A2", open: true, ms: 20_000)
        state.expire(at: at(ms: 20_100))
        state.expire(at: at(ms: 90_000))
        state.door("A2", open: false, ms: 100_000)
        state.expire(at: at(ms: 100_100))
        samples += emitted(state.takeActions())
        // An order on A3, then wrong codes until the keypad is blocked.
        try state.assign(door: "A3", order: "ORD-3", pickupCode: "K7Q9-ZX32", at: at(ms: 110_000))
        let minutes16 = 16 * 60_000
        for number in 1...20 {
            _ = try? state.pickupCode(
                "999\(100 + number)",
                keypad: "scanner-2",
                at: at(ms: number * minutes16 + 120_000)
            )
        }
        samples += emitted(state.takeActions())

        let expected: Set<EventType> = [
            .lockerUnlocked, .lockerDoorOpened, .lockerDoorClosed, .lockerDeposited, .lockerCollected,
            .lockerDoorForced, .lockerDoorLeftOpen, .lockerCodeRejected, .lockerKeypadBlocked,
        ]
        #expect(Set(samples.map(\.type)).isSuperset(of: expected), "\(Set(samples.map(\.type.rawValue)).sorted())")
        let (status, report) = try await JSONSchemaValidator.validate(data: samples, schemas: EventType.coreSchemas)
        #expect(status == 0 && report.isEmpty, "\(samples.count) events:\n\(report)")
    }

    @Test(
        "pick-to-light lit, confirmed and shortage events and its faults match their schemas",
        .enabled(if: JSONSchemaValidator.isInstalled, "needs python3-jsonschema")
    )
    func pickToLightEvents() async throws {
        var state = PickToLightState(slots: [
            .init(id: "S1", outputs: ["default"]), .init(id: "S2", outputs: ["default"]),
        ])
        var actions = try state.light(slot: "S1", color: "green", task: "pick-1", at: at(ms: 0))
        actions += try state.light(slot: "S2", color: "green", task: nil, at: at(ms: 10))
        actions += try state.light(slot: "S2", color: "green", task: "pick-2", at: at(ms: 20))
        actions += state.press(slot: "S1", button: .confirm, at: at(ms: 900))
        actions += state.press(slot: "S2", button: .shortage, at: at(ms: 1900))
        actions += state.press(slot: "S2", button: .confirm, at: at(ms: 2900))
        actions.append(state.recordFault(reason: "io-error", detail: "the line request failed"))
        let samples = actions.compactMap { action -> (type: EventType, data: JSONValue)? in
            if case .emit(let type, let data) = action { return (type, data) }
            return nil
        }
        let expected: Set<EventType> = [.ptlLit, .ptlConfirmed, .ptlShortage, .deviceFault]
        #expect(Set(samples.map(\.type)).isSuperset(of: expected), "\(Set(samples.map(\.type.rawValue)).sorted())")
        let (status, report) = try await JSONSchemaValidator.validate(data: samples, schemas: EventType.coreSchemas)
        #expect(status == 0 && report.isEmpty, "\(samples.count) events:\n\(report)")
    }

    @Test(
        "the check refuses data missing a required member and a type without a schema",
        .enabled(if: JSONSchemaValidator.isInstalled, "needs python3-jsonschema")
    )
    func refusals() async throws {
        let samples: [(type: EventType, data: JSONValue)] = [
            (.scan, ["symbology": "qr", "aim": .null]),
            (EventType(rawValue: "locker.door.teleported"), ["locker": "lockers-A"]),
        ]
        let (status, report) = try await JSONSchemaValidator.validate(data: samples, schemas: EventType.coreSchemas)
        #expect(status == 1)
        #expect(report.contains("1: events/scan: /: 'text' is a required property"), "\(report)")
        #expect(report.contains("2: events/locker.door.teleported: no schema for this topic"), "\(report)")
    }
}

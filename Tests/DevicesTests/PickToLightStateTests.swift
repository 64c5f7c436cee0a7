import Devices
import Events
import HAL
import Testing

/// S1 and S2 have one lamp (`default`); S3 has red, green and blue outputs.
private func makeState() -> PickToLightState {
    PickToLightState(slots: [
        .init(id: "S1", outputs: ["default"]),
        .init(id: "S2", outputs: ["default"]),
        .init(id: "S3", outputs: ["red", "green", "blue"]),
    ])
}

private func ptl(_ slot: String, _ task: String?, _ color: String) -> JSONValue {
    ["slot": .string(slot), "task": task.map(JSONValue.string) ?? .null, "color": .string(color)]
}

private func fault(_ detail: String, count: Int64) -> PickToLightState.Action {
    .emit(.deviceFault, ["reason": "unexpected-press", "detail": .string(detail), "count": .int(count)])
}

private func on(_ slot: String, _ output: String = "default") -> PickToLightState.Action {
    .setLight(slot: slot, output: output, on: true)
}

private func off(_ slot: String, _ output: String = "default") -> PickToLightState.Action {
    .setLight(slot: slot, output: output, on: false)
}

/// One button test: presses (slot, ms) in order, and each slot's outcome and the start of its detail.
struct ButtonTestCase: Sendable, CustomTestStringConvertible {
    let name: String
    let presses: [(slot: String, ms: Int)]
    let outcomes: [(slot: String, passed: Bool, detail: String)]

    var testDescription: String { name }
}

/// One debounce scenario: raw levels of S1's confirm button at given milliseconds, then time runs to `endMs`.
struct BounceCase: Sendable, CustomTestStringConvertible {
    let name: String
    let levels: [(ms: Int, active: Bool)]
    let endMs: Int
    /// The instants (ms) at which a confirm press must come out.
    let pressesAtMs: [Int]

    var testDescription: String { name }
}

@Suite("PickToLightState")
struct PickToLightStateTests {
    @Test func lightThenConfirmEmitsLitThenConfirmedAndDarkens() throws {
        var state = makeState()
        #expect(
            try state.light(slot: "S1", color: "green", task: "pick-1", at: at(ms: 0)) == [
                on("S1"), .emit(.ptlLit, ptl("S1", "pick-1", "green")),
            ]
        )
        #expect(state.deadline == nil)
        #expect(
            state.press(slot: "S1", button: .confirm, at: at(ms: 900)) == [
                off("S1"), .emit(.ptlConfirmed, ptl("S1", "pick-1", "green")),
            ]
        )
        #expect(state.assignment(of: "S1") == nil)
    }

    @Test func shortagePressEmitsShortageAndDarkens() throws {
        var state = makeState()
        _ = try state.light(slot: "S2", color: "red", task: "pick-2", at: at(ms: 0))
        #expect(
            state.press(slot: "S2", button: .shortage, at: at(ms: 100)) == [
                off("S2"), .emit(.ptlShortage, ptl("S2", "pick-2", "red")),
            ]
        )
    }

    @Test func pressOnDarkSlotIsAFaultWithCumulativeCountNeverAConfirmation() throws {
        var state = makeState()
        #expect(
            state.press(slot: "S1", button: .confirm, at: at(ms: 0)) == [
                fault("confirm button pressed on dark slot S1", count: 1)
            ]
        )
        #expect(
            state.press(slot: "S2", button: .shortage, at: at(ms: 10)) == [
                fault("shortage button pressed on dark slot S2", count: 2)
            ]
        )
        _ = try state.light(slot: "S1", color: "green", task: "t", at: at(ms: 20))
        _ = state.press(slot: "S1", button: .confirm, at: at(ms: 30))
        #expect(
            state.press(slot: "S1", button: .confirm, at: at(ms: 40)) == [
                fault("confirm button pressed on dark slot S1", count: 3)
            ]
        )
        #expect(state.faults == ["unexpected-press": 3])
    }

    /// Each colour's single-lamp pattern: the instants (ms) at which the lamp toggles in the first 1.1 s.
    @Test(arguments: [
        ("green", [Int]()),
        ("red", [250, 500, 750, 1000]),
        ("blue", [500, 1000]),
        ("yellow", [500, 1000]),
        ("white", [500, 1000]),
    ])
    func singleLampBlinkPatternTogglesOnAnExactGrid(color: String, toggles: [Int]) throws {
        var state = makeState()
        _ = try state.light(slot: "S1", color: color, task: "t", at: at(ms: 1000))
        var seen: [Int] = []
        var lampOn = true
        while let deadline = state.deadline, deadline <= at(ms: 2100) {
            let actions = state.expire(at: deadline)
            #expect(actions == [.setLight(slot: "S1", output: "default", on: !lampOn)])
            lampOn.toggle()
            seen.append(Int((deadline - at(ms: 1000)) / .milliseconds(1)))
        }
        #expect(seen == toggles)
    }

    @Test func aLateExpireJumpsToTheRightPhaseWithOneChange() throws {
        var state = makeState()
        _ = try state.light(slot: "S1", color: "red", task: "t", at: at(ms: 0))
        // 1,100 ms in: 4 whole half-periods have passed, so the lamp is on again; nothing to change.
        #expect(state.expire(at: at(ms: 1100)) == [])
        #expect(state.deadline == at(ms: 1250))
        #expect(state.expire(at: at(ms: 1300)) == [off("S1")])
    }

    /// Multi-colour wiring: every wired colour shows steady on its own output.
    @Test(arguments: ["red", "green", "blue"])
    func multiColourSlotDrivesTheNamedOutputSteady(color: String) throws {
        var state = makeState()
        #expect(
            try state.light(slot: "S3", color: color, task: "t", at: at(ms: 0)) == [
                on("S3", color), .emit(.ptlLit, ptl("S3", "t", color)),
            ]
        )
        #expect(state.deadline == nil)
    }

    @Test(arguments: [
        ("S9", "green", PickToLightError.unknownSlot("S9")),
        ("S3", "yellow", PickToLightError.unknownColor("yellow", slot: "S3", available: ["blue", "green", "red"])),
        (
            "S1", "purple",
            PickToLightError.unknownColor(
                "purple",
                slot: "S1",
                available: ["green", "red", "blue", "yellow", "white"]
            )
        ),
    ])
    func lightRefusesUnknownSlotsAndColours(slot: String, color: String, expected: PickToLightError) {
        var state = makeState()
        #expect(throws: expected) { try state.light(slot: slot, color: color, task: "t", at: at(ms: 0)) }
        #expect(state.assignment(of: slot) == nil)
    }

    @Test func clearRefusesAnUnknownSlot() {
        var state = makeState()
        #expect(throws: PickToLightError.unknownSlot("S9")) { try state.clear(slot: "S9", at: at(ms: 0)) }
    }

    @Test func clearOneSlotThenAllDarkensWithoutEvents() throws {
        var state = makeState()
        _ = try state.light(slot: "S1", color: "green", task: "a", at: at(ms: 0))
        _ = try state.light(slot: "S2", color: "red", task: "b", at: at(ms: 0))
        _ = try state.light(slot: "S3", color: "blue", task: "c", at: at(ms: 0))
        #expect(try state.clear(slot: "S2", at: at(ms: 10)) == [off("S2")])
        #expect(state.assignment(of: "S1")?.task == "a")
        #expect(try state.clear(slot: nil, at: at(ms: 20)) == [off("S1"), off("S3", "blue")])
        #expect(try state.clear(slot: "S1", at: at(ms: 30)) == [])
        #expect(state.deadline == nil)
    }

    @Test func relightingReplacesTheTaskAndNamesTheOldOne() throws {
        var state = makeState()
        _ = try state.light(slot: "S3", color: "green", task: "old", at: at(ms: 0))
        #expect(
            try state.light(slot: "S3", color: "red", task: "new", at: at(ms: 100)) == [
                off("S3", "green"), on("S3", "red"),
                .emit(.ptlLit, ["slot": "S3", "task": "new", "color": "red", "replaces": "old"]),
            ]
        )
        #expect(
            state.press(slot: "S3", button: .confirm, at: at(ms: 200)) == [
                off("S3", "red"), .emit(.ptlConfirmed, ptl("S3", "new", "red")),
            ]
        )
    }

    @Test func relightingWithTheSameColourKeepsTheBlinkPhase() throws {
        var state = makeState()
        _ = try state.light(slot: "S1", color: "red", task: "a", at: at(ms: 0))
        _ = state.expire(at: at(ms: 250))
        #expect(
            try state.light(slot: "S1", color: "red", task: "b", at: at(ms: 300)) == [
                .emit(.ptlLit, ["slot": "S1", "task": "b", "color": "red", "replaces": "a"])
            ]
        )
        #expect(state.deadline == at(ms: 500))
    }

    @Test func aTaskIsOptional() throws {
        var state = makeState()
        #expect(
            try state.light(slot: "S1", color: "green", task: nil, at: at(ms: 0)) == [
                on("S1"), .emit(.ptlLit, ptl("S1", nil, "green")),
            ]
        )
    }

    static let bounceCases: [BounceCase] = [
        .init(
            name: "a clean press counts once the debounce has passed",
            levels: [(0, true)],
            endMs: 100,
            pressesAtMs: [30]
        ),
        .init(
            name: "a glitch shorter than the debounce is ignored",
            levels: [(0, true), (5, false)],
            endMs: 100,
            pressesAtMs: []
        ),
        .init(
            name: "contact bounce delays the press until the level holds",
            levels: [(0, true), (4, false), (9, true), (12, false), (15, true)],
            endMs: 100,
            pressesAtMs: [45]
        ),
        .init(
            name: "bounce on release makes no second press",
            levels: [(0, true), (200, false), (203, true), (206, false)],
            endMs: 400,
            pressesAtMs: [30]
        ),
        .init(
            name: "two real presses count twice",
            levels: [(0, true), (100, false), (200, true)],
            endMs: 400,
            pressesAtMs: [30, 230]
        ),
    ]

    @Test(arguments: bounceCases)
    func debounce(_ scenario: BounceCase) {
        var state = makeState()
        var presses: [Int] = []
        func record(_ actions: [PickToLightState.Action], at ms: Int) {
            for case .emit(.deviceFault, _) in actions { presses.append(ms) }
        }
        for level in scenario.levels {
            // Deadlines that fall before the next edge are expired first, as the driver loop does.
            while let deadline = state.deadline, deadline < at(ms: level.ms) {
                record(state.expire(at: deadline), at: Int(deadline.sinceOrigin / .milliseconds(1)))
            }
            record(
                state.buttonLevel(slot: "S1", button: .confirm, active: level.active, at: at(ms: level.ms)),
                at: level.ms
            )
        }
        while let deadline = state.deadline, deadline <= at(ms: scenario.endMs) {
            record(state.expire(at: deadline), at: Int(deadline.sinceOrigin / .milliseconds(1)))
        }
        #expect(presses == scenario.pressesAtMs)
    }

    @Test func aReleaseHandledBeforeTheDeadlineFiredDoesNotEraseTheHeldPress() throws {
        var state = makeState()
        _ = try state.light(slot: "S1", color: "green", task: "t", at: at(ms: 0))
        #expect(state.buttonLevel(slot: "S1", button: .confirm, active: true, at: at(ms: 0)) == [])
        // The loop was busy: the release edge (80 ms) arrives before it ever woke for the 30 ms deadline.
        #expect(
            state.buttonLevel(slot: "S1", button: .confirm, active: false, at: at(ms: 80)) == [
                off("S1"), .emit(.ptlConfirmed, ptl("S1", "t", "green")),
            ]
        )
    }

    @Test func aButtonHeldAtStartUpIsNotAPress() {
        var state = makeState()
        state.resetButton(slot: "S1", button: .confirm, active: true)
        #expect(state.buttonLevel(slot: "S1", button: .confirm, active: true, at: at(ms: 0)) == [])
        #expect(state.deadline == nil)
    }

    @Test func lampTestLightsEachOutputAloneThenRestoresTasks() throws {
        var state = makeState()
        _ = try state.light(slot: "S2", color: "green", task: "t", at: at(ms: 0))
        #expect(state.startTest(at: at(ms: 0)) == [off("S2"), on("S1")])
        #expect(state.isTesting)
        var steps: [[PickToLightState.Action]] = []
        while let deadline = state.deadline {
            steps.append(state.expire(at: deadline))
        }
        #expect(
            steps == [
                [off("S1"), on("S2")],
                [off("S2"), on("S3", "blue")],
                [off("S3", "blue"), on("S3", "green")],
                [off("S3", "green"), on("S3", "red")],
                [off("S3", "red"), on("S2")],
            ]
        )
        #expect(!state.isTesting)
        #expect(state.assignment(of: "S2")?.task == "t")
    }

    @Test(
        "a button test lights each slot until its button, another slot's button or the timeout answers it",
        arguments: [
            ButtonTestCase(
                name: "every button pressed in turn",
                presses: [("S1", 1200), ("S2", 1500), ("S3", 4000)],
                outcomes: [
                    ("S1", true, "button pressed 1.2 s after the light went on"),
                    ("S2", true, "button pressed 0.3 s after"), ("S3", true, "button pressed 2.5 s after"),
                ]
            ),
            ButtonTestCase(
                name: "S2 never answers",
                presses: [("S1", 100), ("S3", 10_200)],
                outcomes: [
                    ("S1", true, "button pressed 0.1 s"), ("S2", false, "no button press within 10.0 s"),
                    ("S3", true, "button pressed 0.1 s"),
                ]
            ),
            ButtonTestCase(
                name: "S3's button pressed while S1 is lit",
                presses: [("S3", 500), ("S2", 700), ("S3", 900)],
                outcomes: [
                    ("S1", false, "the button of S3 was pressed while S1 was lit"),
                    ("S2", true, "button pressed 0.2 s"), ("S3", true, "button pressed 0.2 s"),
                ]
            ),
        ]
    )
    func buttonTest(_ testCase: ButtonTestCase) throws {
        var state = makeState()
        _ = try state.light(slot: "S2", color: "green", task: "t", at: at(ms: 0))
        #expect(state.startButtonTest(timeout: .seconds(10), at: at(ms: 0)) == [off("S2"), on("S1")])
        #expect(state.buttonTestSlot == "S1")
        var actions: [PickToLightState.Action] = []
        for press in testCase.presses {
            while let deadline = state.deadline, deadline <= at(ms: press.ms) {
                actions += state.expire(at: deadline)
            }
            actions += state.press(slot: press.slot, button: .confirm, at: at(ms: press.ms))
        }
        while let deadline = state.deadline {
            actions += state.expire(at: deadline)
        }
        #expect(!state.isTesting)
        let results = state.buttonTestResults
        #expect(results.map(\.slot) == testCase.outcomes.map(\.slot))
        for (result, outcome) in zip(results, testCase.outcomes) {
            #expect(result.passed == outcome.passed, "\(result)")
            #expect(result.detail.hasPrefix(outcome.detail), "\(result)")
        }
        // Presses were the test's answers: no fault, no confirmation, and S2's task is lit again.
        #expect(!actions.contains { if case .emit = $0 { true } else { false } }, "\(actions)")
        #expect(state.faults.isEmpty)
        #expect(state.assignment(of: "S2")?.task == "t")
        #expect(actions.last == on("S2"))
    }

    @Test func aButtonTestLightsEveryLampOfTheSlotItWaitsFor() {
        var state = makeState()
        _ = state.startButtonTest(timeout: .seconds(5), at: at(ms: 0))
        _ = state.press(slot: "S1", button: .confirm, at: at(ms: 10))
        #expect(
            state.press(slot: "S2", button: .confirm, at: at(ms: 20)) == [
                off("S2"), on("S3", "blue"), on("S3", "green"), on("S3", "red"),
            ]
        )
        #expect(state.buttonTestSlot == "S3")
    }

    @Test func aPressOnADarkSlotDuringTheLampTestIsNotAFault() {
        var state = makeState()
        _ = state.startTest(at: at(ms: 0))
        #expect(state.press(slot: "S2", button: .confirm, at: at(ms: 100)) == [])
        #expect(state.faults.isEmpty)
    }
}

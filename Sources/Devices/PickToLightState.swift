import Events
import HAL

/// The pick-to-light rules as a pure state machine (swift-nio style): commands, button levels and the passing
/// of time go in, lamp changes and events come out. `PickToLight` is the thin shell that feeds it from GPIO.
///
/// - `light` shows a task on a slot and emits `ptl.lit` (`slot`, `task`, `color`). Lighting a lit slot replaces
///   its task: nothing is emitted for the old task, and the new `ptl.lit` carries `replaces` (the old task)
///   when the task changed. Keeping the same colour keeps the blink phase.
/// - A debounced confirm press on a lit slot emits `ptl.confirmed`, a shortage press `ptl.shortage`
///   (both `slot`, `task`, `color`), and the slot goes dark. A press on a dark slot is never a confirmation:
///   it emits `device.fault` with reason `unexpected-press` and a cumulative `count`.
/// - `clear` darkens one slot or all without emitting anything (the command's `command.result` reports it).
/// - `startTest` lights every output in turn for `testStep`, alone: while it runs, task lamps are dark (tasks stay
///   assigned and buttons keep working), and they show again when it ends. A press on a dark slot meanwhile is a
///   tester's, not a fault.
/// - `startButtonTest` lights each slot in turn (every lamp of it) and waits up to its timeout for that slot's
///   confirm button: the press passes the slot, a press of another slot's button fails it (crossed wiring), the
///   timeout fails it; then the next slot lights. Every confirm press meanwhile is the test's answer, never a
///   confirmation or a fault; shortage buttons are ignored. `buttonTestResults` holds the outcome once it ends.
///
/// Lamp changes come before events in every returned batch, turn-offs before turn-ons.
public struct PickToLightState: Sendable {
    /// What the shell must do: drive a lamp output or emit an event.
    public enum Action: Hashable, Sendable {
        /// Drive output `output` (a colour key of the slot's wiring) of `slot`.
        case setLight(slot: String, output: String, on: Bool)
        /// Emit an event of this type with this `data`.
        case emit(EventType, JSONValue)
    }

    /// One slot as the rules see it: its id and lamp output keys.
    public struct SlotLayout: Hashable, Sendable {
        /// The slot id.
        public var id: String
        /// Lamp output keys (colours, or `default` for a single lamp).
        public var outputs: [String]

        /// Describes a slot; `outputs` are kept sorted and unique.
        public init(id: String, outputs: [String]) {
            self.id = id
            self.outputs = Array(Set(outputs)).sorted()
        }
    }

    /// What a lit slot shows, and since when.
    public struct Assignment: Hashable, Sendable {
        /// The task the light is for, if the command named one.
        public var task: String?
        /// The colour the command asked for.
        public var color: String
        /// The output key that shows it.
        public var output: String
        /// Steady or blinking.
        public var pattern: LightPattern
        /// When the pattern started (the blink grid's origin).
        public var since: ClockInstant
    }

    private struct OutputKey: Hashable, Sendable {
        var slot: String
        var output: String
    }

    private struct ButtonKey: Hashable, Sendable {
        var slot: String
        var button: PickToLightButton
    }

    /// One slot's outcome in a button test.
    public struct ButtonTestResult: Hashable, Sendable {
        /// The slot id.
        public var slot: String
        /// Whether its own button was pressed while it was lit, within the timeout.
        public var passed: Bool
        /// What happened, for the technician.
        public var detail: String

        /// Describes a slot's outcome.
        public init(slot: String, passed: Bool, detail: String) {
            self.slot = slot
            self.passed = passed
            self.detail = detail
        }
    }

    /// A button test under way: the slot lit now, since when, and until when it waits.
    private struct ButtonTest: Sendable {
        var index: Int
        var litSince: ClockInstant
        var timeout: Duration
        var results: [ButtonTestResult] = []

        var deadline: ClockInstant { litSince + timeout }
    }

    /// The reason code of a press on a dark slot.
    public static let unexpectedPress = "unexpected-press"

    /// The slots in configuration order.
    public let slots: [SlotLayout]
    /// How long a button level must hold to count.
    public let debounce: Duration
    /// How long each output stays on during a lamp test.
    public let testStep: Duration

    private let slotIndex: [String: Int]
    private let testSequence: [OutputKey]
    private var assignments: [String: Assignment] = [:]
    private var levels: [OutputKey: Bool] = [:]
    private var buttons: [ButtonKey: Debouncer] = [:]
    private var faultCounts: [String: Int] = [:]
    private var testStart: ClockInstant?
    private var buttonTest: ButtonTest?
    /// The outcome of the last button test, slot by slot, once it has ended (empty while one runs).
    public private(set) var buttonTestResults: [ButtonTestResult] = []
    /// The latest instant seen; lamps are computed for it so that late edge timestamps never step them back.
    private var latest = ClockInstant.zero

    /// Starts with every slot dark and every button released; duplicate slot ids keep the first.
    public init(slots: [SlotLayout], debounce: Duration = .milliseconds(30), testStep: Duration = .milliseconds(250)) {
        var index: [String: Int] = [:]
        var unique: [SlotLayout] = []
        for slot in slots where index[slot.id] == nil {
            index[slot.id] = unique.count
            unique.append(slot)
        }
        self.slots = unique
        slotIndex = index
        self.debounce = max(debounce, .zero)
        self.testStep = max(testStep, .milliseconds(1))
        testSequence = unique.flatMap { slot in slot.outputs.map { OutputKey(slot: slot.id, output: $0) } }
    }

    /// Takes the slot layout and timing from a module's wiring.
    public init(configuration: PickToLightConfiguration) {
        self.init(
            slots: configuration.slots.map { SlotLayout(id: $0.id, outputs: Array($0.lights.keys)) },
            debounce: configuration.debounce,
            testStep: configuration.testStep
        )
    }

    // MARK: Queries

    /// What `slot` shows, or nil when it is dark (or unknown).
    public func assignment(of slot: String) -> Assignment? {
        assignments[slot]
    }

    /// Whether a lamp test or a button test is running.
    public var isTesting: Bool { testStart != nil || buttonTest != nil }

    /// The slot a running button test has lit, waiting for its button.
    public var buttonTestSlot: String? { buttonTest.map { slots[$0.index].id } }

    /// How many faults were reported, by reason code.
    public var faults: [String: Int] { faultCounts }

    /// The colours `slot` accepts: its own colour outputs, plus the palette when it has a single lamp.
    public func colors(of slot: String) -> [String] {
        guard let index = slotIndex[slot] else { return [] }
        return Self.colors(of: slots[index])
    }

    /// When `expire(at:)` must next be called: a pending button change, a blink toggle or a test step.
    public var deadline: ClockInstant? {
        var candidates = buttons.values.compactMap(\.deadline)
        for assignment in assignments.values {
            if case .blinking(let half) = assignment.pattern {
                let periods = Self.wholePeriods(of: half, in: latest - assignment.since)
                candidates.append(assignment.since + half * (periods + 1))
            }
        }
        if let testStart {
            let step = min(Self.wholePeriods(of: testStep, in: latest - testStart), testSequence.count - 1)
            candidates.append(testStart + testStep * (step + 1))
        }
        if let buttonTest {
            candidates.append(buttonTest.deadline)
        }
        return candidates.min()
    }

    // MARK: Commands

    /// Lights `slot` in `color` for `task` (`ptl.light`).
    public mutating func light(
        slot: String,
        color: String,
        task: String?,
        at now: ClockInstant
    )
        throws(PickToLightError) -> [Action]
    {
        guard let index = slotIndex[slot] else { throw .unknownSlot(slot) }
        let layout = slots[index]
        let output: String
        let pattern: LightPattern
        if layout.outputs.contains(color) {
            (output, pattern) = (color, .steady)
        } else if layout.outputs.contains(LightPattern.singleLampKey), let blink = LightPattern.singleLamp(color) {
            (output, pattern) = (LightPattern.singleLampKey, blink)
        } else {
            throw .unknownColor(color, slot: slot, available: Self.colors(of: layout))
        }
        advance(to: now)
        var data = Self.eventData(slot: slot, task: task, color: color)
        var since = latest
        if let previous = assignments[slot] {
            if let old = previous.task, old != task {
                data.append(("replaces", .string(old)))
            }
            if previous.output == output, previous.pattern == pattern {
                since = previous.since
            }
        }
        assignments[slot] = Assignment(task: task, color: color, output: output, pattern: pattern, since: since)
        return syncOutputs() + [.emit(.ptlLit, .object(data))]
    }

    /// Darkens `slot`, or every slot when nil (`ptl.clear`); emits nothing.
    public mutating func clear(slot: String?, at now: ClockInstant) throws(PickToLightError) -> [Action] {
        if let slot {
            guard slotIndex[slot] != nil else { throw .unknownSlot(slot) }
            assignments[slot] = nil
        } else {
            assignments.removeAll()
        }
        advance(to: now)
        return syncOutputs()
    }

    /// Starts (or restarts) a lamp test: each output in configuration order, on for `testStep`.
    public mutating func startTest(at now: ClockInstant) -> [Action] {
        advance(to: now)
        endButtonTest(remaining: "the test was interrupted by a lamp test")
        testStart = testSequence.isEmpty ? nil : latest
        return syncOutputs()
    }

    /// Starts (or restarts) a button test: the first slot lights and waits up to `timeout` for its confirm button.
    public mutating func startButtonTest(timeout: Duration, at now: ClockInstant) -> [Action] {
        advance(to: now)
        testStart = nil
        endButtonTest(remaining: "the test was restarted")
        buttonTestResults = []
        if !slots.isEmpty {
            buttonTest = ButtonTest(index: 0, litSince: latest, timeout: max(timeout, .milliseconds(1)))
        }
        return syncOutputs()
    }

    /// Ends a running button test, failing the slots it had not reached with `remaining` (the driver stopped).
    public mutating func endButtonTest(remaining detail: String) {
        guard var test = buttonTest else { return }
        for slot in slots[test.index...] {
            test.results.append(ButtonTestResult(slot: slot.id, passed: false, detail: detail))
        }
        buttonTestResults = test.results
        buttonTest = nil
    }

    // MARK: Buttons and time

    /// Sets a button's confirmed level without a press: at start-up, from the line's current level. A button the
    /// kernel debounces (`kernelDebounced`, libgpiod 2.x) counts each reported level at once, with no second wait.
    public mutating func resetButton(
        slot: String,
        button: PickToLightButton,
        active: Bool,
        kernelDebounced: Bool = false
    ) {
        buttons[ButtonKey(slot: slot, button: button)] = Debouncer(
            initial: active,
            interval: kernelDebounced ? .zero : debounce
        )
    }

    /// A raw button level seen at `time` (an edge's kernel timestamp); it counts once it has held for `debounce`,
    /// and a press is the change to active.
    public mutating func buttonLevel(
        slot: String,
        button: PickToLightButton,
        active: Bool,
        at time: ClockInstant
    )
        -> [Action]
    {
        guard slotIndex[slot] != nil else { return [] }
        // Confirm whatever became stable before this edge: a queued release must not erase a held press.
        var events = expireButtons(at: time)
        let key = ButtonKey(slot: slot, button: button)
        var debouncer = buttons[key] ?? Debouncer(initial: false, interval: debounce)
        let confirmed = debouncer.observe(active, at: time)
        buttons[key] = debouncer
        if confirmed == true {
            events += pressEvents(slot: slot, button: button, at: time)
        }
        advance(to: time)
        return syncOutputs() + events
    }

    /// An already debounced press of `button` on `slot` (also how a simulator injects one).
    public mutating func press(slot: String, button: PickToLightButton, at now: ClockInstant) -> [Action] {
        guard slotIndex[slot] != nil else { return [] }
        advance(to: now)
        let events = pressEvents(slot: slot, button: button, at: latest)
        return syncOutputs() + events
    }

    /// Lets time pass up to `now`: confirms debounced presses, steps blink patterns and the lamp test.
    public mutating func expire(at now: ClockInstant) -> [Action] {
        let events = expireButtons(at: now)
        advance(to: now)
        expireButtonTest(at: latest)
        if let testStart, latest >= testStart + testStep * testSequence.count {
            self.testStart = nil
        }
        return syncOutputs() + events
    }

    /// Counts a fault with `reason` and returns its `device.fault` event (the shell reports I/O faults here too).
    public mutating func recordFault(reason: String, detail: String) -> Action {
        let count = faultCounts[reason, default: 0] + 1
        faultCounts[reason] = count
        return .emit(.deviceFault, ["reason": .string(reason), "detail": .string(detail), "count": .int(Int64(count))])
    }

    /// The outputs were just requested (all off): returns the changes that make them show the current state.
    public mutating func outputsWereReset(at now: ClockInstant) -> [Action] {
        levels.removeAll()
        advance(to: now)
        return syncOutputs()
    }

    // MARK: Internals

    private mutating func advance(to time: ClockInstant) {
        latest = max(latest, time)
    }

    /// Fails every slot of a button test whose wait ended by `time`; the next slot lights at the end of the wait.
    private mutating func expireButtonTest(at time: ClockInstant) {
        while let test = buttonTest, test.deadline <= time {
            let slot = slots[test.index].id
            nextButtonTestSlot(
                ButtonTestResult(
                    slot: slot,
                    passed: false,
                    detail: "no button press within \(Self.seconds(test.timeout)) of the light: check the lamp, "
                        + "the button and their wiring"
                ),
                at: test.deadline
            )
        }
    }

    /// Records the lit slot's outcome and lights the next slot from `time`, or ends the test after the last.
    private mutating func nextButtonTestSlot(_ result: ButtonTestResult, at time: ClockInstant) {
        guard var test = buttonTest else { return }
        test.results.append(result)
        test.index += 1
        test.litSince = time
        guard test.index < slots.count else {
            buttonTestResults = test.results
            buttonTest = nil
            return
        }
        buttonTest = test
    }

    /// A confirmed press at `time` during a button test: the lit slot's answer.
    private mutating func answerButtonTest(slot: String, button: PickToLightButton, at time: ClockInstant) {
        expireButtonTest(at: time)
        guard let test = buttonTest, button == .confirm else { return }
        let lit = slots[test.index].id
        let result =
            slot == lit
            ? ButtonTestResult(
                slot: lit,
                passed: true,
                detail: "button pressed \(Self.seconds(time - test.litSince)) after the light went on"
            )
            : ButtonTestResult(
                slot: lit,
                passed: false,
                detail: "the button of \(slot) was pressed while \(lit) was lit: check the wiring of both slots"
            )
        nextButtonTestSlot(result, at: max(time, test.litSince))
    }

    private mutating func expireButtons(at time: ClockInstant) -> [Action] {
        let due = buttons.compactMap { key, debouncer -> (ButtonKey, ClockInstant)? in
            guard let deadline = debouncer.deadline, deadline <= time else { return nil }
            return (key, deadline)
        }
        .sorted { lhs, rhs in
            if lhs.1 != rhs.1 { return lhs.1 < rhs.1 }
            let left = slotIndex[lhs.0.slot] ?? 0
            let right = slotIndex[rhs.0.slot] ?? 0
            if left != right { return left < right }
            return lhs.0.button == .confirm && rhs.0.button == .shortage
        }
        var events: [Action] = []
        for (key, deadline) in due {
            guard var debouncer = buttons[key] else { continue }
            let confirmed = debouncer.expire(at: time)
            buttons[key] = debouncer
            if confirmed == true {
                events += pressEvents(slot: key.slot, button: key.button, at: deadline)
            }
        }
        return events
    }

    private mutating func pressEvents(slot: String, button: PickToLightButton, at time: ClockInstant) -> [Action] {
        if buttonTest != nil {
            answerButtonTest(slot: slot, button: button, at: time)
            return []
        }
        if testStart != nil, assignments[slot] == nil {
            return []
        }
        guard let assignment = assignments.removeValue(forKey: slot) else {
            return [recordFault(reason: Self.unexpectedPress, detail: "\(button) button pressed on dark slot \(slot)")]
        }
        let data = JSONValue.object(Self.eventData(slot: slot, task: assignment.task, color: assignment.color))
        switch button {
        case .confirm: return [.emit(.ptlConfirmed, data)]
        case .shortage: return [.emit(.ptlShortage, data)]
        }
    }

    /// Brings every output to the level the state wants at `latest`; turn-offs first, in configuration order.
    private mutating func syncOutputs() -> [Action] {
        var offs: [Action] = []
        var ons: [Action] = []
        for slot in slots {
            for output in slot.outputs {
                let key = OutputKey(slot: slot.id, output: output)
                let wanted = wantsOn(key)
                guard levels[key, default: false] != wanted else { continue }
                levels[key] = wanted
                if wanted {
                    ons.append(.setLight(slot: slot.id, output: output, on: true))
                } else {
                    offs.append(.setLight(slot: slot.id, output: output, on: false))
                }
            }
        }
        return offs + ons
    }

    private func wantsOn(_ key: OutputKey) -> Bool {
        if let buttonTest {
            return slots[buttonTest.index].id == key.slot
        }
        if let testStart {
            let step = Self.wholePeriods(of: testStep, in: latest - testStart)
            return step < testSequence.count && testSequence[step] == key
        }
        guard let assignment = assignments[key.slot], assignment.output == key.output else { return false }
        switch assignment.pattern {
        case .steady:
            return true
        case .blinking(let half):
            return Self.wholePeriods(of: half, in: latest - assignment.since) % 2 == 0
        }
    }

    private static func colors(of layout: SlotLayout) -> [String] {
        var colors = layout.outputs.filter { $0 != LightPattern.singleLampKey }
        if layout.outputs.contains(LightPattern.singleLampKey) {
            colors += LightPattern.palette.map(\.color).filter { !colors.contains($0) }
        }
        return colors
    }

    private static func eventData(slot: String, task: String?, color: String) -> [(String, JSONValue)] {
        [("slot", .string(slot)), ("task", task.map(JSONValue.string) ?? .null), ("color", .string(color))]
    }

    /// `1.2 s`: a duration as a technician reads it, to a tenth of a second.
    private static func seconds(_ duration: Duration) -> String {
        let tenths = max(nanoseconds(duration), 0) / 100_000_000
        return "\(tenths / 10).\(tenths % 10) s"
    }

    /// How many whole `period`s fit in `elapsed` (0 when it is negative).
    private static func wholePeriods(of period: Duration, in elapsed: Duration) -> Int {
        let periodNanoseconds = nanoseconds(period)
        guard periodNanoseconds > 0, elapsed > .zero else { return 0 }
        return Int(nanoseconds(elapsed) / periodNanoseconds)
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

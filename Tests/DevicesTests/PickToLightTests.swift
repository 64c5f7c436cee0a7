import Devices
import Events
import HAL
import HALSimulated
import Testing

/// Whether `event` is a `type` event from `ptl-1` carrying exactly `data`.
private func matches(_ event: RecordedEvent, _ type: EventType, _ data: JSONValue) -> Bool {
    event.type == type && event.device == "ptl-1" && event.data == data
}

/// Lines of the simulated header chip.
private enum Line {
    static let s1Lamp = 5, s1Button = 6
    static let s2Lamp = 13, s2Button = 19, s2Shortage = 26
    static let s3Red = 16, s3Green = 20, s3Blue = 21, s3Button = 12
    static let buttons = [s1Button, s2Button, s2Shortage, s3Button]
}

/// A running driver on a simulated Raspberry Pi 5 header with a manual clock.
///
/// S1 and S2 have one lamp; S2 also has a shortage button; S3 has red, green and blue lamps.
private struct Bench {
    let clock: ManualClock
    let chip: SimulatedGPIOChip
    let events: EventRecorder
    let driver: PickToLight
    let task: Task<Void, Never>

    /// `kernelDebounce`: the chip debounces as libgpiod 2.x's kernel does (a Debian 13 board).
    static func start(kernelDebounce: Bool = false) async -> Bench {
        let clock = ManualClock()
        let chip = SimulatedGPIOChip(
            name: "gpiochip0",
            label: "pinctrl-rp1",
            lineCount: 28,
            clock: clock,
            kernelDebounce: kernelDebounce
        )
        for button in Line.buttons {
            chip.drive(button, high: true)  // released: the pull-up holds an active-low button high
        }
        func pin(_ offset: Int) -> GPIOPin { GPIOPin(chip: chip, offset: offset) }
        let configuration = PickToLightConfiguration(
            id: "ptl-1",
            slots: [
                .init(id: "S1", lights: ["default": pin(Line.s1Lamp)], button: pin(Line.s1Button)),
                .init(
                    id: "S2",
                    lights: ["default": pin(Line.s2Lamp)],
                    button: pin(Line.s2Button),
                    shortageButton: pin(Line.s2Shortage)
                ),
                .init(
                    id: "S3",
                    lights: ["red": pin(Line.s3Red), "green": pin(Line.s3Green), "blue": pin(Line.s3Blue)],
                    button: pin(Line.s3Button)
                ),
            ]
        )
        let events = EventRecorder()
        let driver = PickToLight(configuration: configuration, clock: clock, events: events)
        let task = Task {
            do { try await driver.run() } catch { Issue.record("run failed: \(error)") }
        }
        await driver.waitUntilRunning()
        return Bench(clock: clock, chip: chip, events: events, driver: driver, task: task)
    }

    private init(
        clock: ManualClock,
        chip: SimulatedGPIOChip,
        events: EventRecorder,
        driver: PickToLight,
        task: Task<Void, Never>
    ) {
        self.clock = clock
        self.chip = chip
        self.events = events
        self.driver = driver
        self.task = task
    }

    /// Sets a button's raw level (`pressed` pulls the active-low line to ground) and waits until the driver took
    /// the edge, so that moving the clock afterwards is deterministic.
    func set(_ line: Int, pressed: Bool) async {
        let seen = await driver.status().edgesSeen
        chip.drive(line, high: !pressed)
        await driver.waitUntilHandled(edges: seen + 1)
    }

    /// A clean press and release, each held past the debounce.
    func press(_ line: Int) async {
        await set(line, pressed: true)
        clock.advance(by: .milliseconds(30))
        await set(line, pressed: false)
        clock.advance(by: .milliseconds(30))
    }

    /// The physical levels line `offset` was driven to, with the instants in ms, after its request.
    func history(_ offset: Int) -> [(ms: Int, high: Bool)] {
        chip.outputHistory.filter { $0.offset == offset }.dropFirst().map {
            (Int($0.time.sinceOrigin / .milliseconds(1)), $0.high)
        }
    }

    func stop() async {
        task.cancel()
        await task.value
    }
}

private func ptl(_ slot: String, _ task: String, _ color: String) -> JSONValue {
    ["slot": .string(slot), "task": .string(task), "color": .string(color)]
}

private func levels(_ history: [(ms: Int, high: Bool)]) -> [String] {
    history.map { "\($0.ms):\($0.high ? "on" : "off")" }
}

@Suite("PickToLight driver", .timeLimit(.minutes(1)))
struct PickToLightTests {
    @Test func lightThenPressConfirmsAndTurnsTheLampOff() async throws {
        let bench = await Bench.start()
        try await bench.driver.light(slot: "S1", color: "green", task: "pick-7781")
        #expect(matches(await bench.events.next(), .ptlLit, ptl("S1", "pick-7781", "green")))
        #expect(bench.chip.physicalLevel(Line.s1Lamp))

        await bench.press(Line.s1Button)
        #expect(matches(await bench.events.next(), .ptlConfirmed, ptl("S1", "pick-7781", "green")))
        #expect(levels(bench.history(Line.s1Lamp)) == ["0:on", "30:off"])
        #expect(await bench.driver.status().slots.map(\.lit) == [false, false, false])
        await bench.stop()
        #expect(await bench.events.pending.isEmpty)
    }

    @Test("with kernel debounce (libgpiod 2.x) a bouncing press counts once, as soon as the kernel reports it")
    func kernelDebouncedPress() async throws {
        let bench = await Bench.start(kernelDebounce: true)
        try await bench.driver.light(slot: "S1", color: "green", task: "pick-7781")
        #expect(matches(await bench.events.next(), .ptlLit, ptl("S1", "pick-7781", "green")))
        for pressed in [true, false, true] {
            bench.chip.drive(Line.s1Button, high: !pressed)
            bench.clock.advance(by: .milliseconds(1))
        }
        // The last bounce was at 2 ms: the kernel reports the press at 32 ms, and that is when it counts.
        bench.clock.advance(by: .milliseconds(29))
        await bench.driver.waitUntilHandled(edges: 1)
        let lamp = levels(bench.history(Line.s1Lamp))
        #expect(lamp == ["0:on", "32:off"])
        #expect(await bench.driver.status().edgesSeen == 1, "the bounces reached the driver")
        if lamp.count == 2 {  // confirmed; otherwise waiting for the event would only hang
            #expect(matches(await bench.events.next(), .ptlConfirmed, ptl("S1", "pick-7781", "green")))
        }
        await bench.stop()
        #expect(await bench.events.pending.isEmpty)
    }

    @Test func shortageButtonReportsAShortage() async throws {
        let bench = await Bench.start()
        try await bench.driver.light(slot: "S2", color: "green", task: "pick-2")
        _ = await bench.events.next()
        await bench.press(Line.s2Shortage)
        #expect(matches(await bench.events.next(), .ptlShortage, ptl("S2", "pick-2", "green")))
        #expect(!bench.chip.physicalLevel(Line.s2Lamp))
        await bench.stop()
    }

    @Test func pressOnADarkSlotIsAFaultWithAnIncrementingCount() async throws {
        let bench = await Bench.start()
        for (count, button) in [(1, Line.s1Button), (2, Line.s3Button), (3, Line.s1Button)] {
            await bench.press(button)
            let event = await bench.events.next()
            #expect(event.type == .deviceFault)
            #expect(event.data["reason"] == "unexpected-press")
            #expect(event.data["count"]?.intValue == Int64(count))
            #expect(event.data["detail"]?.stringValue?.contains(button == Line.s1Button ? "S1" : "S3") == true)
        }
        await bench.stop()
        #expect(await bench.events.pending.isEmpty)
    }

    @Test func bounceWithinTheDebounceIsIgnored() async throws {
        let bench = await Bench.start()
        // A burst of contact bounce that settles released: no press at all.
        for pressed in [true, false, true, false] {
            await bench.set(Line.s1Button, pressed: pressed)
            bench.clock.advance(by: .milliseconds(5))
        }
        bench.clock.advance(by: .milliseconds(100))
        // Bounce that settles pressed: one press, counted from the last edge.
        try await bench.driver.light(slot: "S1", color: "green", task: "t")
        _ = await bench.events.next()
        for pressed in [true, false, true, false, true] {
            await bench.set(Line.s1Button, pressed: pressed)
            bench.clock.advance(by: .milliseconds(4))
        }
        bench.clock.advance(by: .milliseconds(30))
        #expect(await bench.events.next().type == .ptlConfirmed)
        await bench.set(Line.s1Button, pressed: false)
        bench.clock.advance(by: .milliseconds(30))
        // Had the first burst counted, this would be fault #2.
        await bench.press(Line.s1Button)
        let fault = await bench.events.next()
        #expect(fault.type == .deviceFault && fault.data["count"] == 1)
        await bench.stop()
    }

    /// Single-lamp colour patterns, toggle by toggle under the manual clock.
    @Test(arguments: [
        ("red", Duration.milliseconds(250)),
        ("blue", Duration.milliseconds(500)),
    ])
    func blinkTimingIsExact(color: String, half: Duration) async throws {
        let bench = await Bench.start()
        try await bench.driver.light(slot: "S1", color: color, task: "t")
        _ = await bench.events.next()
        for _ in 0..<4 {
            await bench.clock.waitForSleepers(1)
            bench.clock.advance(by: half)
        }
        await bench.clock.waitForSleepers(1)
        let step = Int(half / .milliseconds(1))
        #expect(
            levels(bench.history(Line.s1Lamp)) == [
                "0:on", "\(step):off", "\(2 * step):on", "\(3 * step):off", "\(4 * step):on",
            ]
        )
        try await bench.driver.clear(slot: "S1")
        #expect(!bench.chip.physicalLevel(Line.s1Lamp))
        #expect(bench.clock.sleeperCount == 0)
        await bench.stop()
    }

    @Test(arguments: [("red", Line.s3Red), ("green", Line.s3Green), ("blue", Line.s3Blue)])
    func multiColourWiringUsesTheNamedOutput(color: String, line: Int) async throws {
        let bench = await Bench.start()
        try await bench.driver.light(slot: "S3", color: color, task: "t")
        #expect(await bench.events.next().data == ptl("S3", "t", color))
        for other in [Line.s3Red, Line.s3Green, Line.s3Blue] {
            #expect(bench.chip.physicalLevel(other) == (other == line))
        }
        #expect(bench.clock.sleeperCount == 0)  // steady: nothing to time
        await bench.stop()
    }

    @Test func clearOneSlotThenAll() async throws {
        let bench = await Bench.start()
        try await bench.driver.light(slot: "S1", color: "green", task: "a")
        try await bench.driver.light(slot: "S2", color: "green", task: "b")
        try await bench.driver.light(slot: "S3", color: "blue", task: "c")
        try await bench.driver.clear(slot: "S2")
        #expect([Line.s1Lamp, Line.s2Lamp, Line.s3Blue].map(bench.chip.physicalLevel) == [true, false, true])
        try await bench.driver.clear(slot: nil)
        #expect([Line.s1Lamp, Line.s2Lamp, Line.s3Blue].map(bench.chip.physicalLevel) == [false, false, false])
        await bench.stop()
        #expect(await bench.events.pending.count == 3)  // the three ptl.lit; clearing emits nothing
    }

    @Test(arguments: [
        ("S9", "green", PickToLightError.unknownSlot("S9")),
        ("S3", "white", PickToLightError.unknownColor("white", slot: "S3", available: ["blue", "green", "red"])),
    ])
    func unknownSlotOrColourIsAnError(slot: String, color: String, expected: PickToLightError) async {
        let bench = await Bench.start()
        await #expect(throws: expected) { try await bench.driver.light(slot: slot, color: color, task: "t") }
        await #expect(throws: PickToLightError.unknownSlot("S9")) { try await bench.driver.clear(slot: "S9") }
        await bench.stop()
        #expect(await bench.events.pending.isEmpty)
    }

    @Test func relightingReplacesTheTask() async throws {
        let bench = await Bench.start()
        try await bench.driver.light(slot: "S3", color: "green", task: "old")
        _ = await bench.events.next()
        try await bench.driver.light(slot: "S3", color: "red", task: "new")
        #expect(await bench.events.next().data == ["slot": "S3", "task": "new", "color": "red", "replaces": "old"])
        #expect(!bench.chip.physicalLevel(Line.s3Green) && bench.chip.physicalLevel(Line.s3Red))
        await bench.press(Line.s3Button)
        #expect(await bench.events.next().data == ptl("S3", "new", "red"))
        await bench.stop()
    }

    @Test func lampTestCyclesEveryOutputThenReturns() async throws {
        let bench = await Bench.start()
        let test = Task { await bench.driver.test() }
        for _ in 0..<5 {
            await bench.clock.waitForSleepers(1)
            bench.clock.advance(by: .milliseconds(250))
        }
        await test.value
        let order = [Line.s1Lamp, Line.s2Lamp, Line.s3Blue, Line.s3Green, Line.s3Red]
        for (step, line) in order.enumerated() {
            #expect(levels(bench.history(line)) == ["\(step * 250):on", "\((step + 1) * 250):off"])
        }
        #expect(await !bench.driver.status().testing)
        await bench.stop()
    }

    @Test func buttonTestWaitsForEachSlotsButtonAndTakesPressesAsAnswers() async throws {
        let bench = await Bench.start()
        try await bench.driver.light(slot: "S1", color: "green", task: "pick-1")
        #expect(matches(await bench.events.next(), .ptlLit, ptl("S1", "pick-1", "green")))
        let test = Task { await bench.driver.testButtons(timeout: .seconds(10)) }
        await bench.clock.waitForSleepers(1)  // S1 lit, waiting for its button
        #expect(await bench.driver.status().testingSlot == "S1")
        #expect(bench.chip.physicalLevel(Line.s1Lamp) && !bench.chip.physicalLevel(Line.s2Lamp))
        await bench.press(Line.s1Button)
        await bench.clock.waitForSleepers(1)  // S2 lit; nobody presses its button
        #expect(await bench.driver.status().testingSlot == "S2")
        #expect(bench.chip.physicalLevel(Line.s2Lamp) && !bench.chip.physicalLevel(Line.s1Lamp))
        bench.clock.advance(by: .seconds(10))
        await bench.clock.waitForSleepers(1)  // S3 lit, every lamp of it
        #expect(await bench.driver.status().testingSlot == "S3")
        #expect(bench.chip.physicalLevel(Line.s3Red) && bench.chip.physicalLevel(Line.s3Green))
        await bench.press(Line.s3Button)
        let results = await test.value
        #expect(results.map(\.slot) == ["S1", "S2", "S3"])
        #expect(results.map(\.passed) == [true, false, true])
        #expect(results[1].detail.hasPrefix("no button press within 10.0 s"), "\(results[1])")
        // The presses answered the test: S1's task was not confirmed, nothing was a fault, and it shows again.
        let unexpected = await bench.events.pending
        #expect(unexpected.isEmpty, "\(unexpected)")
        #expect(await bench.driver.status().slots.map(\.task) == ["pick-1", nil, nil])
        #expect(bench.chip.physicalLevel(Line.s1Lamp))
        await bench.stop()
    }

    @Test func cancellingTurnsLampsOffAndReleasesEveryLine() async throws {
        let bench = await Bench.start()
        #expect(try bench.chip.lines().filter(\.used).count == 9)
        try await bench.driver.light(slot: "S1", color: "green", task: "a")
        try await bench.driver.light(slot: "S3", color: "red", task: "b")
        await bench.stop()
        #expect(!bench.chip.physicalLevel(Line.s1Lamp) && !bench.chip.physicalLevel(Line.s3Red))
        #expect(try bench.chip.lines().filter(\.used).isEmpty)
        #expect(await bench.driver.status().running == false)
        #expect(await bench.driver.status().slots.map(\.task) == ["a", nil, "b"])  // tasks survive a restart
    }
}

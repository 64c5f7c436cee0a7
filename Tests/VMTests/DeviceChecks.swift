import Devices
import Events
import Foundation
import GPIOSimSupport
import HAL
import HALLinux
import Locking
import Synchronization

/// The locker bank and pick-to-light drivers end to end on `HALLinux` and gpio-sim, in real time.
enum DeviceChecks {
    static var all: [Check] {
        [
            Check("devices.locker.unlock-pulse-width", lockerPulse),
            Check("devices.locker.door-opened-and-closed", lockerDoor),
            Check("devices.ptl.button-confirms", pickToLight),
        ]
    }

    /// Lines of the locker chip: A1's lock and door sensor, A2's lock and door sensor (sensors read high = open).
    enum LockerLine {
        static let a1Lock = 0
        static let a1Door = 1
        static let a2Lock = 2
        static let a2Door = 3
    }

    static let pulse = Duration.milliseconds(300)

    /// A running bank of doors A1 and A2 wired to a fresh gpio-sim chip through `GPIODoorIO`.
    static func withBank(
        _ body: (LockerBank, EventRecorder, GPIOSimChip) async throws -> Void
    ) async throws {
        let sim = try GPIOSimChip(lineNames: ["A1-lock", "A1-door", "A2-lock", "A2-door"])
        defer { sim.tearDown() }
        try sim.drive(LockerLine.a1Door, high: false)
        try sim.drive(LockerLine.a2Door, high: false)
        let chip = try LinuxGPIOBackend().openChip(.label(sim.label))
        let clock = SystemClock()
        let io = try GPIODoorIO(
            wiring: [
                DoorWiring(
                    door: "A1",
                    lock: GPIOPin(chip: chip, offset: LockerLine.a1Lock),
                    sensor: GPIOPin(chip: chip, offset: LockerLine.a1Door)
                ),
                DoorWiring(
                    door: "A2",
                    lock: GPIOPin(chip: chip, offset: LockerLine.a2Lock),
                    sensor: GPIOPin(chip: chip, offset: LockerLine.a2Door)
                ),
            ],
            clock: clock,
            debounce: .milliseconds(20)
        )
        say("  door sensors debounced by \(io.kernelDebounced ? "the kernel" : "the bank (software)")")
        let events = EventRecorder()
        let bank = LockerBank(
            configuration: LockerBankConfiguration(
                id: "lockers-A",
                doors: ["A1", "A2"],
                pulse: pulse,
                debounce: io.kernelDebounced ? .zero : .milliseconds(20)  // as DeviceFactory wires it
            ),
            io: io,
            clock: clock,
            events: events
        )
        let runner = Task { await bank.run() }
        defer { runner.cancel() }
        _ = try await bank.status()  // the loop runs: initial levels read, sensors forwarded
        try await body(bank, events, sim)
        runner.cancel()
        await runner.value
    }

    /// The lock output as the kernel shows it, polled from `sim_gpioN/value` on its own thread every ~200 µs.
    ///
    /// gpio-sim offers no edge events on an output line (a line is one request's input or output), so the pulse
    /// is measured here by polling the kernel's view with CLOCK_MONOTONIC stamps. A change happened after the
    /// previous poll began and before this one's stamp: each change carries that window, which stays exact even
    /// when the (emulated) CPU is taken away between a read and its stamp.
    final class LevelRecorder: Sendable {
        struct Change {
            /// When the poll before the one that saw the change began: the change came later.
            var earliest: Int64
            /// When the poll that saw the change had read it: the change came earlier.
            var latest: Int64
            var high: Bool
        }

        private let path: String
        private let stop = Atomic<Bool>(false)
        private let changes = Locked<[Change]>([])
        /// The longest time between two polls: how late a change may be seen.
        let longestGap = Atomic<Int64>(0)
        private let finished = Locked<Bool>(false)

        init(path: String) {
            self.path = path
        }

        func start() {
            Thread.detachNewThread { [self] in
                let fd = open(path, O_RDONLY)
                defer {
                    if fd >= 0 { close(fd) }
                    finished.withLock { $0 = true }
                }
                guard fd >= 0 else { return }
                var last: Bool?
                var previous: Int64?
                var previousStart: Int64?
                var buffer = [UInt8](repeating: 0, count: 4)
                while !stop.load(ordering: .relaxed) {
                    let start = monotonicNanoseconds()
                    let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
                    let now = monotonicNanoseconds()
                    if let previous, now - previous > longestGap.load(ordering: .relaxed) {
                        longestGap.store(now - previous, ordering: .relaxed)
                    }
                    previous = now
                    if count > 0 {
                        let high = buffer[0] == UInt8(ascii: "1")
                        if high != last {
                            let change = Change(earliest: previousStart ?? start, latest: now, high: high)
                            changes.withLock { $0.append(change) }
                            last = high
                        }
                    }
                    previousStart = start
                    usleep(200)
                }
            }
        }

        /// Stops polling and returns the level changes seen, the first being the level at start.
        func finish() async throws -> [Change] {
            stop.store(true, ordering: .relaxed)
            while !finished.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
            return changes.withLock { $0 }
        }
    }

    static func lockerPulse() async throws {
        try await withBank { bank, events, sim in
            let recorder = LevelRecorder(path: sim.valuePath(LockerLine.a1Lock))
            recorder.start()
            try await Task.sleep(for: .milliseconds(50))
            try await bank.open(door: "A1", reason: .deposit)
            let unlocked = try await events.next(.lockerUnlocked)
            try expect(
                unlocked.data.jsonText == #"{"locker":"lockers-A","door":"A1","reason":"deposit","pulseMs":300}"#,
                "locker.unlocked \(unlocked.data.jsonText)"
            )
            try await Task.sleep(for: pulse + .milliseconds(300))
            let changes = try await recorder.finish()
            try expect(
                changes.map(\.high) == [false, true, false],
                "lock levels \(changes.map(\.high)), expected low, high, low"
            )
            // The pulse lasted at least from the rise's latest to the fall's earliest moment, at most from the
            // rise's earliest to the fall's latest; 300 ms (up to 350 with scheduling) must fit in that range.
            let (rise, fall) = (changes[1], changes[2])
            let shortest = Double(fall.earliest - rise.latest) / 1e6
            let longest = Double(fall.latest - rise.earliest) / 1e6
            let gap = Double(recorder.longestGap.load(ordering: .relaxed)) / 1e6
            let range = "\(String(format: "%.1f", shortest))–\(String(format: "%.1f", longest)) ms"
            say(
                "  lock A1 energised for \(range) by sim_gpio0/value polls "
                    + "(configured 300 ms; longest gap between polls \(String(format: "%.1f", gap)) ms)"
            )
            try expect(longest >= 300 && shortest <= 350, "pulse \(range), configured 300 ms")
            try expect(try !sim.physicalLevel(LockerLine.a2Lock), "A2's lock moved")
            try expect(try await bank.status()[0].locked, "A1 not locked after the pulse")
        }
    }

    static func lockerDoor() async throws {
        try await withBank { bank, events, sim in
            try await bank.open(door: "A1")
            _ = try await events.next(.lockerUnlocked)
            try sim.drive(LockerLine.a1Door, high: true)
            let opened = try await events.next(.lockerDoorOpened)
            try expect(
                opened.data.jsonText == #"{"locker":"lockers-A","door":"A1","authorised":true,"reason":"remote"}"#,
                "locker.door.opened \(opened.data.jsonText)"
            )
            try expect(try await bank.status()[0].open, "status does not show A1 open")
            try await Task.sleep(for: .milliseconds(200))
            try sim.drive(LockerLine.a1Door, high: false)
            let closed = try await events.next(.lockerDoorClosed)
            let openMs = try require(closed.data["openMs"]?.intValue, "locker.door.closed \(closed.data.jsonText)")
            try expect(openMs >= 180 && openMs <= 600, "openMs \(openMs) for a door held open ~200 ms")

            // A2 opened with no unlock: forced.
            try sim.drive(LockerLine.a2Door, high: true)
            let forcedOpen = try await events.next(.lockerDoorOpened)
            try expect(forcedOpen.data["door"] == "A2", "opened \(forcedOpen.data.jsonText)")
            let forced = try await events.next(.lockerDoorForced)
            try expect(forced.data["door"] == "A2", "forced \(forced.data.jsonText)")
        }
    }

    static func pickToLight() async throws {
        let sim = try GPIOSimChip(lineNames: GPIOChecks.lineNames)
        defer { sim.tearDown() }
        let button = 3
        let lamp = 7
        try sim.drive(button, high: true)  // released: the pull-up holds an active-low button high
        let chip = try LinuxGPIOBackend().openChip(.label(sim.label))
        let events = EventRecorder()
        let driver = PickToLight(
            configuration: PickToLightConfiguration(
                id: "ptl-1",
                slots: [
                    .init(
                        id: "S1",
                        lights: ["default": GPIOPin(chip: chip, offset: lamp)],
                        button: GPIOPin(chip: chip, offset: button)
                    )
                ]
            ),
            clock: SystemClock(),
            events: events
        )
        let runner = Task { try await driver.run() }
        defer { runner.cancel() }
        await driver.waitUntilRunning()
        let status = await driver.status()
        try expect(status.running, "driver not running: \(status)")

        try await driver.light(slot: "S1", color: "green", task: "pick-7781")
        let lit = try await events.next(.ptlLit)
        try expect(lit.data == ["slot": "S1", "task": "pick-7781", "color": "green"], "ptl.lit \(lit.data.jsonText)")
        try expect(try sim.physicalLevel(lamp), "lamp off after ptl.light")

        try sim.drive(button, high: false)
        try await Task.sleep(for: .milliseconds(80))
        try sim.drive(button, high: true)
        let confirmed = try await events.next(.ptlConfirmed)
        try expect(
            confirmed.data == ["slot": "S1", "task": "pick-7781", "color": "green"],
            "ptl.confirmed \(confirmed.data.jsonText)"
        )
        try await Task.sleep(for: .milliseconds(50))
        try expect(try !sim.physicalLevel(lamp), "lamp still on after the confirm")
        runner.cancel()
        _ = await runner.result
    }
}

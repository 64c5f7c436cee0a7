import Devices
import HAL
import HALSimulated
import Locking
import Testing

/// Door sensors through `GPIODoorIO`: debounced by the kernel where the backend can (libgpiod 2.x), raw otherwise.
@Suite("GPIO door I/O", .timeLimit(.minutes(1)))
struct GPIODoorIOTests {
    static func doorIO(kernelDebounce: Bool, clock: ManualClock) throws -> (GPIODoorIO, SimulatedGPIOChip) {
        let chip = SimulatedGPIOChip(
            name: "gpiochip0",
            label: "sim",
            lineNames: ["A1-lock", "A1-door"],
            clock: clock,
            kernelDebounce: kernelDebounce
        )
        let io = try GPIODoorIO(
            wiring: [
                DoorWiring(door: "A1", lock: GPIOPin(chip: chip, offset: 0), sensor: GPIOPin(chip: chip, offset: 1))
            ],
            clock: clock,
            debounce: .milliseconds(50)
        )
        return (io, chip)
    }

    @Test("with kernel debounce a bouncing door contact reaches the bank as one opening, stamped when it settled")
    func kernelDebouncedSensor() async throws {
        let clock = ManualClock()
        let (io, chip) = try Self.doorIO(kernelDebounce: true, clock: clock)
        defer { io.close() }
        #expect(io.kernelDebounced)
        let (signals, continuation) = AsyncStream.makeStream(of: DoorSignal.self)
        try io.start { continuation.yield($0) }
        for open in [true, false, true, false, true] {
            chip.drive(1, high: open)
            clock.advance(by: .milliseconds(2))
        }
        clock.advance(by: .milliseconds(50))
        var iterator = signals.makeAsyncIterator()
        let signal = await iterator.next()
        #expect(signal == DoorSignal(door: "A1", kind: .sensor, value: true, time: .zero + .milliseconds(58)))
    }

    @Test("without kernel debounce (libgpiod 1.6) every bounce reaches the bank, which debounces in software")
    func rawSensor() async throws {
        let clock = ManualClock()
        let (io, chip) = try Self.doorIO(kernelDebounce: false, clock: clock)
        defer { io.close() }
        #expect(!io.kernelDebounced)
        let (signals, continuation) = AsyncStream.makeStream(of: DoorSignal.self)
        try io.start { continuation.yield($0) }
        for open in [true, false, true] { chip.drive(1, high: open) }
        var iterator = signals.makeAsyncIterator()
        var values: [Bool] = []
        for _ in 0..<3 { values += await iterator.next().map { [$0.value] } ?? [] }
        #expect(values == [true, false, true])
    }
}

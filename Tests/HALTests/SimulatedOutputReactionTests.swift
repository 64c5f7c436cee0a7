import HAL
import HALSimulated
import Locking
import Testing

/// A simulated chip's output reactions: how a simulation wires an output to the world around it, such as a lock
/// whose release lets its door spring open and moves the door sensor's line.
@Suite("Simulated output reactions")
struct SimulatedOutputReactionTests {
    @Test("a reaction sees each change of the output's physical level, after the write, and no repeated level")
    func reactionsFollowLevelChanges() throws {
        let chip = SimulatedGPIOChip(name: "gpiochip0", label: "sim", lineCount: 4, clock: ManualClock())
        let seen = Locked<[Bool]>([])
        chip.onOutputChange(of: 0) { high in seen.withLock { $0.append(high) } }
        let lock = try chip.requestOutput(offset: 0, consumer: "t", configuration: GPIOOutputConfiguration())
        try lock.write(true)
        try lock.write(true)
        try lock.write(false)
        #expect(seen.withLock { $0 } == [true, false])
    }

    @Test("a released lock can spring its door open: the reaction drives the sensor, whose reader sees the edge")
    func lockSpringsDoorOpen() async throws {
        let chip = SimulatedGPIOChip(name: "gpiochip0", label: "sim", lineCount: 4, clock: ManualClock())
        chip.onOutputChange(of: 0) { [weak chip] energised in
            if energised { chip?.drive(1, high: true) }
        }
        let lock = try chip.requestOutput(offset: 0, consumer: "t", configuration: GPIOOutputConfiguration())
        let sensor = try chip.requestInput(
            offset: 1,
            consumer: "t",
            configuration: GPIOInputConfiguration(edges: .both)
        )
        try lock.write(true)
        #expect(try sensor.read())
        var edges = sensor.edges.makeAsyncIterator()
        #expect(try await edges.next()?.kind == .rising)
    }
}

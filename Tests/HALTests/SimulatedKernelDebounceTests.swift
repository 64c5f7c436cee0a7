import HAL
import HALSimulated
import Testing

/// The simulated chip's kernel debounce (libgpiod 2.x's `debounce_period_us`): what drivers see on a Debian 13
/// board, so their tests can cover it without a kernel.
@Suite("Simulated kernel debounce")
struct SimulatedKernelDebounceTests {
    /// Every edge the line has queued, read until it is closed.
    static func edges(of line: any GPIOInputLine) async throws -> [GPIOEdgeEvent] {
        line.close()
        var edges: [GPIOEdgeEvent] = []
        for try await edge in line.edges { edges.append(edge) }
        return edges
    }

    /// The line's next edge (waits for a debounce timer to report it).
    static func nextEdge(of line: any GPIOInputLine) async throws -> GPIOEdgeEvent? {
        var iterator = line.edges.makeAsyncIterator()
        return try await iterator.next()
    }

    @Test("a contact bouncing 1 ms apart gives one edge, stamped once the level held for the debounce period")
    func bouncesBecomeOneEdge() async throws {
        let clock = ManualClock()
        let chip = SimulatedGPIOChip(name: "gpiochip0", label: "sim", lineCount: 2, clock: clock, kernelDebounce: true)
        let line = try chip.requestInput(
            offset: 1,
            consumer: "test",
            configuration: GPIOInputConfiguration(edges: .both, debounce: .milliseconds(20))
        )
        #expect(line.debounce == .milliseconds(20))
        let levels = [true, false, true, false, true]
        for (index, high) in levels.enumerated() {
            if index > 0 { clock.advance(by: .milliseconds(1)) }
            chip.drive(1, high: high)
        }
        let lastBounce = clock.now
        #expect(try line.read() == false, "the level counts only once it has held")
        clock.advance(by: .milliseconds(20))
        let edge = try await Self.nextEdge(of: line)
        #expect(edge?.kind == .rising)
        #expect(edge?.timestamp == lastBounce + .milliseconds(20))
        #expect(try line.read() == true)
        #expect(try await Self.edges(of: line).isEmpty, "the bounces before it gave no edges")
    }

    @Test("a pulse shorter than the debounce period gives no edge at all")
    func shortPulseIsFiltered() async throws {
        let clock = ManualClock()
        let chip = SimulatedGPIOChip(name: "gpiochip0", label: "sim", lineCount: 2, clock: clock, kernelDebounce: true)
        let line = try chip.requestInput(
            offset: 0,
            consumer: "test",
            configuration: GPIOInputConfiguration(edges: .both, debounce: .milliseconds(20))
        )
        chip.drive(0, high: true)
        clock.advance(by: .milliseconds(5))
        chip.drive(0, high: false)
        clock.advance(by: .milliseconds(40))
        // A real press after it: the first edge reported must be this one.
        chip.drive(0, high: true)
        let pressed = clock.now
        clock.advance(by: .milliseconds(20))
        let edge = try await Self.nextEdge(of: line)
        #expect(edge?.kind == .rising)
        #expect(edge?.timestamp == pressed + .milliseconds(20))
    }

    @Test("without kernel debounce (libgpiod 1.6) every bounce arrives and the line says it is not debounced")
    func withoutKernelDebounce() async throws {
        let clock = ManualClock()
        let chip = SimulatedGPIOChip(name: "gpiochip0", label: "sim", lineCount: 2, clock: clock)
        let line = try chip.requestInput(
            offset: 1,
            consumer: "test",
            configuration: GPIOInputConfiguration(edges: .both, debounce: .milliseconds(20))
        )
        #expect(line.debounce == nil)
        for high in [true, false, true] { chip.drive(1, high: high) }
        #expect(try await Self.edges(of: line).map(\.kind) == [.rising, .falling, .rising])
    }
}

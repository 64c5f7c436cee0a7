import Foundation
import HAL
import HALSimulated
import Testing

@testable import Service

/// `floorctl gpio` on simulated chips: line lookup (board pins, kernel line names, CHIP OFFSET...), gpioinfo,
/// get/set settings and gpiomon-style monitoring of several lines.
@Suite("floorctl gpio on simulated chips")
struct GPIOToolTests {
    static let boardPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("hal/boards/raspberry-pi-5.json").path

    /// gpiochip0 (pinctrl-rp1, lines named as the Pi 5 kernel names them) and gpiochip1 (a named expander line).
    static func backend(clock: any Clock = ManualClock()) -> (SimulatedGPIOBackend, SimulatedGPIOChip) {
        let header = SimulatedGPIOChip(
            name: "gpiochip0",
            label: "pinctrl-rp1",
            lineNames: (0..<28).map { "GPIO\($0)" } + [nil, "PCIE_PWR_EN"],
            clock: clock
        )
        let expander = SimulatedGPIOChip(
            name: "gpiochip1",
            label: "exp",
            lineNames: [nil, "door-A1-lock", nil],
            clock: clock
        )
        return (SimulatedGPIOBackend(chips: [header, expander]), header)
    }

    @Test(
        "natural order puts numbers in value order",
        arguments: [
            ("GPIO2", "GPIO10", true), ("GPIO10", "GPIO2", false), ("PIN3", "PIN11", true), ("GPIO9", "PIN3", true),
            ("A", "A1", true), ("GPIO02", "GPIO2", false), ("GPIO2", "GPIO02", true), ("GPIO17", "GPIO17", false),
        ]
    )
    func naturalOrder(left: String, right: String, precedes: Bool) {
        #expect(NaturalOrder.precedes(left, right) == precedes, "\(left) < \(right)")
    }

    @Test("an unknown pin lists every pin of the board in natural order, and the chips searched for a line name")
    func unknownPin() throws {
        let board = try BoardPinMap.load(path: Self.boardPath)
        let resolver = GPIOLineResolver(backend: Self.backend().0, board: board)
        #expect(throws: GPIOLineLookupError.self) { try resolver.resolve("GPIO99") }
        do {
            _ = try resolver.resolve("GPIO99")
        } catch {
            #expect(error.boardPins.count == board.pins.count)
            #expect(
                error.boardPins.prefix(10) == [
                    "GPIO2", "GPIO3", "GPIO4", "GPIO5", "GPIO6", "GPIO7", "GPIO8", "GPIO9", "GPIO10", "GPIO11",
                ]
            )
            #expect(error.boardPins.last == "PIN40")
            #expect(
                error.description.hasPrefix("unknown pin \"GPIO99\" on board raspberry-pi-5 (its pins: GPIO2, GPIO3,")
            )
            #expect(error.description.contains("GPIO27, PIN3, PIN5, PIN7, PIN8, PIN10, PIN11,"))
            #expect(error.description.hasSuffix("PIN40); no line of that name on gpiochip0, gpiochip1"))
        }
    }

    struct Lookup: Sendable, CustomTestStringConvertible {
        var words: [String]
        var withBoard: Bool
        var expected: [String]
        var testDescription: String { words.joined(separator: " ") + (withBoard ? " --board" : "") }
    }

    @Test(
        "lines by kernel line name, board pin name, CHIP:OFFSET and CHIP OFFSET...",
        arguments: [
            Lookup(words: ["door-A1-lock"], withBoard: false, expected: ["gpiochip1 line 1"]),
            Lookup(words: ["PCIE_PWR_EN"], withBoard: true, expected: ["gpiochip0 line 29"]),
            Lookup(words: ["GPIO17"], withBoard: false, expected: ["gpiochip0 line 17"]),
            Lookup(words: ["PIN11"], withBoard: true, expected: ["label pinctrl-rp1 line 17"]),
            Lookup(words: ["gpiochip1:2"], withBoard: false, expected: ["gpiochip1 line 2"]),
            Lookup(
                words: ["gpiochip0", "17", "27"],
                withBoard: false,
                expected: ["gpiochip0 line 17", "gpiochip0 line 27"]
            ),
            Lookup(
                words: ["GPIO17", "door-A1-lock"],
                withBoard: true,
                expected: ["label pinctrl-rp1 line 17", "gpiochip1 line 1"]
            ),
        ]
    )
    func lookup(_ lookup: Lookup) throws {
        let board = lookup.withBoard ? try BoardPinMap.load(path: Self.boardPath) : nil
        let pins = try GPIOLineResolver(backend: Self.backend().0, board: board).resolve(arguments: lookup.words)
        #expect(pins.map { "\($0.chip) line \($0.offset)" } == lookup.expected)
    }

    @Test("info lists each chip's lines with name, direction, active-low and the consumer of a held line")
    func info() throws {
        let (backend, header) = Self.backend()
        let held = try header.requestOutput(
            offset: 17,
            consumer: "floorlinkd",
            configuration: GPIOOutputConfiguration(activeLow: true)
        )
        defer { held.close() }
        let chips = try GPIOTool.info(backend)
        #expect(chips.map(\.chip.name) == ["gpiochip0", "gpiochip1"])
        let line = try #require(chips.first?.lines[17])
        #expect(
            line
                == GPIOLineInfo(
                    offset: 17,
                    name: "GPIO17",
                    consumer: "floorlinkd",
                    direction: .output,
                    activeLow: true,
                    used: true
                )
        )
        #expect(chips.last?.lines.map(\.name) == [nil, "door-A1-lock", nil])
        #expect(try GPIOTool.info(backend, chip: .label("exp")).map(\.chip.name) == ["gpiochip1"])
    }

    struct Get: Sendable, CustomTestStringConvertible {
        var bias: GPIOBias
        var activeLow: Bool
        var value: Bool
        var testDescription: String { "\(bias.rawValue)\(activeLow ? " --active-low" : "")" }
    }

    @Test(
        "get reads an undriven pin through its requested pull resistor, inverted by --active-low",
        arguments: [
            Get(bias: .pullUp, activeLow: false, value: true), Get(bias: .pullDown, activeLow: false, value: false),
            Get(bias: .pullUp, activeLow: true, value: false), Get(bias: .pullDown, activeLow: true, value: true),
        ]
    )
    func getWithBias(_ get: Get) throws {
        let (backend, _) = Self.backend()
        let pin = PinReference(chip: .name("gpiochip0"), offset: 4, name: "GPIO4")
        let value = try GPIOTool.read(
            pin,
            backend: backend,
            configuration: GPIOInputConfiguration(bias: get.bias, activeLow: get.activeLow)
        )
        #expect(value == get.value)
    }

    @Test(
        "set requests the line with the drive, bias and active-low asked for",
        arguments: [GPIODrive.pushPull, .openDrain, .openSource]
    )
    func setWithDrive(_ drive: GPIODrive) throws {
        let (backend, header) = Self.backend()
        let pin = PinReference(chip: .name("gpiochip0"), offset: 5, name: "GPIO5")
        let line = try GPIOTool.drive(
            pin,
            backend: backend,
            configuration: GPIOOutputConfiguration(initialValue: true, activeLow: true, drive: drive, bias: .pullUp)
        )
        defer { line.close() }
        let settings = try #require(header.requestedSettings(5))
        #expect(settings.drive == drive)
        #expect(settings.bias == .pullUp)
        #expect(settings.activeLow)
        #expect(settings.direction == .output)
        // 1 on an active-low line drives it low, except open source, which cannot: it floats to the pull-up.
        #expect(header.physicalLevel(5) == (drive == .openSource))
    }

    @Test("monitor watches several lines for the chosen edges and ends after --count edges")
    func monitorSeveralLines() async throws {
        let (backend, header) = Self.backend()
        let pins = try GPIOLineResolver(backend: backend, board: nil).resolve(arguments: ["GPIO17", "GPIO27"])
        let monitor = try GPIOMonitor(
            pins,
            backend: backend,
            configuration: GPIOInputConfiguration(bias: .pullDown, edges: .rising)
        )
        defer { monitor.close() }
        #expect(header.requestedSettings(17)?.edges == .rising)
        #expect(header.requestedSettings(27)?.bias == .pullDown)
        let edges = monitor.edges(count: 3)
        // Falling edges are not asked for and never show; the fourth rising edge is past the count.
        header.drive(17, high: true)
        header.drive(17, high: false)
        header.drive(27, high: true)
        header.drive(27, high: false)
        header.drive(17, high: true)
        header.drive(27, high: true)
        var seen: [String] = []
        for try await edge in edges { seen.append("\(edge.event.kind.rawValue) \(edge.pin.name)") }
        #expect(seen.count == 3)
        #expect(seen.allSatisfy { $0.hasPrefix("rising ") })
        #expect(Set(seen) == ["rising GPIO17", "rising GPIO27"])
    }
}

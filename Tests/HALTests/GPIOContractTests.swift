import HAL
import HALSimulated
import Testing

/// The contract every `GPIOBackend` keeps: the simulated chip always, the Linux backend on gpio-sim where the
/// kernel has it (the VM tests).
@Suite("GPIO contract")
struct GPIOContractTests {
    static let backends = GPIOBackendKind.available

    private func withChip(
        _ kind: GPIOBackendKind,
        _ body: (any GPIOChip, any GPIOHarness) async throws -> Void
    ) async throws {
        let harness = try kind.makeHarness()
        defer { harness.tearDown() }
        let chip = try harness.backend.openChip(.label(harness.chipLabel))
        try await body(chip, harness)
    }

    /// Why `nextEdge` gave up.
    private struct NoEdge: Error, CustomStringConvertible {
        var description: String { "no edge event within 5 s" }
    }

    /// The next edge (nil once the line is released), throwing rather than hanging if none comes within five seconds:
    /// the wait is cancelled then, which ends it on every backend.
    private func nextEdge(_ edges: GPIOEdgeEvents) async throws -> GPIOEdgeEvent? {
        enum Outcome: Sendable {
            case edge(GPIOEdgeEvent?)
            case timedOut
        }
        return try await withThrowingTaskGroup(of: Outcome.self) { group in
            group.addTask {
                var iterator = edges.makeAsyncIterator()
                return .edge(try await iterator.next())
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                return .timedOut
            }
            defer { group.cancelAll() }
            guard case .edge(let edge) = try await group.next() else { throw NoEdge() }
            return edge
        }
    }

    /// Whether a request for `detection` reports the edge of a drive to `high`.
    private func reports(_ detection: GPIOEdgeDetection, high: Bool) -> Bool {
        switch detection {
        case .both: true
        case .rising: high
        case .falling: !high
        case .none: false
        }
    }

    @Test("chips and lines are listed with names, labels and who holds them", arguments: backends)
    func enumeration(kind: GPIOBackendKind) async throws {
        try await withChip(kind) { chip, harness in
            let chips = try harness.backend.chips()
            #expect(chips.contains { $0.label == harness.chipLabel && $0.lineCount == harness.lineNames.count })
            let lines = try chip.lines()
            #expect(lines.map(\.name) == harness.lineNames)
            #expect(lines.allSatisfy { !$0.used })
            #expect(try chip.offset(ofLineNamed: "button-S1") == 3)
            #expect(try chip.offset(ofLineNamed: "no-such-line") == nil)
        }
    }

    @Test("a chip opens by label, name and path alike", arguments: backends)
    func openBySelector(kind: GPIOBackendKind) async throws {
        try await withChip(kind) { chip, harness in
            let byName = try harness.backend.openChip(.name(chip.info.name))
            let byPath = try harness.backend.openChip(.path("/dev/\(chip.info.name)"))
            #expect(byName.info == chip.info)
            #expect(byPath.info == chip.info)
        }
    }

    @Test("an output drives the line from its first moment, and active-low inverts it", arguments: backends)
    func outputs(kind: GPIOBackendKind) async throws {
        try await withChip(kind) { chip, harness in
            let lock = try chip.requestOutput(
                offset: 0,
                consumer: "floorlink-test",
                configuration: .init(initialValue: true)
            )
            #expect(try harness.physicalLevel(0))
            try lock.write(false)
            #expect(try !harness.physicalLevel(0))
            #expect(try !lock.read())
            let info = try #require(try chip.lines().first)
            #expect(info.used && info.direction == .output && info.consumer == "floorlink-test")

            let light = try chip.requestOutput(
                offset: 7,
                consumer: "floorlink-test",
                configuration: .init(activeLow: true)
            )
            #expect(try harness.physicalLevel(7), "active-low off is physically high")
            try light.write(true)
            #expect(try !harness.physicalLevel(7))
            lock.close()
            light.close()
        }
    }

    @Test("an input reads the level driven from outside, inverted when active-low", arguments: backends, [false, true])
    func inputs(kind: GPIOBackendKind, activeLow: Bool) async throws {
        try await withChip(kind) { chip, harness in
            let sensor = try chip.requestInput(
                offset: 1,
                consumer: "floorlink-test",
                configuration: .init(activeLow: activeLow)
            )
            defer { sensor.close() }
            for high in [true, false, true] {
                try harness.drive(1, high: high)
                #expect(try sensor.read() == (high != activeLow))
            }
        }
    }

    @Test(
        "edges arrive in order with non-decreasing timestamps, filtered by the requested kind",
        arguments: backends,
        [GPIOEdgeDetection.both, .rising, .falling]
    )
    func edges(kind: GPIOBackendKind, detection: GPIOEdgeDetection) async throws {
        try await withChip(kind) { chip, harness in
            try harness.drive(3, high: false)
            let button = try chip.requestInput(
                offset: 3,
                consumer: "floorlink-test",
                configuration: .init(edges: detection)
            )
            defer { button.close() }
            let expected: [GPIOEdgeEvent.Kind] =
                switch detection {
                case .both: [.rising, .falling, .rising, .falling]
                case .rising: [.rising, .rising]
                case .falling: [.falling, .falling]
                case .none: []
                }
            // All four drives back to back, then the events; where the chip folds edges driven before it handled the
            // previous one (gpio-sim), each reported edge is read before the next drive.
            var seen: [GPIOEdgeEvent] = []
            for high in [true, false, true, false] {
                try harness.drive(3, high: high)
                if harness.foldsBackToBackEdges && reports(detection, high: high) {
                    seen.append(try #require(try await nextEdge(button.edges)))
                }
            }
            while seen.count < expected.count {
                seen.append(try #require(try await nextEdge(button.edges)))
            }
            #expect(seen.map(\.kind) == expected)
            #expect(seen.map(\.offset).allSatisfy { $0 == 3 })
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
        }
    }

    @Test("a burst of 1,000 edges loses none and keeps their order", arguments: backends)
    func edgeBurst(kind: GPIOBackendKind) async throws {
        try await withChip(kind) { chip, harness in
            try harness.drive(3, high: false)
            let button = try chip.requestInput(
                offset: 3,
                consumer: "floorlink-test",
                configuration: .init(edges: .both)
            )
            defer { button.close() }
            let edges = button.edges
            var kinds: [GPIOEdgeEvent.Kind] = []
            if harness.foldsBackToBackEdges {
                // gpio-sim: each edge read before the next is driven (driven back to back, 12 to 990 of 1,000 came).
                for index in 0..<1000 {
                    try harness.drive(3, high: index % 2 == 0)
                    guard let edge = try await nextEdge(edges) else { break }
                    kinds.append(edge.kind)
                }
            } else {
                async let collected: [GPIOEdgeEvent.Kind] = {
                    var kinds: [GPIOEdgeEvent.Kind] = []
                    while kinds.count < 1000, let edge = try await nextEdge(edges) { kinds.append(edge.kind) }
                    return kinds
                }()
                for index in 0..<1000 { try harness.drive(3, high: index % 2 == 0) }
                kinds = try await collected
            }
            #expect(kinds.count == 1000)
            #expect(kinds.enumerated().allSatisfy { $0.element == ($0.offset % 2 == 0 ? .rising : .falling) })
        }
    }

    @Test("a line held by one request is busy for the next, and free again once released", arguments: backends)
    func busyAndRelease(kind: GPIOBackendKind) async throws {
        try await withChip(kind) { chip, _ in
            let first = try chip.requestOutput(offset: 0, consumer: "lockers-A", configuration: .init())
            #expect {
                _ = try chip.requestInput(offset: 0, consumer: "other", configuration: .init())
            } throws: { error in
                guard case .busy(_, let holder) = error as? HALError else { return false }
                return holder == "lockers-A"
            }
            first.close()
            #expect(try chip.lines()[0].used == false)
            let second = try chip.requestInput(offset: 0, consumer: "other", configuration: .init())
            second.close()
        }
    }

    @Test("released lines refuse reads and writes, and their edge sequence ends", arguments: backends)
    func closedLines(kind: GPIOBackendKind) async throws {
        try await withChip(kind) { chip, _ in
            let output = try chip.requestOutput(offset: 0, consumer: "floorlink-test", configuration: .init())
            output.close()
            #expect(throws: HALError.self) { try output.write(true) }
            let input = try chip.requestInput(offset: 3, consumer: "floorlink-test", configuration: .init(edges: .both))
            let edges = input.edges
            input.close()
            #expect(try await nextEdge(edges) == nil)
            #expect(throws: HALError.self) { try input.read() }
        }
    }

    @Test("a line offset past the chip's end, or a chip that does not exist, is not found", arguments: backends)
    func notFound(kind: GPIOBackendKind) async throws {
        try await withChip(kind) { chip, harness in
            #expect {
                _ = try chip.requestOutput(offset: harness.lineNames.count, consumer: "t", configuration: .init())
            } throws: { error in
                guard case .notFound = error as? HALError else { return false }
                return true
            }
            #expect {
                _ = try harness.backend.openChip(.label("no-such-chip"))
            } throws: { error in
                guard case .notFound = error as? HALError else { return false }
                return true
            }
        }
    }

    /// An input's requested pull resistor and polarity, and the value it reads on a line nothing else drives.
    struct PullCase: Sendable, CustomTestStringConvertible {
        var bias: GPIOBias
        var activeLow: Bool
        var reads: Bool
        var testDescription: String { "\(bias.rawValue)\(activeLow ? ", active-low" : "")" }
    }

    static let pullCases = [
        PullCase(bias: .pullUp, activeLow: false, reads: true),
        PullCase(bias: .pullDown, activeLow: false, reads: false),
        PullCase(bias: .pullUp, activeLow: true, reads: false), PullCase(bias: .pullDown, activeLow: true, reads: true),
    ]

    @Test(
        "an undriven input follows the pull resistor it is requested with (floorctl gpio get --bias)",
        arguments: backends,
        pullCases
    )
    func inputFollowsRequestedBias(kind: GPIOBackendKind, pull: PullCase) async throws {
        try await withChip(kind) { chip, harness in
            let line = try chip.requestInput(
                offset: 2,
                consumer: "t",
                configuration: GPIOInputConfiguration(bias: pull.bias, activeLow: pull.activeLow)
            )
            defer { line.close() }
            #expect(try line.read() == pull.reads)
            #expect(try harness.physicalLevel(2) == (pull.bias == .pullUp))
        }
    }

    /// An output's drive and pull resistor, the value requested, and the level the pin then shows.
    struct DriveCase: Sendable, CustomTestStringConvertible {
        var drive: GPIODrive
        var bias: GPIOBias
        var value: Bool
        var high: Bool
        var testDescription: String { "\(drive.rawValue), \(bias.rawValue), \(value ? 1 : 0)" }
    }

    static let driveCases = [
        DriveCase(drive: .pushPull, bias: .pullDown, value: true, high: true),
        DriveCase(drive: .openDrain, bias: .pullUp, value: true, high: true),
        DriveCase(drive: .openDrain, bias: .pullUp, value: false, high: false),
        DriveCase(drive: .openDrain, bias: .pullDown, value: true, high: false),
        DriveCase(drive: .openSource, bias: .pullDown, value: true, high: true),
        DriveCase(drive: .openSource, bias: .pullUp, value: false, high: true),
        DriveCase(drive: .openSource, bias: .pullDown, value: false, high: false),
    ]

    @Test(
        "open drain drives only low and open source only high; released, the pin follows its pull (gpio set --drive)",
        arguments: backends,
        driveCases
    )
    func outputDrive(kind: GPIOBackendKind, drive: DriveCase) async throws {
        try await withChip(kind) { chip, harness in
            let line = try chip.requestOutput(
                offset: 6,
                consumer: "t",
                configuration: GPIOOutputConfiguration(initialValue: drive.value, drive: drive.drive, bias: drive.bias)
            )
            defer { line.close() }
            #expect(try harness.physicalLevel(6) == drive.high)
        }
    }
}

import Foundation
import GPIOSimSupport
import HAL
import HALLinux

/// The GPIO contract (Tests/HALTests/GPIOContractTests.swift) held against `HALLinux` on a gpio-sim chip, plus what
/// only a kernel can show: kernel timestamps, another process holding a line.
enum GPIOChecks {
    /// The contract suite's line names: 8 lines, some named.
    static let lineNames: [String?] = ["lock-A1", "sensor-A1", nil, "button-S1", nil, nil, nil, "light-S1"]
    static let consumer = "floorlink-vm"

    static var all: [Check] {
        [
            Check("gpio.enumeration", enumeration),
            Check("gpio.open-by-selector", openBySelector),
            Check("gpio.output-seen-by-kernel", outputs),
            Check("gpio.input-follows-pull", { try await inputs(activeLow: false) }),
            Check("gpio.input-follows-pull.active-low", { try await inputs(activeLow: true) }),
            Check("gpio.edges.both", { try await edges(.both) }),
            Check("gpio.edges.rising", { try await edges(.rising) }),
            Check("gpio.edges.falling", { try await edges(.falling) }),
            Check("gpio.edges.kernel-timestamps", kernelTimestamps),
            Check("gpio.edges.1000-in-order", limit: .seconds(120), edgeBurst),
            Check("gpio.busy.same-process", busyInProcess),
            Check("gpio.busy.other-process", busyOtherProcess),
            Check("gpio.release-on-close", closedLines),
            Check("gpio.not-found", notFound),
        ]
    }

    /// A fresh gpio-sim chip opened by label through `LinuxGPIOBackend`, taken down afterwards.
    static func withChip(_ body: (any GPIOChip, GPIOSimChip) async throws -> Void) async throws {
        let sim = try GPIOSimChip(lineNames: lineNames)
        defer { sim.tearDown() }
        let chip = try LinuxGPIOBackend().openChip(.label(sim.label))
        try await body(chip, sim)
    }

    /// The next edge of `line`, failing after five seconds.
    static func nextEdge(_ line: any GPIOInputLine) async throws -> GPIOEdgeEvent? {
        let edges = line.edges
        return try await within(.seconds(5), "edge on line \(line.offset)") {
            var iterator = edges.makeAsyncIterator()
            return try await iterator.next()
        }
    }

    static func enumeration() async throws {
        try await withChip { chip, sim in
            let chips = try LinuxGPIOBackend().chips()
            let listed = try require(chips.first { $0.label == sim.label }, "chips() lacks \(sim.label): \(chips)")
            try expect(listed.name == sim.chipName, "chip name \(listed.name), the kernel says \(sim.chipName)")
            try expect(listed.lineCount == lineNames.count, "line count \(listed.lineCount)")
            try expect(chip.info == listed, "opened \(chip.info), listed \(listed)")
            let lines = try chip.lines()
            try expect(lines.map(\.name) == lineNames, "line names \(lines.map(\.name))")
            try expect(lines.allSatisfy { !$0.used }, "lines in use on a new chip: \(lines.filter(\.used))")
            try expect(try chip.offset(ofLineNamed: "button-S1") == 3, "button-S1 not at offset 3")
            try expect(try chip.offset(ofLineNamed: "no-such-line") == nil, "a line that does not exist was found")
        }
    }

    static func openBySelector() async throws {
        try await withChip { chip, _ in
            let backend = LinuxGPIOBackend()
            let byName = try backend.openChip(.name(chip.info.name))
            let byPath = try backend.openChip(.path("/dev/\(chip.info.name)"))
            let number = try require(Int(chip.info.name.dropFirst("gpiochip".count)), "chip name \(chip.info.name)")
            let byNumber = try backend.openChip(.number(number))
            for other in [byName, byPath, byNumber] {
                try expect(other.info == chip.info, "\(other.info) differs from \(chip.info)")
            }
        }
    }

    static func outputs() async throws {
        try await withChip { chip, sim in
            let lock = try chip.requestOutput(offset: 0, consumer: consumer, configuration: .init(initialValue: true))
            try expect(try sim.physicalLevel(0), "sim_gpio0/value is 0 after a request with initial value 1")
            try lock.write(false)
            try expect(try !sim.physicalLevel(0), "sim_gpio0/value is 1 after write(false)")
            try expect(try !lock.read(), "read() after write(false) is true")
            try lock.write(true)
            try expect(try sim.physicalLevel(0), "sim_gpio0/value is 0 after write(true)")
            let info = try chip.lines()[0]
            try expect(
                info.used && info.direction == .output && info.consumer == consumer,
                "gpioinfo view of a held output: \(info)"
            )

            let light = try chip.requestOutput(offset: 7, consumer: consumer, configuration: .init(activeLow: true))
            try expect(try sim.physicalLevel(7), "active-low off is not physically high")
            try expect(try chip.lines()[7].activeLow, "line 7 not reported active-low")
            try light.write(true)
            try expect(try !sim.physicalLevel(7), "active-low on is not physically low")
            lock.close()
            light.close()
        }
    }

    static func inputs(activeLow: Bool) async throws {
        try await withChip { chip, sim in
            let sensor = try chip.requestInput(
                offset: 1,
                consumer: consumer,
                configuration: .init(activeLow: activeLow)
            )
            defer { sensor.close() }
            for high in [true, false, true, false] {
                try sim.drive(1, high: high)
                let value = try sensor.read()
                try expect(value == (high != activeLow), "pull \(high ? "up" : "down") read \(value)")
            }
        }
    }

    static func edges(_ detection: GPIOEdgeDetection) async throws {
        try await withChip { chip, sim in
            try sim.drive(3, high: false)
            let button = try chip.requestInput(offset: 3, consumer: consumer, configuration: .init(edges: detection))
            defer { button.close() }
            let expected: [GPIOEdgeEvent.Kind] =
                switch detection {
                case .both: [.rising, .falling, .rising, .falling]
                case .rising: [.rising, .rising]
                case .falling: [.falling, .falling]
                case .none: []
                }
            // Lock-step: gpio-sim raises edges through irq_sim, which folds edges driven before its irq_work ran
            // into one, so an edge that makes an event is read before the next is driven.
            var seen: [GPIOEdgeEvent] = []
            for high in [true, false, true, false] {
                try sim.drive(3, high: high)
                if detection == .both || (detection == .rising) == high {
                    seen.append(try require(try await nextEdge(button), "edge sequence ended"))
                }
            }
            try expect(seen.map(\.kind) == expected, "kinds \(seen.map(\.kind)), expected \(expected)")
            try expect(seen.allSatisfy { $0.offset == 3 }, "offsets \(seen.map(\.offset))")
            try expect(
                zip(seen, seen.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp },
                "timestamps not increasing: \(seen.map(\.timestamp))"
            )
            // Nothing beyond the requested kind: one more drive of the other kind must not produce an edge first.
            if detection != .both {
                try sim.drive(3, high: true)
                try sim.drive(3, high: false)
                let extra = try require(try await nextEdge(button), "edge sequence ended")
                try expect(extra.kind == expected[0], "a \(extra.kind) edge on a \(detection) request")
            }
        }
    }

    /// The edge's timestamp lies between CLOCK_MONOTONIC before the drive and after the read: the kernel's clock.
    static func kernelTimestamps() async throws {
        try await withChip { chip, sim in
            try sim.drive(3, high: false)
            let button = try chip.requestInput(offset: 3, consumer: consumer, configuration: .init(edges: .both))
            defer { button.close() }
            let before = monotonicNanoseconds()
            try sim.drive(3, high: true)
            let edge = try require(try await nextEdge(button), "no edge")
            let after = monotonicNanoseconds()
            let (seconds, attoseconds) = edge.timestamp.sinceOrigin.components
            let stamp = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
            try expect(
                before <= stamp && stamp <= after,
                "edge stamped \(stamp) ns, outside [\(before), \(after)] of CLOCK_MONOTONIC"
            )
        }
    }

    /// 1,000 edges, each driven once the previous one was read (gpio-sim folds edges driven faster than its
    /// irq_work runs: 12 to 990 of 1,000 arrived when driven back to back), none lost, in order, stamped in order.
    static func edgeBurst() async throws {
        try await withChip { chip, sim in
            try sim.drive(3, high: false)
            let button = try chip.requestInput(offset: 3, consumer: consumer, configuration: .init(edges: .both))
            defer { button.close() }
            let fd = open(sim.pullPath(3), O_WRONLY)
            try expect(fd >= 0, "open \(sim.pullPath(3)): errno \(errno)")
            defer { Glibc.close(fd) }
            var seen: [GPIOEdgeEvent] = []
            let started = monotonicNanoseconds()
            for index in 0..<1000 {
                let text = index % 2 == 0 ? "pull-up" : "pull-down"
                try expect(text.withCString({ write(fd, $0, strlen($0)) }) > 0, "write \(text): errno \(errno)")
                guard let edge = try await nextEdge(button) else { break }
                seen.append(edge)
            }
            let elapsed = Double(monotonicNanoseconds() - started) / 1e6
            say("  1,000 edges driven and read in \(String(format: "%.0f", elapsed)) ms")
            try expect(seen.count == 1000, "\(seen.count) edges of 1,000")
            let wrongKind = seen.enumerated().first { $0.element.kind != ($0.offset % 2 == 0 ? .rising : .falling) }
            try expect(wrongKind == nil, "edge \(wrongKind?.offset ?? -1) out of order")
            try expect(
                zip(seen, seen.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp },
                "timestamps not increasing"
            )
        }
    }

    static func busyInProcess() async throws {
        try await withChip { chip, sim in
            let first = try chip.requestOutput(offset: 0, consumer: "lockers-A", configuration: .init())
            // A second handle on the chip: a separate open of /dev/gpiochipN, so the kernel arbitrates.
            let other = try LinuxGPIOBackend().openChip(.label(sim.label))
            do {
                _ = try other.requestInput(offset: 0, consumer: "other", configuration: .init())
                throw CheckFailure("a held line was granted twice")
            } catch HALError.busy(_, let holder) {
                try expect(holder == "lockers-A", "holder \(holder ?? "nil"), expected lockers-A")
            }
            first.close()
            try expect(try !chip.lines()[0].used, "line 0 still used after close()")
            let second = try other.requestInput(offset: 0, consumer: "other", configuration: .init())
            second.close()
        }
    }

    /// Another process (this binary, `hold CHIP-LABEL OFFSET`) holds the line; the request here is `busy`
    /// naming it, and the line is free again once that process exits.
    static func busyOtherProcess() async throws {
        try await withChip { chip, sim in
            let holder = try HolderProcess(label: sim.label, offset: 0)
            defer { holder.finish() }
            let line = try holder.readLine(timeoutMilliseconds: 10_000)
            try expect(line == "held", "holder said \(line.debugDescription)")
            do {
                _ = try chip.requestOutput(offset: 0, consumer: consumer, configuration: .init())
                throw CheckFailure("a line held by another process was granted")
            } catch HALError.busy(_, let holderName) {
                try expect(holderName == "other-process", "holder \(holderName ?? "nil"), expected other-process")
            }
            holder.finish()
            try expect(try !chip.lines()[0].used, "line 0 still used after the holding process exited")
            let mine = try chip.requestOutput(offset: 0, consumer: consumer, configuration: .init())
            mine.close()
        }
    }

    /// The `hold` subcommand: requests line `offset` of the chip labelled `label` as "other-process", says
    /// `held`, and keeps it until standard input closes.
    static func hold(label: String, offset: Int) -> Int32 {
        do {
            let chip = try LinuxGPIOBackend().openChip(.label(label))
            let line = try chip.requestOutput(offset: offset, consumer: "other-process", configuration: .init())
            say("held")
            var byte: UInt8 = 0
            while read(0, &byte, 1) > 0 {}
            line.close()
            return 0
        } catch {
            say("hold failed: \(error)")
            return 1
        }
    }

    static func closedLines() async throws {
        try await withChip { chip, _ in
            let output = try chip.requestOutput(offset: 0, consumer: consumer, configuration: .init())
            output.close()
            try expect(try !chip.lines()[0].used, "output still used after close()")
            do {
                try output.write(true)
                throw CheckFailure("write() on a closed output succeeded")
            } catch is HALError {}
            let input = try chip.requestInput(offset: 3, consumer: consumer, configuration: .init(edges: .both))
            let edges = input.edges
            let waiting = Task { () throws -> GPIOEdgeEvent? in
                var iterator = edges.makeAsyncIterator()
                return try await iterator.next()
            }
            try await Task.sleep(for: .milliseconds(50))
            input.close()
            let last = try await within(.seconds(5), "edge sequence end after close()") {
                try await withTaskCancellationHandler {
                    try await waiting.value
                } onCancel: {
                    waiting.cancel()
                }
            }
            try expect(last == nil, "an edge after close(): \(String(describing: last))")
            try expect(try !chip.lines()[3].used, "input still used after close()")
            do {
                _ = try input.read()
                throw CheckFailure("read() on a closed input succeeded")
            } catch is HALError {}
        }
    }

    static func notFound() async throws {
        try await withChip { chip, _ in
            do {
                _ = try chip.requestOutput(offset: lineNames.count, consumer: "t", configuration: .init())
                throw CheckFailure("offset \(lineNames.count) of \(lineNames.count) lines was granted")
            } catch HALError.notFound {}
            do {
                _ = try LinuxGPIOBackend().openChip(.label("no-such-chip"))
                throw CheckFailure("a chip labelled no-such-chip opened")
            } catch HALError.notFound {}
        }
    }
}

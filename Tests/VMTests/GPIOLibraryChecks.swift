import Foundation
import GPIOSimSupport
import HAL
import HALLinux

/// What differs between libgpiod 1.6 and 2.x on a real kernel: which library is in use, how many edges of a burst
/// survive a slow reader, and kernel debounce of a bouncing door contact. Tests/VM/run runs them with each library.
enum GPIOLibraryChecks {
    static var all: [Check] {
        [
            Check("gpio.libgpiod.in-use", inUse),
            Check("gpio.edges.1khz-burst-slow-reader", limit: .seconds(120), slowReaderBurst),
            Check("gpio.debounce.door-bounce", limit: .seconds(60), doorBounce),
        ]
    }

    /// The library `LibGPIOD` loaded is the one FLOORLINK_GPIOD_LIBRARY names (or the first found), with its API.
    static func inUse() async throws {
        let library = try LibGPIOD.shared()
        say("  \(library) from \(library.path)")
        if let forced = ProcessInfo.processInfo.environment["FLOORLINK_GPIOD_LIBRARY"] {
            try expect(library.path == forced, "loaded \(library.path), FLOORLINK_GPIOD_LIBRARY is \(forced)")
        }
        let soname = URL(fileURLWithPath: library.path).resolvingSymlinksInPath().lastPathComponent
        try expect(
            soname.hasPrefix(library.api == .v2 ? "libgpiod.so.3" : "libgpiod.so.2"),
            "\(soname) as \(library.api)"
        )
    }

    /// Every edge that arrives within `limit` of the previous one, until none does.
    static func drain(_ line: any GPIOInputLine, limit: Duration) async -> [GPIOEdgeEvent] {
        var edges: [GPIOEdgeEvent] = []
        while let edge = try? await within(
            limit,
            "edge",
            { () async throws -> GPIOEdgeEvent? in
                var iterator = line.edges.makeAsyncIterator()
                return try await iterator.next()
            }
        ) {
            edges.append(edge)
        }
        return edges
    }

    /// Drives `levels` onto the line's pull file, one every `interval` on an absolute monotonic schedule.
    static func drive(_ sim: GPIOSimChip, offset: Int, levels: [Bool], interval: Duration) throws -> Duration {
        let fd = open(sim.pullPath(offset), O_WRONLY)
        try expect(fd >= 0, "open \(sim.pullPath(offset)): errno \(errno)")
        defer { Glibc.close(fd) }
        let step = Int64(interval.components.seconds) * 1_000_000_000 + interval.components.attoseconds / 1_000_000_000
        let started = monotonicNanoseconds()
        for (index, high) in levels.enumerated() {
            var due = timespec(
                tv_sec: Int((started + Int64(index) * step) / 1_000_000_000),
                tv_nsec: Int((started + Int64(index) * step) % 1_000_000_000)
            )
            _ = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, nil)
            let text = high ? "pull-up" : "pull-down"
            try expect(text.withCString({ write(fd, $0, strlen($0)) }) > 0, "write \(text): errno \(errno)")
        }
        return .nanoseconds(monotonicNanoseconds() - started)
    }

    /// 600 edges at 1 kHz while the reader reads nothing (a reader stuck for the whole burst), then everything the
    /// kernel kept. libgpiod 1.6's kernel buffer holds 16 events per line, 2.x's as many as the request asks
    /// (HALLinux asks 1,024): on 2.x no edge the kernel saw may be lost, which the line sequence numbers show.
    static func slowReaderBurst() async throws {
        let sim = try GPIOSimChip(lineNames: GPIOChecks.lineNames)
        defer { sim.tearDown() }
        let chip = try LinuxGPIOBackend().openChip(.label(sim.label))
        try sim.drive(3, high: false)
        let line = try chip.requestInput(offset: 3, consumer: GPIOChecks.consumer, configuration: .init(edges: .both))
        defer { line.close() }
        let driven = 600
        let took = try drive(sim, offset: 3, levels: (0..<driven).map { $0 % 2 == 0 }, interval: .milliseconds(1))
        let seen = await drain(line, limit: .milliseconds(500))
        let library = try LibGPIOD.shared()
        let kernelSaw = seen.last?.sequence.map(Int.init)
        let rate = Double(driven) / (Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
        say(
            "  \(library): \(driven) edges driven at \(String(format: "%.0f", rate)) Hz, \(seen.count) read, "
                + "\(driven - seen.count) lost"
                + (kernelSaw.map { " (kernel saw \($0): \($0 - seen.count) lost in its buffer)" } ?? "")
        )
        if library.api == .v2 {
            let gaps = zip(seen, seen.dropFirst()).filter { ($1.sequence ?? 0) != ($0.sequence ?? 0) + 1 }.count
            try expect(
                seen.first?.sequence == 1,
                "first sequence number \(seen.first?.sequence.map(String.init) ?? "none")"
            )
            try expect(gaps == 0, "\(gaps) gaps in the sequence numbers: edges lost from the kernel buffer")
        } else {
            try expect(seen.count >= 16, "\(seen.count) edges kept, the v1 kernel buffer holds 16")
        }
    }

    /// A door contact that bounces 6 times 1 ms apart and settles open, requested with a 20 ms debounce: with kernel
    /// debounce (2.x) one rising edge arrives, stamped once the contact had held 20 ms; without (1.6) every bounce
    /// arrives and the driver's software debounce has to sort them out.
    static func doorBounce() async throws {
        let sim = try GPIOSimChip(lineNames: GPIOChecks.lineNames)
        defer { sim.tearDown() }
        let chip = try LinuxGPIOBackend().openChip(.label(sim.label))
        try sim.drive(1, high: false)
        let debounce = Duration.milliseconds(20)
        let line = try chip.requestInput(
            offset: 1,
            consumer: GPIOChecks.consumer,
            configuration: .init(edges: .both, debounce: debounce)
        )
        defer { line.close() }
        let bounces = [true, false, true, false, true, false, true]
        let started = monotonicNanoseconds()
        _ = try drive(sim, offset: 1, levels: bounces, interval: .milliseconds(1))
        let settled = monotonicNanoseconds()
        let seen = await drain(line, limit: .milliseconds(300))
        let library = try LibGPIOD.shared()
        say(
            "  \(library): \(bounces.count) bounces in \((settled - started) / 1000) µs, \(seen.count) edges delivered "
                + "(kernel debounce \(line.debounce.map { "\($0)" } ?? "none"))"
        )
        try expect(try line.read(), "the settled door reads closed")
        if library.api == .v2 {
            try expect(line.debounce == debounce, "debounce \(String(describing: line.debounce)) on v2")
            try expect(seen.map(\.kind) == [.rising], "edges \(seen.map(\.kind)), one rising edge expected")
            let stamped = seen[0].timestamp.sinceOrigin
            try expect(
                stamped >= .nanoseconds(settled) + debounce - .milliseconds(2),
                "stamped before the contact settled"
            )
        } else {
            try expect(line.debounce == nil, "v1 claims a kernel debounce")
            try expect(seen.last?.kind == .rising, "last edge \(String(describing: seen.last?.kind))")
        }
    }
}

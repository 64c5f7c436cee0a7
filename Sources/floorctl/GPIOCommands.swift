import Events
import HAL
import HALLinux
import Service

/// `gpio list|get|set|monitor`: like the libgpiod tools, with board pin names.
enum GPIOCommands {
    static var group: Command {
        Command(
            "gpio",
            abstract: "List GPIO chips and lines; read, drive and watch a line.",
            discussion: "A line is CHIP OFFSET (chip as gpiochip0, /dev/gpiochip0 or its label), CHIP:OFFSET, "
                + "or a board pin name such as GPIO17 with --board raspberry-pi-5.",
            subcommands: [list, get, set, monitor]
        )
    }

    private static let lineArgument = ArgumentSpec("line", "A chip (with <offset>), CHIP:OFFSET, or a board pin name.")
    private static let offsetArgument = ArgumentSpec(
        "offset",
        "The line offset on the chip.",
        optional: true,
        kind: .integer(0...1023)
    )
    private static let boardOption = OptionSpec.option(
        "board",
        "The board whose pin names to use: a name such as raspberry-pi-5 (looked up in the hal directories), or the "
            + "path of a board file."
    )

    static var list: Command {
        Command(
            "list",
            abstract: "List GPIO chips, or the lines of one chip.",
            arguments: [ArgumentSpec("chip", "A chip whose lines to list.", optional: true)],
            options: [FloorctlCommands.jsonFlag]
        ) { context in
            let json = context.arguments.flag("json")
            let backend = LinuxGPIOBackend()
            if let chipName = context.arguments.argument("chip") {
                let lines = try hal { () throws(HALError) in
                    try backend.openChip(GPIOChipSelector(parsing: chipName)).lines()
                }
                if json {
                    Console.line(JSONValue.array(lines.map(lineJSON)).jsonText)
                    return .success
                }
                var table = TextTable("LINE", "NAME", "CONSUMER", "DIRECTION", "ACTIVE-LOW", "USED")
                for line in lines {
                    table.append([
                        String(line.offset), line.name ?? "-", line.consumer ?? "-", line.direction.rawValue,
                        line.activeLow ? "yes" : "no", line.used ? "yes" : "no",
                    ])
                }
                Console.out(table.rendered)
                return .success
            }
            let chips = try hal { () throws(HALError) in try backend.chips() }
            if json {
                let values = chips.map { chip -> JSONValue in
                    ["name": .string(chip.name), "label": .string(chip.label), "lines": .int(Int64(chip.lineCount))]
                }
                Console.line(JSONValue.array(values).jsonText)
                return .success
            }
            guard !chips.isEmpty else {
                Console.line("No GPIO chips found (/dev/gpiochip*).")
                return .success
            }
            var table = TextTable("CHIP", "LABEL", "LINES")
            for chip in chips { table.append([chip.name, chip.label, String(chip.lineCount)]) }
            Console.out(table.rendered)
            return .success
        }
    }

    private static func lineJSON(_ line: GPIOLineInfo) -> JSONValue {
        .object([
            ("offset", .int(Int64(line.offset))), ("name", line.name.map { .string($0) } ?? .null),
            ("consumer", line.consumer.map { .string($0) } ?? .null), ("direction", .string(line.direction.rawValue)),
            ("activeLow", .bool(line.activeLow)), ("used", .bool(line.used)),
        ])
    }

    static var get: Command {
        Command(
            "get",
            abstract: "Read a line's value (0 or 1).",
            arguments: [lineArgument, offsetArgument],
            options: [boardOption, FloorctlCommands.jsonFlag]
        ) { context in
            let pin = try resolve(context)
            let value = try hal { () throws(HALError) in
                let chip = try LinuxGPIOBackend().openChip(pin.chip)
                let line = try chip.requestInput(offset: pin.offset, consumer: "floorctl", configuration: .init())
                defer { line.close() }
                return try line.read()
            }
            if context.arguments.flag("json") {
                Console.line(
                    JSONValue.object([
                        ("line", .string(pin.name)), ("chip", .string(pin.chip.description)),
                        ("offset", .int(Int64(pin.offset))), ("value", .int(value ? 1 : 0)),
                    ]).jsonText
                )
            } else {
                Console.line(value ? "1" : "0")
            }
            return .success
        }
    }

    static var set: Command {
        Command(
            "set",
            abstract: "Drive a line to 0 or 1, for a time or until interrupted.",
            arguments: [lineArgument, offsetArgument, ArgumentSpec("value", "0 or 1.", kind: .choice(["0", "1"]))],
            options: [
                boardOption,
                .option("for-ms", value: "ms", kind: .integer(1...600_000), "Hold the value this long, then release."),
                FloorctlCommands.jsonFlag,
            ]
        ) { context in
            let pin = try resolve(context)
            let value = context.arguments.argument("value") == "1"
            let line = try hal { () throws(HALError) in
                try LinuxGPIOBackend().openChip(pin.chip).requestOutput(
                    offset: pin.offset,
                    consumer: "floorctl",
                    configuration: GPIOOutputConfiguration(initialValue: value)
                )
            }
            defer { line.close() }
            let shown = value ? "1" : "0"
            if let milliseconds = context.arguments.integer("for-ms") {
                try await Task.sleep(for: .milliseconds(milliseconds))
                let result = JSONValue.object([
                    ("line", .string(pin.name)), ("value", .int(value ? 1 : 0)), ("heldMs", .int(Int64(milliseconds))),
                ])
                Console.line(
                    context.arguments.flag("json")
                        ? result.jsonText : "Held \(pin.name) at \(shown) for \(milliseconds) ms, released."
                )
                return .success
            }
            Console.error("Holding \(pin.name) at \(shown); press Ctrl-C to release.\n")
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
    }

    static var monitor: Command {
        Command(
            "monitor",
            abstract: "Print a line's edges until interrupted.",
            arguments: [lineArgument, offsetArgument],
            options: [boardOption, FloorctlCommands.jsonFlag]
        ) { context in
            let pin = try resolve(context)
            let line = try hal { () throws(HALError) in
                try LinuxGPIOBackend().openChip(pin.chip).requestInput(
                    offset: pin.offset,
                    consumer: "floorctl",
                    configuration: GPIOInputConfiguration(edges: .both)
                )
            }
            defer { line.close() }
            let json = context.arguments.flag("json")
            if !json { Console.error("Watching \(pin); press Ctrl-C to stop.\n") }
            do throws(HALError) {
                for try await edge in line.edges {
                    let seconds =
                        Double(edge.timestamp.sinceOrigin.components.seconds)
                        + Double(edge.timestamp.sinceOrigin.components.attoseconds) / 1e18
                    if json {
                        Console.line(
                            JSONValue.object([
                                ("line", .string(pin.name)), ("edge", .string(edge.kind.rawValue)),
                                ("timestampS", .double(seconds)),
                            ]).jsonText
                        )
                    } else {
                        Console.line("\(formatSeconds(seconds))  \(edge.kind.rawValue)  \(pin.name)")
                    }
                }
            } catch {
                throw CommandFailure(error.description)
            }
            return .success
        }
    }

    private static func formatSeconds(_ seconds: Double) -> String {
        let milliseconds = Int64((seconds * 1000).rounded())
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    /// The line the positionals and `--board` name.
    static func resolve(_ context: CommandContext) throws -> PinReference {
        let arguments = context.arguments
        let line = arguments.argument("line") ?? ""
        if let offset = arguments.argument("offset").flatMap({ Int($0) }) {
            return PinReference(chip: GPIOChipSelector(parsing: line), offset: offset, name: "\(line):\(offset)")
        }
        if let direct = PinReference(direct: line) { return direct }
        guard let board = arguments.option("board") else {
            throw context.usageError(
                "'\(line)' is a pin name; pass --board <board>, or give the line as CHIP OFFSET or CHIP:OFFSET"
            )
        }
        let map: BoardPinMap
        do throws(ConfigError) {
            // The search the daemon makes for its default config, so a board file it finds is found here too.
            let search = HALSearchPath.forProcess(configPath: DoctorCommand.defaultConfigPath)
            map = try BoardPinMap.load(path: try search.file(.board, nameOrPath: board))
        } catch {
            throw CommandFailure(error.description)
        }
        guard let pin = map.pins[line] else {
            let known = map.pins.keys.sorted().prefix(12).joined(separator: ", ")
            throw CommandFailure("unknown pin \"\(line)\" on board \(board) (pins include \(known))")
        }
        return pin
    }

    /// Runs a HAL call, turning its error into a failure with the HAL's own sentence.
    private static func hal<T>(_ body: () throws(HALError) -> T) throws(CommandFailure) -> T {
        do throws(HALError) {
            return try body()
        } catch {
            throw CommandFailure(error.description)
        }
    }
}

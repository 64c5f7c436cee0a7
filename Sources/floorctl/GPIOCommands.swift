import Events
import HAL
import HALLinux
import Service

/// `gpio list|info|get|set|monitor`: like the libgpiod tools, with board pin names and the kernel's line names.
enum GPIOCommands {
    static var group: Command {
        Command(
            "gpio",
            abstract: "List GPIO chips and lines; read, drive and watch a line.",
            discussion: "A line is CHIP OFFSET (chip as gpiochip0, /dev/gpiochip0 or its label), CHIP:OFFSET, "
                + "a line name the kernel reports (as gpioinfo shows them), or a board pin name such as GPIO17 "
                + "with --board raspberry-pi-5.",
            subcommands: [list, info, get, set, monitor]
        )
    }

    private static let lineArgument = ArgumentSpec(
        "line",
        "A chip (with <offset>), CHIP:OFFSET, a kernel line name, or a board pin name."
    )
    private static let biasOption = OptionSpec.option(
        "bias",
        value: "bias",
        default: "as-is",
        kind: .choice(["as-is", "pull-up", "pull-down", "disabled"]),
        "The line's pull resistor: pull-up, pull-down, disabled or as-is."
    )
    private static let activeLowFlag = OptionSpec.flag("active-low", short: "l", "Treat a low level as 1 (active).")
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

    static var info: Command {
        Command(
            "info",
            abstract: "Show every line of every chip (or of one chip), like gpioinfo.",
            discussion: "Each line's offset, name, direction, active-low and consumer (the holder of a line in use).",
            arguments: [
                ArgumentSpec("chip", "Only this chip (gpiochip0, /dev/gpiochip0 or its label).", optional: true)
            ],
            options: [FloorctlCommands.jsonFlag]
        ) { context in
            let selector = context.arguments.argument("chip").map(GPIOChipSelector.init(parsing:))
            let chips = try hal { () throws(HALError) in try GPIOTool.info(LinuxGPIOBackend(), chip: selector) }
            if context.arguments.flag("json") {
                let values = chips.map { chip -> JSONValue in
                    .object([
                        ("name", .string(chip.chip.name)), ("label", .string(chip.chip.label)),
                        ("lines", .array(chip.lines.map(lineJSON))),
                    ])
                }
                Console.line(JSONValue.array(values).jsonText)
                return .success
            }
            guard !chips.isEmpty else {
                Console.line("No GPIO chips found (/dev/gpiochip*).")
                return .success
            }
            Console.out(infoReport(chips))
            return .success
        }
    }

    /// `gpiochip0 - 54 lines (pinctrl-rp1):` then a table of its lines, for each chip.
    static func infoReport(_ chips: [GPIOTool.ChipLines]) -> String {
        chips.map { chip in
            var table = TextTable("LINE", "NAME", "DIRECTION", "ACTIVE-LOW", "CONSUMER")
            for line in chip.lines {
                table.append([
                    String(line.offset), line.name ?? "-", line.direction.rawValue, line.activeLow ? "yes" : "no",
                    line.used ? (line.consumer ?? "kernel") : "-",
                ])
            }
            return "\(chip.chip.name) - \(chip.chip.lineCount) lines (\(chip.chip.label)):\n" + table.rendered
        }.joined(separator: "\n")
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
            options: [boardOption, biasOption, activeLowFlag, FloorctlCommands.jsonFlag]
        ) { context in
            let pin = try resolve(context)
            let configuration = GPIOInputConfiguration(
                bias: bias(context),
                activeLow: context.arguments.flag("active-low")
            )
            let value = try hal { () throws(HALError) in
                try GPIOTool.read(pin, backend: LinuxGPIOBackend(), configuration: configuration)
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
                .option(
                    "drive",
                    value: "drive",
                    default: "push-pull",
                    kind: .choice(["push-pull", "open-drain", "open-source"]),
                    "How the line is driven: push-pull, open-drain or open-source."
                ),
                biasOption, activeLowFlag,
                FloorctlCommands.jsonFlag,
            ]
        ) { context in
            let pin = try resolve(context)
            let value = context.arguments.argument("value") == "1"
            let configuration = GPIOOutputConfiguration(
                initialValue: value,
                activeLow: context.arguments.flag("active-low"),
                drive: context.arguments.option("drive").flatMap(GPIODrive.init(rawValue:)) ?? .pushPull,
                bias: bias(context)
            )
            let line = try hal { () throws(HALError) in
                try GPIOTool.drive(pin, backend: LinuxGPIOBackend(), configuration: configuration)
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
            abstract: "Print the edges of one or more lines until interrupted or --count edges, like gpiomon.",
            discussion: "Lines as CHIP OFFSET... (gpiochip0 17 27), or each as CHIP:OFFSET, a kernel line name or a "
                + "board pin name (GPIO17 GPIO27 --board raspberry-pi-5). Each edge prints its kernel timestamp "
                + "(seconds, monotonic), rising or falling, and the line.",
            arguments: [ArgumentSpec("lines", "The lines to watch.", variadic: true)],
            options: [
                boardOption,
                .option(
                    "edge",
                    short: "e",
                    value: "edge",
                    default: "both",
                    kind: .choice(["rising", "falling", "both"]),
                    "Which edges to print: rising, falling or both."
                ),
                .option("count", short: "n", value: "n", kind: .integer(1...1_000_000), "Exit after n edges."),
                biasOption, activeLowFlag,
                FloorctlCommands.jsonFlag,
            ]
        ) { context in
            let arguments = context.arguments
            let pins = try resolveLines(context, arguments.arguments("lines"))
            let configuration = GPIOInputConfiguration(
                bias: bias(context),
                activeLow: arguments.flag("active-low"),
                edges: arguments.option("edge").flatMap(GPIOEdgeDetection.init(rawValue:)) ?? .both
            )
            let monitor = try hal { () throws(HALError) in
                try GPIOMonitor(pins, backend: LinuxGPIOBackend(), configuration: configuration)
            }
            defer { monitor.close() }
            let json = arguments.flag("json")
            if !json {
                let names = pins.map(\.description).joined(separator: ", ")
                Console.error("Watching \(names); press Ctrl-C to stop.\n")
            }
            do {
                for try await edge in monitor.edges(count: arguments.integer("count")) {
                    let timestamp = edge.event.timestamp.sinceOrigin.components
                    let seconds = Double(timestamp.seconds) + Double(timestamp.attoseconds) / 1e18
                    if json {
                        Console.line(
                            JSONValue.object([
                                ("line", .string(edge.pin.name)), ("edge", .string(edge.event.kind.rawValue)),
                                ("timestampS", .double(seconds)),
                            ]).jsonText
                        )
                    } else {
                        Console.line("\(formatSeconds(seconds))  \(edge.event.kind.rawValue)  \(edge.pin.name)")
                    }
                }
            } catch {
                throw CommandFailure("\(error)")
            }
            return .success
        }
    }

    private static func bias(_ context: CommandContext) -> GPIOBias {
        context.arguments.option("bias").flatMap(GPIOBias.init(rawValue:)) ?? .asIs
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
        guard let pin = try resolveLines(context, [line]).first else {
            throw context.usageError("give the line as CHIP OFFSET, CHIP:OFFSET, a kernel line name or a board pin")
        }
        return pin
    }

    /// The lines `words` name: CHIP OFFSET..., or each a CHIP:OFFSET, board pin (with `--board`) or kernel line name.
    static func resolveLines(_ context: CommandContext, _ words: [String]) throws -> [PinReference] {
        var board: BoardPinMap?
        if let name = context.arguments.option("board") {
            do throws(ConfigError) {
                // The search the daemon makes for its default config, so a board file it finds is found here too.
                let search = HALSearchPath.forProcess(configPath: DoctorCommand.defaultConfigPath)
                board = try BoardPinMap.load(path: try search.file(.board, nameOrPath: name))
            } catch {
                throw CommandFailure(error.description)
            }
        }
        do throws(GPIOLineLookupError) {
            return try GPIOLineResolver(backend: LinuxGPIOBackend(), board: board).resolve(arguments: words)
        } catch {
            throw CommandFailure(error.description)
        }
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

import Events

/// `locker probe BUS`: which lock boards answer on a bus, with their raw lock and sensor bits, so that a technician
/// can find the boards' addresses and set the profile's polarity.
enum LockerProbeCommand {
    static var command: Command {
        Command(
            "probe",
            abstract: "Scan a bus for lock boards and show each one's raw lock and sensor bits.",
            discussion: "Asks every address in the range for its status, one attempt each, between the daemon's "
                + "polls, and lists the boards that answer and the configured ones that do not. The bits are raw, "
                + "channel 1 first: open a door or release a lock and probe again to see which way round the board "
                + "reports them (the profile's sensorOpenWhenSet and lockReleasedWhenSet). Exits 1 when no board "
                + "answers.",
            arguments: [ArgumentSpec("bus", "The bus id from the site config's buses (e.g. rs485-1).")],
            options: [
                .option("from", value: "address", kind: .integer(0...247), "The first address to ask."),
                .option(
                    "to",
                    value: "address",
                    kind: .integer(0...247),
                    "The last address to ask (default: 31 on CU16, 32 on Modbus)."
                ),
                .option(
                    "timeout-ms",
                    value: "ms",
                    default: "100",
                    kind: .integer(10...5000),
                    "How long to wait for each address."
                ),
                DaemonClient.socketOption, FloorctlCommands.jsonFlag,
            ]
        ) { context in
            let arguments = context.arguments
            let bus = arguments.argument("bus") ?? ""
            var args: [(String, JSONValue)] = [("bus", .string(bus))]
            if let from = arguments.integer("from") { args.append(("from", .int(Int64(from)))) }
            if let to = arguments.integer("to") { args.append(("to", .int(Int64(to)))) }
            args.append(("timeoutMs", .int(Int64(arguments.integer("timeout-ms") ?? 100))))
            let result = try await DaemonClient(context).call("locker.probe", .object(args), timeout: .seconds(600))
            let boards = result["boards"]?.elements ?? []
            let answered = boards.filter { $0["answered"] == .bool(true) }.count
            if arguments.flag("json") {
                Console.line(result.jsonText)
            } else {
                Console.out(report(result))
            }
            return answered > 0 ? .success : .failure
        }
    }

    /// The probe's table, the polarity the bus reads the bits with, and a count.
    static func report(_ result: JSONValue) -> String {
        let boards = result["boards"]?.elements ?? []
        let from = result["from"].display
        let to = result["to"].display
        var text = "Bus \(result["bus"].display) (\(result["protocol"].display) on \(result["port"].display)), "
        text += "addresses \(from)-\(to):\n"
        var table = TextTable("ADDRESS", "CONFIGURED", "LOCKS 1-16", "SENSORS 1-16", "NOTE")
        for board in boards {
            table.append([
                board["address"].display, board["configured"] == .bool(true) ? "yes" : "no",
                grouped(board["locks"]?.stringValue), grouped(board["sensors"]?.stringValue),
                board["fault"]?.stringValue ?? "",
            ])
        }
        text += table.rendered
        let locks = result["lockReleasedWhenSet"] == .bool(true) ? "released" : "held"
        let sensors = result["sensorOpenWhenSet"] == .bool(true) ? "open" : "closed"
        text += "Bits are raw, channel 1 first. This bus reads a set lock bit as \(locks) and a set sensor bit as "
        text += "\(sensors) (lockReleasedWhenSet, sensorOpenWhenSet in the profile).\n"
        let answered = boards.filter { $0["answered"] == .bool(true) }.count
        let count = (Int(to) ?? 0) - (Int(from) ?? 0) + 1
        text += "\(answered) of \(count) addresses answered.\n"
        return text
    }

    /// `10000000 00000000`: bits in groups of eight, `-` when there are none.
    static func grouped(_ bits: String?) -> String {
        guard let bits, !bits.isEmpty else { return "-" }
        var groups: [Substring] = []
        var rest = Substring(bits)
        while !rest.isEmpty {
            groups.append(rest.prefix(8))
            rest = rest.dropFirst(8)
        }
        return groups.joined(separator: " ")
    }
}

import Events

/// `ptl light|clear|status|test`: pick-to-light slots.
enum PickToLightCommands {
    static var group: Command {
        Command(
            "ptl",
            abstract: "Light, clear and test pick-to-light slots.",
            subcommands: [light, clear, status, test]
        )
    }

    private static let deviceArgument = ArgumentSpec("device", "The pick-to-light device id (e.g. ptl-1).")

    static var light: Command {
        Command(
            "light",
            abstract: "Light one slot.",
            arguments: [deviceArgument, ArgumentSpec("slot", "The slot id (e.g. S1).")],
            options: [
                .option("color", "The light colour (a colour the slot has, e.g. green)."),
                .option("task", value: "id", "The pick task this light stands for."),
                DaemonClient.socketOption, FloorctlCommands.jsonFlag,
            ]
        ) { context in
            let arguments = context.arguments
            let device = arguments.argument("device") ?? ""
            let slot = arguments.argument("slot") ?? ""
            var args: [(String, JSONValue)] = [("device", .string(device)), ("slot", .string(slot))]
            if let color = arguments.option("color") { args.append(("color", .string(color))) }
            if let task = arguments.option("task") { args.append(("task", .string(task))) }
            let result = try await DaemonClient(context).call("ptl.light", .object(args))
            let extras = [arguments.option("color"), arguments.option("task").map { "task \($0)" }].compactMap { $0 }
            let suffix = extras.isEmpty ? "" : " (\(extras.joined(separator: ", ")))"
            Console.line(arguments.flag("json") ? result.jsonText : "Lit slot \(slot) of \(device)\(suffix).")
            return .success
        }
    }

    static var clear: Command {
        Command(
            "clear",
            abstract: "Turn off one slot, or every slot of the device.",
            arguments: [deviceArgument, ArgumentSpec("slot", "The slot id; every slot when omitted.", optional: true)],
            options: [DaemonClient.socketOption, FloorctlCommands.jsonFlag]
        ) { context in
            let device = context.arguments.argument("device") ?? ""
            var args: [(String, JSONValue)] = [("device", .string(device))]
            let slot = context.arguments.argument("slot")
            if let slot { args.append(("slot", .string(slot))) }
            let result = try await DaemonClient(context).call("ptl.clear", .object(args))
            let text = slot.map { "Cleared slot \($0) of \(device)." } ?? "Cleared every slot of \(device)."
            Console.line(context.arguments.flag("json") ? result.jsonText : text)
            return .success
        }
    }

    static var test: Command {
        Command(
            "test",
            abstract: "Light each slot in turn and wait for its button.",
            discussion: "Each slot lights (every lamp of it) until its confirm button is pressed or --timeout-ms "
                + "passes: the press passes the slot, the timeout or another slot's button fails it, and the next "
                + "slot lights. A press during the test is its answer, never a pick confirmation or a fault; task "
                + "lamps show again after. Exits 1 when any slot fails. With --lights-only, only cycles every lamp "
                + "for a look, checking no button.",
            arguments: [deviceArgument],
            options: [
                .flag("lights-only", "Only cycle every lamp; wait for no button."),
                .option(
                    "timeout-ms",
                    value: "ms",
                    default: "10000",
                    kind: .integer(100...600_000),
                    "How long each slot waits for its button."
                ),
                DaemonClient.socketOption, FloorctlCommands.jsonFlag,
            ]
        ) { context in
            let arguments = context.arguments
            let device = arguments.argument("device") ?? ""
            let timeoutMs = arguments.integer("timeout-ms") ?? 10_000
            let lightsOnly = arguments.flag("lights-only")
            var args: [(String, JSONValue)] = [("device", .string(device))]
            args.append(lightsOnly ? ("lightsOnly", true) : ("timeoutMs", .int(Int64(timeoutMs))))
            // Every slot may wait its full timeout; a module has at most a few dozen slots.
            let result = try await DaemonClient(context).call(
                "ptl.test",
                .object(args),
                timeout: .milliseconds(Int64(timeoutMs) * 256 + 120_000)
            )
            let slots = result["slots"]?.elements ?? []
            let failed = slots.filter { $0["pass"] == .bool(false) }.count
            if arguments.flag("json") {
                Console.line(result.jsonText)
            } else if lightsOnly {
                Console.line("Cycled every lamp of \(device).")
            } else {
                var table = TextTable("SLOT", "RESULT", "DETAIL")
                for slot in slots {
                    let detail = slot["detail"]?.stringValue ?? ""
                    table.append([slot["slot"].display, slot["pass"] == .bool(false) ? "FAIL" : "PASS", detail])
                }
                Console.out(table.rendered + "\n\(slots.count - failed) of \(slots.count) slots passed.\n")
            }
            return failed == 0 ? .success : .failure
        }
    }

    static var status: Command {
        Command(
            "status",
            abstract: "Show each slot: lit or dark, task, colour.",
            arguments: [deviceArgument],
            options: [DaemonClient.socketOption, FloorctlCommands.jsonFlag]
        ) { context in
            let device = context.arguments.argument("device") ?? ""
            let result = try await DaemonClient(context).call("ptl.status", ["device": .string(device)])
            if context.arguments.flag("json") {
                Console.line(result.jsonText)
                return .success
            }
            var table = TextTable("SLOT", "LIGHT", "TASK", "COLOR")
            for slot in result["slots"]?.elements ?? [] {
                table.append([
                    slot["slot"].display, slot["lit"] == .bool(true) ? "lit" : "dark", slot["task"].display,
                    slot["color"].display,
                ])
            }
            var text = table.rendered
            if let testing = result["testingSlot"]?.stringValue {
                text += "\nA button test is running: \(testing) is lit, waiting for its button.\n"
            } else if result["testing"] == .bool(true) {
                text += "\nA lamp test is running.\n"
            }
            Console.out(text)
            return .success
        }
    }
}

import Events

/// `ptl light|clear|test`: pick-to-light slots.
enum PickToLightCommands {
    static var group: Command {
        Command("ptl", abstract: "Light, clear and test pick-to-light slots.", subcommands: [light, clear, test])
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
            abstract: "Light every slot in turn so a technician can check lights and buttons.",
            arguments: [deviceArgument],
            options: [DaemonClient.socketOption, FloorctlCommands.jsonFlag]
        ) { context in
            let device = context.arguments.argument("device") ?? ""
            let result = try await DaemonClient(context).call(
                "ptl.test",
                ["device": .string(device)],
                timeout: .seconds(120)
            )
            let slots = result["slots"]?.elements ?? []
            let failed = slots.filter { $0["pass"] == .bool(false) }.count
            if context.arguments.flag("json") {
                Console.line(result.jsonText)
            } else if slots.isEmpty {
                Console.line("Tested \(device).")
            } else {
                var table = TextTable("SLOT", "RESULT", "DETAIL")
                for slot in slots {
                    let detail = slot["detail"]?.stringValue ?? ""
                    table.append([slot["slot"].display, slot["pass"] == .bool(false) ? "FAIL" : "PASS", detail])
                }
                Console.out(table.rendered)
            }
            return failed == 0 ? .success : .failure
        }
    }
}

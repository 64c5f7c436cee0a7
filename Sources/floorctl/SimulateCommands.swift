import Events

/// `simulate scan|tag|press|door`: inject input into a site running simulated hardware.
enum SimulateCommands {
    static var group: Command {
        Command(
            "simulate",
            abstract: "Inject scans, tags, button presses and door changes (simulated sites only).",
            discussion: "Works only when site.json has \"hardware\": \"simulated\"; a site on real hardware "
                + "answers not-simulated.",
            subcommands: [scan, tag, press, door]
        )
    }

    private static let options = [DaemonClient.socketOption, FloorctlCommands.jsonFlag]

    static var scan: Command {
        Command(
            "scan",
            abstract: "Inject a barcode scan.",
            arguments: [
                ArgumentSpec("device", "The barcode scanner's device id."),
                ArgumentSpec("text", "The scanned text, with its AIM prefix if the scanner sends one."),
            ],
            options: options
        ) { context in
            try await inject(context, "simulate.scan", ["device", "text"], done: "Injected a scan on")
        }
    }

    static var tag: Command {
        Command(
            "tag",
            abstract: "Inject an RFID tag read.",
            arguments: [
                ArgumentSpec("device", "The RFID reader's device id."),
                ArgumentSpec("epc", "The tag's EPC in hex (e.g. 3074257BF7194E4000001A85)."),
            ],
            options: options
        ) { context in
            try await inject(context, "simulate.tag", ["device", "epc"], done: "Injected a tag read on")
        }
    }

    static var press: Command {
        Command(
            "press",
            abstract: "Inject a pick-to-light button press.",
            arguments: [
                ArgumentSpec("device", "The pick-to-light device id."), ArgumentSpec("slot", "The slot id."),
            ],
            options: options
        ) { context in
            try await inject(context, "simulate.press", ["device", "slot"], done: "Injected a button press on")
        }
    }

    static var door: Command {
        Command(
            "door",
            abstract: "Inject a door sensor change.",
            arguments: [
                ArgumentSpec("locker", "The locker bank's device id."), ArgumentSpec("door", "The door id."),
                ArgumentSpec("state", "The door's new state.", kind: .choice(["open", "closed"])),
            ],
            options: options
        ) { context in
            try await inject(context, "simulate.door", ["locker", "door", "state"], done: "Injected a door change on")
        }
    }

    /// Sends `op` with the named positionals as string args and confirms.
    private static func inject(
        _ context: CommandContext,
        _ op: String,
        _ names: [String],
        done: String
    ) async throws -> ExitCode {
        let args = names.map { ($0, JSONValue.string(context.arguments.argument($0) ?? "")) }
        let result = try await DaemonClient(context).call(op, .object(args))
        let target = context.arguments.argument(names[0]) ?? ""
        Console.line(context.arguments.flag("json") ? result.jsonText : "\(done) \(target).")
        return .success
    }
}

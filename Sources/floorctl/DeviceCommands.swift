import Events

/// `device reset`: one device's I/O, restarted by a technician.
enum DeviceCommands {
    static var group: Command {
        Command("device", abstract: "Operate on one device by its id.", subcommands: [reset])
    }

    static var reset: Command {
        Command(
            "reset",
            abstract: "Restart one device's I/O now (e.g. a replugged reader).",
            discussion: "Runs over the control socket, so it needs no command signature: the socket only answers "
                + "root, the daemon's user and the floorlink group.",
            arguments: [ArgumentSpec("id", "The device id (e.g. scanner-1).")],
            options: [DaemonClient.socketOption, FloorctlCommands.jsonFlag]
        ) { context in
            let id = context.arguments.argument("id") ?? ""
            let result = try await DaemonClient(context).call("device.reset", ["device": .string(id)])
            Console.line(context.arguments.flag("json") ? result.jsonText : "Restarted \(id).")
            return .success
        }
    }
}

/// The whole `floorctl` command tree.
enum FloorctlCommands {
    /// `floorctl` and everything under it.
    static var root: Command {
        Command(
            "floorctl",
            abstract: "Inspect and operate a Floorlink edge controller.",
            discussion: "Commands talk to floorlinkd over its control socket, except decode, schema, serial and gpio, "
                + "which work on the data or the hardware directly, and fleet, which asks an MQTT broker.",
            subcommands: [
                DaemonCommands.status, DaemonCommands.devices, DaemonCommands.events, DaemonCommands.outbox,
                DeviceCommands.group, LockerCommands.group, PickToLightCommands.group, SimulateCommands.group,
                DoctorCommand.command,
                DecodeCommand.command, SchemaCommand.command, FleetCommand.command, SerialCommands.group,
                GPIOCommands.group,
            ]
        )
    }

    /// `--json` on every command that prints data.
    static let jsonFlag = OptionSpec.flag("json", "Print the result as one line of JSON.")
}

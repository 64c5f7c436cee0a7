import Glibc

// floorctl: the technician's tool for a Floorlink controller.
let status = await CommandRunner(root: FloorctlCommands.root).run(Array(CommandLine.arguments.dropFirst()))
exit(status.rawValue)

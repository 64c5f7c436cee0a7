import Glibc

// The in-VM checks of HALLinux (Tests/VM/run boots this binary under qemu on a kernel with gpio-sim and UARTs).
//
//     vm-tests [gpio] [devices] [serial] [bus]   run those groups (all by default); exit 1 if any check failed
//     vm-tests hold CHIP-LABEL OFFSET      hold a line as "other-process" until stdin closes (for gpio.busy)

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "hold", arguments.count == 3, let offset = Int(arguments[2]) {
    exit(GPIOChecks.hold(label: arguments[1], offset: offset))
}

let groups: [(name: String, checks: () -> [Check])] = [
    ("gpio", { GPIOChecks.all + GPIOLibraryChecks.all }),
    ("devices", { DeviceChecks.all }),
    ("serial", { SerialChecks.all }),
    ("bus", { BusChecks.all }),
]
let unknown = arguments.filter { name in !groups.contains { $0.name == name } }
if !unknown.isEmpty {
    say("vm-tests: unknown group \(unknown.joined(separator: ", ")); groups: gpio, devices, serial, bus")
    exit(64)
}
let started = monotonicNanoseconds()
let selected = groups.filter { arguments.isEmpty || arguments.contains($0.name) }.flatMap { $0.checks() }
let runner = await Runner.run(selected)
let milliseconds = (monotonicNanoseconds() - started) / 1_000_000
say("vm-tests: \(runner.passed) passed, \(runner.failed.count) failed in \(milliseconds) ms")
if !runner.failed.isEmpty {
    say("vm-tests: failed: \(runner.failed.joined(separator: ", "))")
}
exit(runner.failed.isEmpty ? 0 : 1)

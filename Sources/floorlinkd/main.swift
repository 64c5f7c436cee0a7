// floorlinkd: the Floorlink edge controller daemon. Everything lives in the Service module.
import Glibc
import Service

// Before any other thread starts, so that every thread inherits the mask (see SignalSource).
SignalSource.blockInEveryThread(Daemon.signals)
var environment: [String: String] = [:]
var pointer = environ
while let entry = pointer.pointee {
    let text = String(cString: entry)
    if let equals = text.firstIndex(of: "=") {
        environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
    }
    pointer += 1
}
exit(await Daemon.main(arguments: Array(CommandLine.arguments.dropFirst()), environment: environment))

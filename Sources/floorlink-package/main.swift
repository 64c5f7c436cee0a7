// floorlink-package: builds floorlink_<version>_<arch>.deb from the static release build (README: "The Debian
// package"). Exit codes: 0 built, 64 bad usage, 1 the package could not be made.
import Glibc

let usage = """
    USAGE: floorlink-package (--build-dir <dir> | --floorlinkd <path> --floorctl <path>) [--arch <arch>]
                             [--output <dir>] [--strip <program>] [--source <checkout>]

    OPTIONS:
      --build-dir <dir>       Where floorlinkd and floorctl were built (e.g. .build/release).
      --floorlinkd <path>     The daemon, instead of --build-dir.
      --floorctl <path>       The CLI, instead of --build-dir.
      --arch <arch>           The Debian architecture; must be the binaries' own (read from their ELF header).
      --output <dir>          Where to write the .deb. (default: the working directory)
      --strip <program>       A strip for the binaries' architecture. (default: strip)
      --source <checkout>     The checkout with hal/, udev/, systemd/. (default: the one this tool was built from)
      -h, --help              Show help information.
    """

/// The checkout this tool was built from: three levels above this file (Sources/floorlink-package/main.swift).
let builtFrom: String = {
    var components = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    components.removeLast(3)
    return components.joined(separator: "/")
}()

func fail(_ message: String, status: Int32) -> Never {
    let text = status == 64 ? "Error: \(message)\n\(usage)\n" : "floorlink-package: \(message)\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    exit(status)
}

var options: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst()
let names = ["--build-dir", "--floorlinkd", "--floorctl", "--arch", "--output", "--strip", "--source"]
while let argument = arguments.popFirst() {
    if argument == "-h" || argument == "--help" {
        print("OVERVIEW: Builds the Floorlink Debian package with dpkg-deb.\n\n" + usage)
        exit(0)
    }
    let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
    guard let name = parts.first, names.contains(name) else { fail("unexpected argument '\(argument)'", status: 64) }
    guard let value = parts.count == 2 ? parts[1] : arguments.popFirst() else {
        fail("missing value for '\(name)'", status: 64)
    }
    options[name] = value
}

let buildDirectory = options["--build-dir"]
guard let daemon = options["--floorlinkd"] ?? buildDirectory.map({ $0 + "/floorlinkd" }),
    let controlTool = options["--floorctl"] ?? buildDirectory.map({ $0 + "/floorctl" })
else {
    fail("give --build-dir, or both --floorlinkd and --floorctl", status: 64)
}

let package = DebianPackage(
    daemonPath: daemon,
    controlToolPath: controlTool,
    sourceDirectory: options["--source"] ?? builtFrom,
    outputDirectory: options["--output"] ?? ".",
    requestedArchitecture: options["--arch"],
    stripProgram: options["--strip"] ?? "strip"
)
do throws(PackagingError) {
    print(try package.build())
} catch {
    fail(error.description, status: 1)
}

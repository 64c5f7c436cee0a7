import Glibc

// floorlink-bench: prints the project's speed figures. Build with `-c release`:
//   swift run -c release floorlink-bench parsers [ITERATIONS]
let arguments = Array(CommandLine.arguments.dropFirst())
let suite = arguments.first ?? "parsers"
let iterations = arguments.dropFirst().first.flatMap { Int($0) } ?? 200_000

switch suite {
case "parsers":
    print("parsers (\(iterations) iterations each)")
    for figure in ParserBenchmark.run(iterations: iterations) {
        print("  " + figure.line)
    }
default:
    print("usage: floorlink-bench parsers [ITERATIONS]")
    exit(64)
}

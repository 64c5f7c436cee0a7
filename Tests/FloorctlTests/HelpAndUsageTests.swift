import Testing

@Suite("floorctl help, version and usage errors")
struct HelpAndUsageTests {
    static let rootHelp = """
        OVERVIEW: Inspect and operate a Floorlink edge controller.

        Commands talk to floorlinkd over its control socket, except decode, schema,
        serial and gpio, which work on the data or the hardware directly, and fleet,
        which asks an MQTT broker.

        USAGE: floorctl <subcommand>

        OPTIONS:
          --version               Show the version.
          -h, --help              Show help information.

        SUBCOMMANDS:
          status                  Show the controller, its devices, the outbox and the
                                  uplinks.
          devices                 List devices with kind, port or pins, state and
                                  counters.
          events                  Print events, one JSON object per line.
          outbox                  Show the outbox: depth, oldest undelivered age, bytes
                                  used and each uplink's cursor.
          device                  Operate on one device by its id.
          locker                  Open doors, show door states and test a locker bank.
          ptl                     Light, clear and test pick-to-light slots.
          simulate                Inject scans, tags, button presses and door changes
                                  (simulated sites only).
          doctor                  Check config, ports, GPIO, permissions, data dir,
                                  uplinks, clock and the daemon.
          decode                  Explain a scan (AIM symbology, GS1 AIs) or an RFID
                                  tag's EPC.
          schema                  Print the events, status and commands contract as an
                                  AsyncAPI 3.0 document.
          fleet                   List every controller reporting to an MQTT broker,
                                  from their retained status.
          serial                  List serial ports and watch raw bytes from a reader.
          gpio                    List GPIO chips and lines; read, drive and watch a
                                  line.
          help                    Show subcommand help information.

          See 'floorctl help <subcommand>' for detailed help.

        """

    static let lockerOpenHelp = """
        OVERVIEW: Unlock one door.

        USAGE: floorctl locker open <locker> <door> [--socket <path>] [--json]

        ARGUMENTS:
          <locker>                The locker bank's device id (e.g. lockers-A).
          <door>                  The door id (e.g. A1).

        OPTIONS:
          --socket <path>         The daemon's control socket (else $FLOORLINK_SOCKET,
                                  else /run/floorlink/control.sock).
          --json                  Print the result as one line of JSON.
          -h, --help              Show help information.


        """

    static let lockerOpenUsage = """
        Usage: floorctl locker open <locker> <door> [--socket <path>] [--json]
          See 'floorctl locker open --help' for more information.

        """

    static let eventsUsage = """
        Usage: floorctl events [--follow] [--no-wait] [--type <type> ...] [--device <device>] [--last <n>] [--socket <path>] [--json]
          See 'floorctl events --help' for more information.

        """

    @Test(
        "--help, -h, help and a bare floorctl print the same root help",
        arguments: [["--help"], ["-h"], ["help"], []]
    )
    func rootHelp(arguments: [String]) async throws {
        let run = try await FloorctlProcess.run(arguments)
        #expect(run.status == 0, "floorctl \(arguments) exited \(run.status)")
        #expect(run.standardOutput == Self.rootHelp, "floorctl \(arguments)")
        #expect(run.standardError.isEmpty)
    }

    @Test(
        "help CMD SUBCMD, CMD SUBCMD --help and -h anywhere print the same help",
        arguments: [
            ["help", "locker", "open"], ["locker", "open", "--help"], ["locker", "open", "-h"],
            ["locker", "open", "A", "--help"], ["locker", "--help", "open"],
        ]
    )
    func subcommandHelp(arguments: [String]) async throws {
        let run = try await FloorctlProcess.run(arguments)
        if arguments == ["locker", "--help", "open"] {
            // swift-argument-parser stops at the group's --help.
            #expect(run.standardOutput.hasPrefix("OVERVIEW: Open doors, show door states and test a locker bank."))
            return
        }
        #expect(run.status == 0)
        #expect(run.standardOutput == Self.lockerOpenHelp, "floorctl \(arguments)")
    }

    @Test("--version prints the Floorlink version")
    func version() async throws {
        let run = try await FloorctlProcess.run(["--version"])
        #expect(run.status == 0)
        #expect(run.standardOutput == "floorctl 0.1.0\n")
    }

    /// A command line that must be refused with exit 64.
    struct UsageCase: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var stderr: String
        var testDescription: String { "floorctl " + arguments.joined(separator: " ") }
    }

    @Test(
        "usage errors exit 64 with Error:, the usage line and the help pointer on stderr",
        arguments: [
            UsageCase(
                arguments: ["frobnicate"],
                stderr: "Error: Unknown subcommand 'frobnicate'\nUsage: floorctl <subcommand>\n"
                    + "  See 'floorctl --help' for more information.\n"
            ),
            UsageCase(
                arguments: ["locker", "open", "lockers-A"],
                stderr: "Error: Missing expected argument '<door>'\n" + lockerOpenUsage
            ),
            UsageCase(
                arguments: ["locker", "open", "lockers-A", "A1", "--force"],
                stderr: "Error: Unknown option '--force'\n" + lockerOpenUsage
            ),
            UsageCase(
                arguments: ["locker", "open", "lockers-A", "A1", "A2"],
                stderr: "Error: Unexpected argument 'A2'\n" + lockerOpenUsage
            ),
            UsageCase(
                arguments: ["events", "--last", "many"],
                stderr: "Error: The value 'many' is invalid for '--last <n>'\n" + eventsUsage
            ),
            UsageCase(
                arguments: ["events", "-n"],
                stderr: "Error: Missing value for '-n <n>'\n" + eventsUsage
            ),
            UsageCase(
                arguments: ["events", "--folow"],
                stderr: "Error: Unknown option '--folow'. Did you mean '--follow'?\n" + eventsUsage
            ),
            UsageCase(
                arguments: ["events", "--json=yes"],
                stderr: "Error: The option '--json' does not take any value, but 'yes' was specified.\n" + eventsUsage
            ),
        ]
    )
    func usageError(_ usage: UsageCase) async throws {
        let run = try await FloorctlProcess.run(usage.arguments)
        #expect(run.status == 64)
        #expect(run.standardError == usage.stderr)
        #expect(run.standardOutput.isEmpty)
    }

    @Test("fleet with an unreadable password file exits 1 naming the file, before it connects anywhere")
    func fleetPasswordFile() async throws {
        let run = try await FloorctlProcess.run([
            "fleet", "--broker", "mqtt://127.0.0.1:1", "--password-file", "/nonexistent/floorlink/mqtt.password",
        ])
        #expect(run.status == 1)
        #expect(run.standardError.contains("password file: /nonexistent/floorlink/mqtt.password: cannot read"))
    }

    @Test("a bad value for a choice argument lists the choices")
    func choiceError() async throws {
        let run = try await FloorctlProcess.run(["simulate", "door", "lockers-A", "A1", "ajar"])
        #expect(run.status == 64)
        #expect(
            run.standardError.hasPrefix(
                "Error: The value 'ajar' is invalid for '<state>'. Please provide one of 'open' and 'closed'.\n"
                    + "Usage: floorctl simulate door <locker> <door> <state>"
            )
        )
    }
}

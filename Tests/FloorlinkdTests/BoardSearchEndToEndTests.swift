import Events
import Foundation
import Glibc
import Testing

/// The built `floorlinkd` finds board files beside its config and with itself (here: the checkout it was built in),
/// whatever its working directory; an example config is checked but never run.
@Suite("floorlinkd finds board files without the working directory", .timeLimit(.minutes(1)))
struct BoardSearchEndToEndTests {
    /// A site on simulated hardware whose locker door names Raspberry Pi 5 pins, in `directory` (no `boards/`
    /// beside it), plus `extra` members.
    static func site(
        _ scratch: Scratch,
        in directory: String,
        board: String = "raspberry-pi-5",
        extra: [(String, JSONValue)] = []
    ) throws -> String {
        try FileManager.default.createDirectory(atPath: scratch.path(directory), withIntermediateDirectories: true)
        let members: [(String, JSONValue)] =
            extra + [
                ("site", "e2e"), ("controller", "c1"), ("hardware", "simulated"), ("board", .string(board)),
                ("dataDir", .string(scratch.path("data"))),
                (
                    "devices",
                    [
                        [
                            "id": "lockers-A", "kind": "locker-bank",
                            "doors": [["id": "A1", "lock": "GPIO17", "sensor": "GPIO27"]],
                        ]
                    ]
                ),
                ("control", ["socket": .string(scratch.path("control.sock"))]),
            ]
        return try scratch.write(directory + "/site.json", json: .object(members))
    }

    /// Where the daemon is started: `/`, or a directory whose own `hal/boards` and `boards` hold a broken
    /// `raspberry-pi-5.json` and a valid `pi-zero.json`, which must never be read.
    enum WorkingDirectory: String, CaseIterable, Sendable {
        case root = "/"
        case decoy = "a directory with hal/boards of its own"

        /// The directory, made in `scratch` for `decoy`.
        func path(in scratch: Scratch) throws -> String {
            guard self == .decoy else { return "/" }
            for boards in ["decoy/hal/boards", "decoy/boards"] {
                try FileManager.default.createDirectory(atPath: scratch.path(boards), withIntermediateDirectories: true)
                try scratch.write(boards + "/raspberry-pi-5.json", "not a board file")
                try FileManager.default.copyItem(
                    atPath: Package.root + "/hal/boards/raspberry-pi-5.json",
                    toPath: scratch.path(boards + "/pi-zero.json")
                )
            }
            return scratch.path("decoy")
        }
    }

    static let workingDirectories = WorkingDirectory.allCases

    @Test("--check-config on the checkout's demo, started elsewhere", arguments: workingDirectories)
    func demoFromElsewhere(workingDirectory: WorkingDirectory) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let demo = Package.root + "/hal/sites/demo.json"
        let run = try await Floorlinkd.run(
            ["--config", demo, "--check-config"],
            scratch: scratch,
            workingDirectory: try workingDirectory.path(in: scratch)
        )
        #expect(run.status == 0, "stderr:\n\(run.error)")
        #expect(run.output == "\(demo): OK (site demo, controller demo-1, 6 devices, 1 bus)\n")
    }

    @Test(
        "a config with no boards/ beside it finds the board through the executable's checkout",
        arguments: workingDirectories
    )
    func boardWithTheExecutable(workingDirectory: WorkingDirectory) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let config = try Self.site(scratch, in: "site")
        let run = try await Floorlinkd.run(
            ["--config", config, "--check-config"],
            scratch: scratch,
            workingDirectory: try workingDirectory.path(in: scratch)
        )
        #expect(run.status == 0, "stderr:\n\(run.error)")
        #expect(run.output.hasPrefix("\(config): OK ("), "stdout:\n\(run.output)")
    }

    /// The message for an unknown board in `<scratch>/site/site.json` (built apart from the `@Test`: Swift 6.0.3
    /// type-checks long concatenations inside it too slowly).
    static func unknownBoardMessage(_ scratch: Scratch) -> String {
        let places = [
            scratch.path("site/boards"), scratch.path("site/hal/boards"), Package.root + "/hal/boards",
            "/usr/share/floorlink/hal/boards",
        ]
        return "floorlinkd: site.json: board: unknown board \"pi-zero\": pi-zero.json: no board file found in "
            + places.joined(separator: ", ") + "\n"
    }

    @Test(
        "an unknown board: exit 78, and the error lists every place searched, none of them the working directory",
        arguments: workingDirectories
    )
    func unknownBoard(workingDirectory: WorkingDirectory) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let config = try Self.site(scratch, in: "site", board: "pi-zero")
        let run = try await Floorlinkd.run(
            ["--config", config, "--check-config"],
            scratch: scratch,
            workingDirectory: try workingDirectory.path(in: scratch)
        )
        #expect(run.status == 78)
        #expect(run.error == Self.unknownBoardMessage(scratch))
    }

    @Test("an example config passes --check-config with a warning, and floorlinkd refuses to run it")
    func exampleConfig() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let config = try Self.site(
            scratch,
            in: "site",
            extra: [("example", "Shipped as an example: describe this site, then delete this member.")]
        )
        let check = try await Floorlinkd.run(["--config", config, "--check-config"], scratch: scratch)
        #expect(check.status == 0, "stderr:\n\(check.error)")
        #expect(check.output.hasPrefix("\(config): OK ("))
        #expect(
            check.error == "floorlinkd: warning: \(config) is an example config (\"example\" is set): valid, but "
                + "floorlinkd will not run it until that member is deleted\n"
        )

        let run = try await Floorlinkd.run(["--config", config], scratch: scratch)
        #expect(run.status == 78)
        #expect(
            run.error == "floorlinkd: site.json: example: this is an example config, which floorlinkd does not run: "
                + "describe this site's devices and uplinks, delete the \"example\" member, check with floorlinkd "
                + "--check-config, then start floorlinkd\n"
        )
        #expect(!scratch.exists("data"), "the data directory was created")
        #expect(!scratch.exists("control.sock"), "the control socket was created")
    }
}

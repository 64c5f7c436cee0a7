import Foundation
import TestSupport
import Testing

/// `floorctl gpio --board NAME|PATH` and `doctor` find board files the way the daemon does, never in the working
/// directory.
@Suite("floorctl finds board files without the working directory")
struct BoardSearchTests {
    /// The checkout this `floorctl` was built in: its `hal/` is the executable's own data.
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// A directory of its own with a board file whose chip label no machine has, so that reading the board
    /// succeeds and opening its chip fails with a message naming that label.
    struct Scratch {
        let directory: String
        static let label = "floorlink-test-absent-chip"

        init() throws {
            var template = Array("/tmp/flctl-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
            directory = String(cString: made)
            try FileManager.default.createDirectory(atPath: directory + "/boards", withIntermediateDirectories: true)
            let board =
                #"{"board":"test-board","chips":{"header":{"label":"\#(Self.label)"}},"#
                + #""pins":{"GPIO17":{"chip":"header","line":17}}}"#
            try TestFile.write(board, to: directory + "/boards/test-board.json")
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    static let chipNotFound =
        "Error: label \(Scratch.label): not found (no such GPIO chip; `floorctl gpio list` shows the chips)\n"

    /// A `--board` given as a path, typed in the scratch directory or in `/`.
    struct BoardPath: Sendable, CustomTestStringConvertible {
        var name: String
        var board: @Sendable (String) -> String
        var inScratch: Bool
        var testDescription: String { name }
    }

    static let boardPaths: [BoardPath] = [
        BoardPath(name: "absolute, from /", board: { $0 + "/boards/test-board.json" }, inScratch: false),
        BoardPath(name: "relative to the working directory", board: { _ in "boards/test-board.json" }, inScratch: true),
        BoardPath(name: "./ in the working directory", board: { _ in "./boards/test-board.json" }, inScratch: true),
    ]

    @Test("--board PATH reads that file, .json and all", arguments: boardPaths)
    func boardPath(_ path: BoardPath) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let run = try await FloorctlProcess.run(
            ["gpio", "get", "GPIO17", "--board", path.board(scratch.directory)],
            workingDirectory: path.inScratch ? scratch.directory : "/"
        )
        #expect(run.status == 1)
        #expect(run.standardError == Self.chipNotFound)
    }

    @Test("--board NAME from / finds the checkout's board file (the executable's own hal/)")
    func boardNameFromRoot() async throws {
        let run = try await FloorctlProcess.run(
            ["gpio", "get", "GPIO17", "--board", "raspberry-pi-5"],
            workingDirectory: "/"
        )
        // The pin resolved to the board's chip: on a Raspberry Pi 5 the line is read, elsewhere the chip is absent.
        #expect(
            run.status == 0 || run.standardError.contains("label pinctrl-rp1: not found"),
            "\(run.standardError)"
        )
    }

    @Test("an unknown pin lists all the board's pins in natural order (GPIO2 before GPIO10), none cut off")
    func unknownPinListsAllPins() async throws {
        let run = try await FloorctlProcess.run(["gpio", "get", "GPIO99", "--board", "raspberry-pi-5"])
        #expect(run.status == 1)
        let gpios = (2...27).map { "GPIO\($0)" }.joined(separator: ", ")
        #expect(
            run.standardError.hasPrefix(
                "Error: unknown pin \"GPIO99\" on board raspberry-pi-5 (its pins: \(gpios), PIN3, PIN5, PIN7,"
            ),
            "\(run.standardError)"
        )
        #expect(run.standardError.contains("PIN38, PIN40); "), "\(run.standardError)")
    }

    /// The error for an unknown board (built apart from the `@Test`: Swift 6.0.3 type-checks long concatenations
    /// inside it too slowly).
    static let unknownBoard =
        "Error: pi-zero.json: no board file found in /etc/floorlink/boards, /etc/floorlink/hal/boards, "
        + "\(checkout)/hal/boards, /usr/share/floorlink/hal/boards\n"

    @Test("--board with an unknown name lists every place searched, never the working directory")
    func unknownBoardName() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try FileManager.default.copyItem(
            atPath: scratch.directory + "/boards/test-board.json",
            toPath: scratch.directory + "/boards/pi-zero.json"
        )
        let run = try await FloorctlProcess.run(
            ["gpio", "get", "GPIO17", "--board", "pi-zero"],
            workingDirectory: scratch.directory
        )
        #expect(run.status == 1)
        #expect(run.standardError == Self.unknownBoard)
    }

    @Test("doctor from / loads a config beside no boards/ and names the board file it used")
    func doctorFromRoot() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let config = scratch.directory + "/site/site.json"
        try FileManager.default.createDirectory(atPath: scratch.directory + "/site", withIntermediateDirectories: true)
        let text =
            #"{"site":"x","controller":"y","hardware":"simulated","board":"raspberry-pi-5","#
            + #""dataDir":"\#(scratch.directory)/data","#
            + #""devices":[{"id":"l","kind":"locker-bank","doors":[{"id":"A1","lock":"GPIO17","sensor":"GPIO27"}]}]}"#
        try TestFile.write(text, to: config)
        let run = try await FloorctlProcess.run(
            ["doctor", "--config", config, "--socket", "/tmp/floorctl-test-nobody-listens.sock"],
            workingDirectory: "/"
        )
        let line = run.standardOutput.split(separator: "\n").first { $0.hasPrefix("PASS  config") }
        #expect(
            line?.hasSuffix(
                "\(config) is valid (x/y, 1 devices; board file \(Self.checkout)/hal/boards/raspberry-pi-5.json)"
            ) == true,
            "\(run.standardOutput)"
        )
    }

    @Test("doctor fails an example config and says how to make it this site's")
    func doctorExample() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let config = scratch.directory + "/site.json"
        let text =
            #"{"example":"describe this site","site":"x","controller":"y","hardware":"simulated","#
            + #""dataDir":"\#(scratch.directory)/data","devices":[]}"#
        try TestFile.write(text, to: config)
        let run = try await FloorctlProcess.run([
            "doctor", "--config", config, "--socket", "/tmp/floorctl-test-nobody-listens.sock",
        ])
        #expect(run.status == 1)
        let lines = run.standardOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let failure = try #require(lines.firstIndex { $0.hasPrefix("FAIL  config") }, "\(run.standardOutput)")
        #expect(
            lines[failure].hasSuffix(
                "\(config) is valid (x/y, 0 devices) but is an example (\"example\" is set): floorlinkd will not run it"
            ),
            "\(run.standardOutput)"
        )
        #expect(
            lines[failure + 1] == "fix: describe this site's devices and uplinks in \(config), delete the \"example\" "
                + "member, then sudo systemctl restart floorlinkd"
        )
    }
}

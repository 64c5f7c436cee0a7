import Logging
import TestSupport
import Testing

/// Log lines are logfmt a parser can read back exactly: a `data="{"symbology":…}"` value with unescaped quotes made
/// 728 of 777 lines of a demo run fail a strict parse.
@Suite("Log lines")
struct LogLineTests {
    static let awkwardValues: [String] = [
        "plain", "", "two words", #"{"symbology":"ean-13","text":"4006381333931"}"#, "a=b", #"back\slash"#,
        "line\nbreak", "tab\there", "nul\u{0}byte", "bell\u{7}", "del\u{7F}", "ünïcödé ✓", #"\""#, "trailing ",
    ]

    @Test("every value reads back exactly from the line", arguments: awkwardValues)
    func valuesRoundTrip(value: String) throws {
        let logs = MemoryLogHandler()
        Logger(label: "scanner-1", handler: logs).warning(value, ["data": value, "port": "/dev/ttyUSB0"])
        let line = try #require(logs.entries.first?.line)
        #expect(!line.contains("\n"))
        let pairs = try #require(Logfmt.parse(line), "not logfmt: \(line)")
        #expect(pairs.map(\.key) == ["level", "label", "msg", "data", "port"])
        #expect(pairs.map(\.value) == ["warning", "scanner-1", value, value, "/dev/ttyUSB0"])
    }

    @Test("a line is level, label, message, then the metadata with keys sorted; below the level nothing is built")
    func lineShape() {
        let logs = MemoryLogHandler()
        let logger = Logger(label: "scanner-1", level: .info, handler: logs)
        var built = false
        logger.debug(
            { () -> String in
                built = true
                return "hidden"
            }()
        )
        logger.warning("reader unplugged", ["port": "/dev/ttyUSB0", "attempt": "3", "why": "hung up", "bad key": "x"])
        #expect(!built)
        #expect(
            logs.entries.map(\.line) == [
                #"level=warning label=scanner-1 msg="reader unplugged" attempt=3 bad_key=x port=/dev/ttyUSB0 why="hung up""#
            ]
        )
    }

    @Test(
        "under journald each line starts with its sd-daemon priority",
        arguments: [(Logger.Level.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3)]
    )
    func journalPriorities(level: Logger.Level, priority: Int) {
        #expect(level.syslogPriority == priority)
        #expect(Logger.Level(name: level.description) == level)
    }
}

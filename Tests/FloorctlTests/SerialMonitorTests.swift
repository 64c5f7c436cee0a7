import Foundation
import Glibc
import TestSupport
import Testing

/// `floorctl serial monitor` on a kernel pseudo-terminal: what a technician sees from a reader.
@Suite("floorctl serial monitor", .timeLimit(.minutes(1)))
struct SerialMonitorTests {
    /// The text after the timestamp of each line printed so far, and whether every line had a timestamp.
    static func lines(_ output: String) -> (texts: [String], stamped: Bool) {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let stamped = lines.allSatisfy { $0.wholeMatch(of: /\d\d:\d\d:\d\d\.\d\d\d  .*/) != nil }
        return (lines.map { String($0.dropFirst(14)) }, stamped)
    }

    /// Polls `condition` every 20 ms until it returns a value or `timeout` passes.
    static func eventually<T>(within timeout: Duration, _ condition: () -> T?) async -> T? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let value = condition() { return value }
            guard ContinuousClock.now < deadline, await Poll.pause(.milliseconds(20)) else { return nil }
        }
    }

    @Test("7E2 is set on the port; each frame is a timestamped line with its control bytes shown, none raw")
    func framesAndSettings() async throws {
        let terminal = try HeldPseudoTerminal()
        defer { terminal.close() }
        let directory = NSTemporaryDirectory() + "floorctl-monitor-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = directory + "/stdout"
        let errors = directory + "/stderr"
        let monitor = try ChildProcess(
            try FloorctlProcess.executablePath,
            [
                "serial", "monitor", terminal.portPath, "--data-bits", "7", "--parity=even", "--stop-bits", "2",
                "--gap-ms", "50",
            ],
            outputPath: output,
            errorPath: errors,
            truncating: true
        )
        defer { monitor.stop(signal: SIGKILL) }
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        let opened = await Self.eventually(within: .seconds(30)) { read(errors).contains("at 9600 7E2") ? true : nil }
        #expect(opened == true, "stderr: \(read(errors))")

        // The port's termios (a pseudo-terminal's two ends share one) has the two stop bits. Linux's pty driver
        // forces CS8 without parity on every tcsetattr (pty_set_termios), so 7 data bits and even parity show only
        // in the settings floorctl reports having opened the port with (a real UART keeps them).
        let descriptor = open(terminal.portPath, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        try #require(descriptor >= 0)
        var settings = termios()
        tcgetattr(descriptor, &settings)
        close(descriptor)
        #expect(settings.c_cflag & tcflag_t(CSTOPB) != 0)

        // A CR-only scanner, a CRLF one and a noisy line without a terminator (printed after the quiet gap).
        try terminal.send(Array("HELLO\rWORLD\r\n".utf8) + [0x4D, 0x2D, 0x3B, 0x02, 0x22, 0x00, 0x11])
        let first = await Self.eventually(within: .seconds(30)) {
            Self.lines(read(output)).texts.count >= 3 ? true : nil
        }
        #expect(first == true, "stdout: \(read(output))")
        // A GS1 scan with its group separator, and an LF-terminated line with a tab and a backslash.
        try terminal.send(Array("]C1010950600013435210ABC".utf8) + [0x1D] + Array("17261231\rA\tB\\\n".utf8))
        let all = await Self.eventually(within: .seconds(30)) { Self.lines(read(output)).texts.count >= 5 ? true : nil }
        #expect(all == true, "stdout: \(read(output))")

        let (texts, stamped) = Self.lines(read(output))
        #expect(
            texts == [
                #"HELLO\r"#, #"WORLD\r\n"#, #"M-;\x02"\x00\x11"#, #"]C1010950600013435210ABC<GS>17261231\r"#,
                #"A\tB\\\n"#,
            ]
        )
        #expect(stamped, "every line starts with HH:MM:SS.mmm: \(read(output))")
        #expect(!read(output).utf8.contains { $0 < 0x20 && $0 != 0x0A }, "no raw control byte reaches the terminal")
    }

    @Test("--hex dumps each read after its time and size")
    func hexDump() async throws {
        let terminal = try HeldPseudoTerminal()
        defer { terminal.close() }
        let directory = NSTemporaryDirectory() + "floorctl-monitor-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = directory + "/stdout"
        let errors = directory + "/stderr"
        let monitor = try ChildProcess(
            try FloorctlProcess.executablePath,
            ["serial", "monitor", terminal.portPath, "--hex"],
            outputPath: output,
            errorPath: errors,
            truncating: true
        )
        defer { monitor.stop(signal: SIGKILL) }
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        let opened = await Self.eventually(within: .seconds(30)) { read(errors).contains("at 9600 8N1") ? true : nil }
        #expect(opened == true, "stderr: \(read(errors))")
        try terminal.send([0x41, 0x42, 0x0D])
        // Each read: a header line with its time and size, then its dump (the bytes may come in one read or more).
        let headers = /(\d\d:\d\d:\d\d\.\d\d\d)  (\d+) bytes?/
        let dumped = await Self.eventually(within: .seconds(30)) { () -> [Substring]? in
            let lines = read(output).split(separator: "\n")
            let total = lines.compactMap { $0.wholeMatch(of: headers).flatMap { Int($0.output.2) } }.reduce(0, +)
            return total == 3 ? lines : nil
        }
        let lines = try #require(dumped, "stdout: \(read(output))")
        #expect(lines.first?.wholeMatch(of: headers) != nil, "\(lines)")
        let dumps = lines.filter { $0.wholeMatch(of: headers) == nil }
        #expect(dumps.allSatisfy { $0.hasPrefix("0000000") }, "\(dumps)")
        let cells = dumps.flatMap { $0.dropFirst(10).prefix(47).split(separator: " ") }
        #expect(cells == ["41", "42", "0d"], "\(lines)")
    }
}

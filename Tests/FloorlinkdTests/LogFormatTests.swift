import Events
import Glibc
import Logging
import Service
import TestSupport
import Testing

/// Every line a demo run writes is logfmt, and under journald each starts with its priority so
/// `journalctl -p warning` can tell a warning from a debug line.
@Suite("floorlinkd log lines", .timeLimit(.minutes(1)))
struct LogFormatTests {
    @Test("a demo run at debug level writes only lines a strict logfmt parser reads", arguments: [false, true])
    func demoRunIsLogfmt(underJournal: Bool) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let socket = scratch.path("control.sock")
        let config = try scratch.write("site.json", json: try Sites.demo(scratch, mqtt: nil))
        // The daemon's stderr file, made first so JOURNAL_STREAM can name its device and inode as systemd does.
        let stderrPath = try scratch.write("floorlinkd.stderr", "")
        var status = stat()
        #expect(stat(stderrPath, &status) == 0)
        let journal = "\(status.st_dev):\(status.st_ino)"
        let daemon = try Floorlinkd(
            config: config,
            socket: socket,
            scratch: scratch,
            arguments: ["--log-level", "debug"],
            environment: ["JOURNAL_STREAM": underJournal ? journal : "1:1"]
        )
        defer { daemon.stop() }
        try await daemon.waitUntilServing()
        // Enough simulated traffic for scans, tag reads, locker and pick-to-light events in the log.
        let busy = await eventually(within: .seconds(30)) { () -> Bool? in
            guard let reply = try? await Control.request(socket, op: "status"),
                let seq = reply["result"]?["outbox"]?["lastSeq"]?.intValue, seq >= 20
            else { return nil }
            return true
        }
        #expect(busy == true)
        daemon.child.send(SIGTERM)
        #expect(await daemon.child.waitForExit(timeout: .seconds(30)) == 0)

        let lines = daemon.standardError.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count >= 20)
        var levels: Set<String> = []
        for line in lines {
            var text = Substring(line)
            var priority: Int?
            if underJournal {
                guard text.hasPrefix("<"), let close = text.firstIndex(of: ">"),
                    let number = Int(text[text.index(after: text.startIndex)..<close])
                else {
                    Issue.record("no <N> priority: \(line)")
                    continue
                }
                priority = number
                text = text[text.index(after: close)...]
            }
            guard let pairs = Logfmt.parse(String(text)) else {
                Issue.record("not logfmt: \(line)")
                continue
            }
            let level = pairs.first { $0.key == "level" }?.value ?? ""
            levels.insert(level)
            #expect(pairs.prefix(3).map(\.key) == ["level", "label", "msg"], "\(line)")
            if let priority { #expect(Logger.Level(name: level)?.syslogPriority == priority, "\(line)") }
        }
        #expect(levels.isSuperset(of: ["debug", "info"]), "\(levels)")
    }
}

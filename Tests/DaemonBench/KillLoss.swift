import Devices
import Events
import Glibc
import TestSupport

/// `daemon-bench --kill`: how many reads a kill -9 loses while a burst waits at the port. Each run starts
/// floorlinkd on a fresh kernel pty and data directory, writes `reads` numbered reads at once, kills it after a
/// random 0–30 ms, then counts what its outbox holds and what is still unread in the tty (never taken, not lost).
func measureKillLoss(runs: Int, reads: Int) async throws {
    let floorlinkd = try BuiltProduct.path("floorlinkd")
    var random = SplitMix64(seed: UInt64(ProcessStats.monotonicNanoseconds))
    var losses: [Int] = []
    print("daemon-bench --kill: floorlinkd \(floorlinkd), \(runs) runs of \(reads) buffered reads")
    for run in 1...runs {
        var template = Array("/tmp/daemon-bench-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw BenchError("mkdtemp failed") }
        let directory = String(cString: made)
        defer { Files.removeTree(directory) }
        let pty = try HeldPseudoTerminal()
        defer { pty.close() }
        let site: JSONValue = [
            "site": "bench", "controller": "c1", "hardware": "linux", "dataDir": .string("\(directory)/data"),
            "devices": [
                [
                    "id": "scanner-1", "kind": "barcode-scanner", "port": .string(pty.portPath), "baud": 115_200,
                    "terminator": "\r\n", "aimPrefix": true,
                ]
            ],
            "control": ["socket": .string("\(directory)/control.sock")],
        ]
        try Files.write("\(directory)/site.json", site.jsonText)
        let log = "\(directory)/floorlinkd.stderr"
        let daemon = try Child(floorlinkd, ["--config", "\(directory)/site.json"], standardError: log)
        var killed = false
        defer { if !killed { daemon.stop(signal: SIGKILL) } }
        guard await waitUntil(seconds: 20, { (Files.read(log) ?? "").contains("device.connected") }) else {
            throw BenchError("scanner-1 never connected: \(Files.read(log) ?? "")")
        }
        let delay = Int(random.next() % 30_000)
        try pty.send((0..<reads).flatMap(NumberedScans.bytes))
        usleep(useconds_t(delay))
        let (status, _) = daemon.stop(signal: SIGKILL)
        killed = true
        let unread = await pty.drainUnread()
        let stored = try await NumberedScans.storedTexts(dataDirectory: "\(directory)/data")
        let lost = NumberedScans.lost(count: reads, storedTexts: stored, unread: unread)
        losses.append(lost.count)
        let untaken = unread.count / NumberedScans.frameLength
        print(
            "  run \(run): killed after \(format(Double(delay) / 1000)) ms (status \(status)): \(stored.count) stored,"
                + " ~\(untaken) still in the tty, \(lost.count) lost"
        )
    }
    figure("largest number lost in one kill", "\(losses.max() ?? 0) of \(reads) (\(runs) runs)")
    figure("lost in all runs", "\(losses.reduce(0, +))")
    figure(
        "most a kill can lose (one port read)",
        "\(BarcodeScanner.readBytes / NumberedScans.frameLength + 2) reads of \(NumberedScans.frameLength) bytes"
    )
}

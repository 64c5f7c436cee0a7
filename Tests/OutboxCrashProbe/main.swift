import Events
import Glibc
import Outbox

// Appends events in a loop from four producers and writes each acknowledged seq as one line to stdout (one
// write(2) per line, so nothing sits in a buffer) after `append` returns; the crash test kills it with SIGKILL.
// Usage: OutboxCrashProbe <dataDir> <always|group>
let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    printError("usage: OutboxCrashProbe <dataDir> <always|group>\n")
    exit(64)
}
let policy: FsyncPolicy = arguments[2] == "always" ? .always : .groupCommit(maxDelay: .milliseconds(2))

/// Writes `seq` and a newline with a single write(2).
func acknowledge(_ seq: UInt64) {
    let line = Array("\(seq)\n".utf8)
    _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
}

do {
    let outbox = try await Outbox.open(
        directory: arguments[1],
        site: "crash",
        controller: "probe",
        uplinks: ["mqtt"],
        policy: policy,
        segmentBytes: 16 << 10,
        quotaBytes: 64 << 20
    )
    try await withThrowingTaskGroup(of: Void.self) { group in
        for producer in 0..<4 {
            group.addTask {
                var count: Int64 = 0
                while true {
                    let event = try await outbox.append(
                        .scan,
                        device: "scanner-\(producer)",
                        data: ["count": .int(count), "text": "0109506000134352172612311 0ABC123"]
                    )
                    acknowledge(event.seq)
                    count += 1
                }
            }
        }
        try await group.waitForAll()
    }
} catch {
    printError("OutboxCrashProbe: \(error)\n")
    exit(1)
}

/// Writes `message` to standard error with one write(2).
func printError(_ message: String) {
    let bytes = Array(message.utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

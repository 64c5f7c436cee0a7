import Events
import Glibc
import Outbox

// Appends per second and MiB/s of the outbox for each fsync policy, on a temporary directory (or the directory
// given as the first argument). Build with `-c release`: `swift run -c release outbox-bench [dir]`.

/// One benchmark run: how many appends of how many bytes in how long.
struct BenchmarkResult {
    var name: String
    var producers: Int
    var appends: Int
    var bytes: Int
    var seconds: Double

    var line: String {
        let rate = Double(appends) / seconds
        let mebibytes = Double(bytes) / seconds / 1_048_576
        let latency = seconds / Double(appends) * 1000 * Double(producers)
        return name + String(repeating: " ", count: max(1, 36 - name.count))
            + "\(format(rate, 0)) appends/s  \(format(mebibytes, 2)) MiB/s  (\(appends) appends, "
            + "\(format(latency, 3)) ms mean per append per producer)"
    }

    private func format(_ value: Double, _ decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        return decimals == 0 ? String(Int(rounded)) : String(rounded)
    }
}

let base: String
if CommandLine.arguments.count > 1 {
    base = CommandLine.arguments[1]
} else {
    var template = Array("/tmp/outbox-bench-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else {
        printError("outbox-bench: mkdtemp failed: errno \(errno)\n")
        exit(1)
    }
    base = String(cString: made)
}

let data: JSONValue = [
    "symbology": "gs1-128", "aim": "]C1", "text": "0109506000134352172612311 0ABC123",
    "gs1": ["01": "09506000134352", "17": "261231", "10": "ABC123"],
]

func run(_ name: String, policy: FsyncPolicy, producers: Int, duration: Duration) async throws -> BenchmarkResult {
    let directory = base + "/" + name.filter { $0.isLetter || $0.isNumber }
    let outbox = try await Outbox.open(
        directory: directory,
        site: "bench",
        controller: "bench-01",
        uplinks: ["mqtt"],
        policy: policy,
        quotaBytes: 4 << 30
    )
    let clock = ContinuousClock()
    let start = clock.now
    let deadline = start + duration
    let appends = try await withThrowingTaskGroup(of: Int.self) { group in
        for producer in 0..<producers {
            group.addTask {
                var appends = 0
                while clock.now < deadline {
                    _ = try await outbox.append(.scan, device: "scanner-\(producer)", data: data)
                    appends += 1
                }
                return appends
            }
        }
        return try await group.reduce(0, +)
    }
    let elapsed = clock.now - start
    let bytes = await outbox.status.usedBytes
    await outbox.close()
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return BenchmarkResult(name: name, producers: producers, appends: appends, bytes: bytes, seconds: seconds)
}

print("outbox-bench in \(base)")
let runs: [(String, FsyncPolicy, Int)] = [
    (".always, 1 producer", .always, 1),
    (".always, 32 producers", .always, 32),
    (".groupCommit(5 ms), 1 producer", .groupCommit(maxDelay: .milliseconds(5)), 1),
    (".groupCommit(5 ms), 32 producers", .groupCommit(maxDelay: .milliseconds(5)), 32),
    (".groupCommit(1 ms), 32 producers", .groupCommit(maxDelay: .milliseconds(1)), 32),
]
do {
    for (name, policy, producers) in runs {
        let result = try await run(name, policy: policy, producers: producers, duration: .seconds(3))
        print(result.line)
    }
} catch {
    printError("outbox-bench: \(error)\n")
    exit(1)
}
if CommandLine.arguments.count == 1 {
    removeTree(base)
}

/// Removes `path` and everything below it (the benchmark's own temporary files).
func removeTree(_ path: String) {
    if let directory = opendir(path) {
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { removeTree(path + "/" + name) }
        }
        closedir(directory)
        rmdir(path)
    } else {
        unlink(path)
    }
}

/// Writes `message` to standard error with one write(2).
func printError(_ message: String) {
    let bytes = Array(message.utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

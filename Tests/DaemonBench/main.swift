import Events
import Glibc
import Locking
import TestSupport
import Uplink

// daemon-bench: the built floorlinkd as a process, with mosquitto, a scanner on a socat pseudo-terminal and a
// subscriber: startup time to READY=1, RSS and CPU at idle and under a steady scan rate, scan-to-subscriber
// latency, shutdown time. Prints figures; asserts nothing.
// Usage: swift build -c release --product floorlinkd && swift run -c release daemon-bench [RATE] [SECONDS]
//        (defaults: 100 scans/s for 10 s; floorlinkd is taken from the directory daemon-bench runs from)
//        daemon-bench --kill [RUNS] [READS]: RUNS times (20), READS reads (500) written to a kernel pty at once and
//        floorlinkd killed with SIGKILL at a random point; prints the reads lost (taken from the port, never stored).

/// What the subscriber has seen: arrival times of numbered scans, and whether the scanner is connected.
final class Arrivals: Sendable {
    private let state = Locked<(received: [Int: Int64], scannerConnected: Bool)>(([:], false))

    func record(topic: String, payload: [UInt8]) {
        let now = ProcessStats.monotonicNanoseconds
        if topic.hasSuffix("/events/device.connected") {
            state.withLock { $0.scannerConnected = true }
            return
        }
        guard topic.hasSuffix("/events/scan"), let event = try? JSONValue(parsing: payload),
            let batch = event["data"]?["gs1"]?["10"]?.stringValue, batch.hasPrefix("B"),
            let number = Int(batch.dropFirst())
        else { return }
        state.withLock { $0.received[number] = now }
    }

    var scannerConnected: Bool { state.withLock { $0.scannerConnected } }
    func arrival(_ number: Int) -> Int64? { state.withLock { $0.received[number] } }
    func count(in range: Range<Int>) -> Int { state.withLock { state in range.count { state.received[$0] != nil } } }
}

/// The scanner's bytes for scan `number`: a GS1-128 read whose batch (AI 10) is `B<number>`.
func scanBytes(_ number: Int) -> [UInt8] {
    Array("]C1010950600013435217261231\u{1D}10B\(number)\r\n".utf8)
}

func waitUntil(seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return condition()
}

/// Latency percentiles (µs) of scans `range` sent at `sent`.
func latencies(_ range: Range<Int>, sent: [Int: Int64], arrivals: Arrivals) -> [Double] {
    range.compactMap { number in
        guard let start = sent[number], let end = arrivals.arrival(number) else { return nil }
        return Double(end - start) / 1000
    }.sorted()
}

func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}

func format(_ value: Double, _ digits: Int = 1) -> String {
    guard value.isFinite else { return "n/a" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return digits == 0 ? String(Int(rounded)) : String(rounded)
}

/// The floorlinkd built beside this benchmark.
func builtFloorlinkd() throws -> String {
    guard let executable = resolvedLink("/proc/self/exe") else { throw BenchError("cannot find /proc/self/exe") }
    let binDirectory = String(executable[..<(executable.lastIndex(of: "/") ?? executable.endIndex)])
    let floorlinkd = "\(binDirectory)/floorlinkd"
    guard access(floorlinkd, X_OK) == 0 else {
        throw BenchError("no \(floorlinkd): build it first (swift build -c release --product floorlinkd)")
    }
    return floorlinkd
}

func run(rate: Int, seconds: Int) async throws {
    let floorlinkd = try builtFloorlinkd()
    var template = Array("/tmp/daemon-bench-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw BenchError("mkdtemp failed") }
    let directory = String(cString: made)
    defer { Files.removeTree(directory) }

    let broker = try await Mosquitto(directory: directory)
    defer { broker.remove() }
    let pty = try await PseudoTerminalPair(directory: directory)
    defer { pty.stop() }

    let arrivals = Arrivals()
    let url = MQTTBrokerURL(host: "127.0.0.1", port: broker.port, usesTLS: false)
    var subscription = MQTTClientConfiguration(broker: url, clientID: "daemon-bench-subscriber")
    subscription.subscriptions = [MQTTSubscription(topicFilter: "floorlink/bench/c1/events/#", qos: .atLeastOnce)]
    let subscriber = MQTTClient(configuration: subscription) { topic, payload in
        arrivals.record(topic: topic, payload: payload)
    }
    let subscriberTask = Task { await subscriber.run() }
    defer { subscriberTask.cancel() }
    var subscriberUp = false
    for _ in 0..<500 where !subscriberUp {
        subscriberUp = await subscriber.state == .connected
        try await Task.sleep(for: .milliseconds(10))
    }
    guard subscriberUp else { throw BenchError("the subscriber did not connect to mosquitto") }
    try await Task.sleep(for: .milliseconds(200))  // SUBACK

    let site: JSONValue = [
        "site": "bench", "controller": "c1", "hardware": "linux", "dataDir": .string("\(directory)/data"),
        "devices": [
            [
                "id": "scanner-1", "kind": "barcode-scanner", "port": .string(pty.portPath), "baud": 115_200,
                "terminator": "\r\n", "aimPrefix": true,
            ]
        ],
        "uplinks": ["mqtt": ["url": .string("mqtt://127.0.0.1:\(broker.port)"), "clientId": "bench-c1"]],
        "control": ["socket": .string("\(directory)/control.sock")],
    ]
    try Files.write("\(directory)/site.json", site.jsonText)
    let notify = try NotifySocket(path: "\(directory)/notify.sock")

    // Startup: spawn to READY=1, and to the scanner's device.connected at the subscriber.
    let spawned = ContinuousClock.now
    let daemon = try Child(
        floorlinkd,
        ["--config", "\(directory)/site.json"],
        environment: ["NOTIFY_SOCKET": notify.path],
        standardError: "\(directory)/floorlinkd.stderr"
    )
    var stopped = false
    defer { if !stopped { daemon.stop(signal: SIGKILL) } }
    guard await notify.wait(for: "READY=1", within: .seconds(20)) else {
        throw BenchError("no READY=1 within 20 s: \(Files.read("\(directory)/floorlinkd.stderr") ?? "")")
    }
    let ready = ContinuousClock.now - spawned
    guard await waitUntil(seconds: 10, { arrivals.scannerConnected }) else {
        throw BenchError("scanner-1 never connected: \(Files.read("\(directory)/floorlinkd.stderr") ?? "")")
    }
    let connected = ContinuousClock.now - spawned
    let pid = daemon.pid
    print("daemon-bench: floorlinkd \(floorlinkd)")
    print("  scanner on a socat pty (hardware linux), MQTT uplink to mosquitto on loopback, subscriber in-process")
    figure("startup to READY=1", "\(format(milliseconds(ready))) ms")
    figure("startup to device.connected upstream", "\(format(milliseconds(connected))) ms")

    // Idle.
    try await Task.sleep(for: .seconds(1))
    let idleCPU0 = ProcessStats.cpuSeconds(pid)
    let idleStart = ContinuousClock.now
    try await Task.sleep(for: .seconds(seconds))
    let idleWall = ContinuousClock.now - idleStart
    let idleCPU = ProcessStats.cpuSeconds(pid) - idleCPU0
    figure("idle RSS (VmRSS)", "\(format(ProcessStats.memoryMiB(pid, "VmRSS"))) MiB")
    let idlePercent = format(idleCPU / milliseconds(idleWall) * 100_000, 2)
    figure("idle CPU over \(seconds) s", "\(idlePercent) % of one core (\(format(idleCPU * 1000, 0)) ms CPU)")

    // One scan at a time: latency without queueing.
    var sent: [Int: Int64] = [:]
    let single = 1_000_000..<1_000_100
    for number in single {
        sent[number] = ProcessStats.monotonicNanoseconds
        try pty.send(scanBytes(number))
        _ = await waitUntil(seconds: 2) { arrivals.arrival(number) != nil }
        try await Task.sleep(for: .milliseconds(5))
    }
    let unloaded = latencies(single, sent: sent, arrivals: arrivals)

    // Steady load: RATE scans/s for SECONDS, on an absolute schedule.
    let total = rate * seconds
    let interval = Duration.nanoseconds(1_000_000_000 / rate)
    let loadCPU0 = ProcessStats.cpuSeconds(pid)
    let loadStart = ContinuousClock.now
    var peakRSS = 0.0
    for number in 0..<total {
        try await Task.sleep(until: loadStart + interval * number, clock: .continuous)
        sent[number] = ProcessStats.monotonicNanoseconds
        try pty.send(scanBytes(number))
        if number % rate == 0 { peakRSS = max(peakRSS, ProcessStats.memoryMiB(pid, "VmRSS")) }
    }
    let loadWall = ContinuousClock.now - loadStart
    let loadCPU = ProcessStats.cpuSeconds(pid) - loadCPU0
    let loadSeconds = milliseconds(loadWall) / 1000
    let loadRSS = ProcessStats.memoryMiB(pid, "VmRSS")
    _ = await waitUntil(seconds: 15) { arrivals.count(in: 0..<total) == total }
    let loaded = latencies(0..<total, sent: sent, arrivals: arrivals)
    let peakHWM = ProcessStats.memoryMiB(pid, "VmHWM")
    figure("RSS (VmRSS) at \(rate) scans/s", "\(format(max(loadRSS, peakRSS))) MiB (VmHWM \(format(peakHWM)) MiB)")
    figure(
        "CPU at \(rate) scans/s over \(seconds) s",
        "\(format(loadCPU / loadSeconds * 100, 2)) % of one core (sent \(total) in \(format(loadSeconds, 2)) s)"
    )
    figure("scans delivered under load", "\(loaded.count) of \(total)")
    figure("scan-to-subscriber latency, load", summary(loaded))
    figure("scan-to-subscriber latency, 1 by 1", summary(unloaded))

    // A burst: 1,000 reads written to the port at once, timed until the last reaches the subscriber.
    let burst = 2_000_000..<2_001_000
    let burstStart = ProcessStats.monotonicNanoseconds
    try pty.send(burst.flatMap(scanBytes))
    let burstDone = await waitUntil(seconds: 30) { arrivals.count(in: burst) == burst.count }
    let lastArrival = burst.compactMap { arrivals.arrival($0) }.max() ?? burstStart
    let burstSeconds = Double(lastArrival - burstStart) / 1e9
    figure(
        "burst of \(burst.count) reads to the subscriber",
        burstDone
            ? "\(format(Double(burst.count) / burstSeconds, 0)) scans/s (\(format(burstSeconds * 1000)) ms, none lost)"
            : "\(arrivals.count(in: burst)) of \(burst.count) arrived within 30 s"
    )

    let (status, took) = daemon.stop()
    stopped = true
    figure("SIGTERM to exit", "\(format(milliseconds(took))) ms (status \(status))")
    await subscriber.stop()
}

/// One figure, one line: the name padded to a column, then the value.
func figure(_ name: String, _ value: String) {
    print("  " + name + String(repeating: " ", count: max(1, 40 - name.count)) + value)
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

/// p50, p99 and max of sorted latencies in µs, printed in ms.
func summary(_ sorted: [Double]) -> String {
    let p50 = format(percentile(sorted, 0.5) / 1000, 2)
    let p99 = format(percentile(sorted, 0.99) / 1000, 2)
    return "p50 \(p50) ms  p99 \(p99) ms  max \(format((sorted.last ?? .nan) / 1000, 2)) ms  (\(sorted.count) scans)"
}

func resolvedLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink(path, &buffer, buffer.count - 1)
    guard count > 0 else { return nil }
    return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
do {
    if CommandLine.arguments.dropFirst().first == "--kill" {
        try await measureKillLoss(
            runs: max(1, arguments.first ?? 20),
            reads: max(1, arguments.dropFirst().first ?? 500)
        )
    } else {
        try await run(rate: max(1, arguments.first ?? 100), seconds: max(1, arguments.dropFirst().first ?? 10))
    }
} catch {
    print("daemon-bench: \(error)")
    exit(1)
}

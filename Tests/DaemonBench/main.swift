import Devices
import Events
import Glibc
import Locking
import TestSupport
import Uplink

// daemon-bench: the built floorlinkd as a process, as the issue asks for it: a scanner and an RFID reader on socat
// pseudo-terminals, MQTT to mosquitto with a subscriber, and the webhook to a local HTTP receiver. Startup time to
// READY=1, RSS and CPU at idle and under a steady scan rate (the RFID reader reading a few tags a second), scan-to-
// subscriber and scan-to-webhook latency, a burst, shutdown time. Prints figures; asserts nothing.
// A locker bank is not configured: with "hardware": "linux" it opens /dev/gpiochipN, and a machine without GPIO
// (or gpio-sim) has none; "hardware": "simulated" would simulate the serial ports as well.
// Usage: swift build -c release --static-swift-stdlib --product floorlinkd
//        swift run -c release daemon-bench [--scanner-only] [RATE] [SECONDS]
//        (defaults: 100 scans/s for 10 s; floorlinkd is taken from the directory daemon-bench runs from;
//        --scanner-only: the scanner and MQTT alone, the setup of the figures before the RFID reader and webhook)
//        TMPDIR=/path daemon-bench ...: the run's directory (the daemon's outbox) under /path instead of /tmp.
//        daemon-bench --kill [RUNS] [READS]: RUNS times (20), READS reads (500) written to a kernel pty at once and
//        floorlinkd killed with SIGKILL at a random point; prints the reads lost (taken from the port, never stored).
//        daemon-bench --order-file PATH [RATE] [SECONDS]: the same run with floorlinkd under valgrind's callgrind
//        (its figures then mean nothing), then the functions it ran, busiest first, written to PATH: the layout
//        of Sources/floorlinkd/floorlinkd.order, which the release link follows (Package.swift, README "Speed").

/// What the subscriber has seen: arrival times and seqs of numbered scans, the devices connected, every seq.
final class Arrivals: Sendable {
    private struct State {
        var received: [Int: Int64] = [:]
        var seqOfScan: [Int: UInt64] = [:]
        var connected: Set<String> = []
        var seqs: Set<UInt64> = []
        var tagReads = 0
    }

    private let state = Locked(State())

    func record(topic: String, payload: [UInt8]) {
        let now = ProcessStats.monotonicNanoseconds
        guard let event = try? JSONValue(parsing: payload), let seq = event["seq"]?.intValue else { return }
        state.withLock { _ = $0.seqs.insert(UInt64(seq)) }
        if topic.hasSuffix("/events/device.connected"), let device = event["device"]?.stringValue {
            state.withLock { _ = $0.connected.insert(device) }
            return
        }
        if topic.hasSuffix("/events/tag.read") {
            state.withLock { $0.tagReads += 1 }
            return
        }
        guard topic.hasSuffix("/events/scan"), let batch = event["data"]?["gs1"]?["10"]?.stringValue,
            batch.hasPrefix("B"), let number = Int(batch.dropFirst())
        else { return }
        state.withLock { state in
            state.received[number] = now
            state.seqOfScan[number] = UInt64(seq)
        }
    }

    func isConnected(_ device: String) -> Bool { state.withLock { $0.connected.contains(device) } }
    func arrival(_ number: Int) -> Int64? { state.withLock { $0.received[number] } }
    func seq(ofScan number: Int) -> UInt64? { state.withLock { $0.seqOfScan[number] } }
    func count(in range: Range<Int>) -> Int { state.withLock { state in range.count { state.received[$0] != nil } } }
    var seqs: Set<UInt64> { state.withLock { $0.seqs } }
    var tagReads: Int { state.withLock { $0.tagReads } }
}

/// The scanner's bytes for scan `number`: a GS1-128 read whose batch (AI 10) is `B<number>`.
func scanBytes(_ number: Int) -> [UInt8] {
    Array("]C1010950600013435217261231\u{1D}10B\(number)\r\n".utf8)
}

/// An M100 inventory notice for tag `index` of a few SGTIN-96 EPCs, as the RFID module sends it.
func tagNotice(_ index: Int) -> [UInt8] {
    let epc: [UInt8] = [0x30, 0x74, 0x25, 0x7B, 0xF7, 0x19, 0x4E, 0x40, 0x00, 0x00, 0x1A, UInt8(0x80 + index % 3)]
    let rssi = UInt8(bitPattern: Int8(-55 - index % 7))
    return M100Protocol.frame(type: .notice, command: 0x22, payload: [rssi, 0x30, 0x00] + epc + [0x12, 0x34])
}

func waitUntil(seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return condition()
}

/// Latency percentiles (µs) of scans `range` sent at `sent`, arriving when `arrival` says.
func latencies(_ range: Range<Int>, sent: [Int: Int64], arrival: (Int) -> Int64?) -> [Double] {
    range.compactMap { number in
        guard let start = sent[number], let end = arrival(number) else { return nil }
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

func run(rate: Int, seconds: Int, scannerOnly: Bool, orderFile: String? = nil) async throws {
    let floorlinkd = try BuiltProduct.path("floorlinkd")
    let valgrind = "/usr/bin/valgrind"
    if orderFile != nil, access(valgrind, X_OK) != 0 {
        throw BenchError("--order-file profiles floorlinkd with callgrind: no \(valgrind) (apt-get install valgrind)")
    }
    // TMPDIR puts the daemon's data directory (its outbox) on the storage to measure, e.g. an SD card's ext4.
    let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    var template = Array("\(base)/daemon-bench-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw BenchError("mkdtemp in \(base) failed: errno \(errno)") }
    let directory = String(cString: made)
    defer { Files.removeTree(directory) }

    let broker = try await Mosquitto(directory: directory)
    defer { broker.remove() }
    let pty = try await PseudoTerminalPair(directory: directory)
    defer { pty.stop() }
    let rfid = scannerOnly ? nil : try await PseudoTerminalPair(directory: directory, name: "rfid")
    defer { rfid?.stop() }
    // The order service's side of the webhook: each connection kept alive, every POST answered 200 at once, on
    // threads of its own (its CPU is not the daemon's). It stops with this process.
    let webhook = scannerOnly ? nil : try WebhookTestServer(keepAlive: true)

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

    var devices: [JSONValue] = [
        [
            "id": "scanner-1", "kind": "barcode-scanner", "port": .string(pty.portPath), "baud": 115_200,
            "terminator": "\r\n", "aimPrefix": true,
        ]
    ]
    var uplinks: [(String, JSONValue)] = [
        ("mqtt", ["url": .string("mqtt://127.0.0.1:\(broker.port)"), "clientId": "bench-c1"])
    ]
    if let rfid, let webhook {
        devices.append(
            [
                "id": "rfid-1", "kind": "rfid-reader", "port": .string(rfid.portPath), "baud": 115_200,
                "protocol": "m100", "dedupWindowMs": 2000,
            ]
        )
        uplinks.append(("webhook", ["url": .string(webhook.url)]))
    }
    let site: JSONValue = [
        "site": "bench", "controller": "c1", "hardware": "linux", "dataDir": .string("\(directory)/data"),
        "devices": .array(devices), "uplinks": .object(uplinks),
        "control": ["socket": .string("\(directory)/control.sock")],
    ]
    try Files.write("\(directory)/site.json", site.jsonText)
    let notify = try NotifySocket(path: "\(directory)/notify.sock")

    // Startup: spawn to READY=1, and to the readers' device.connected at the subscriber.
    let spawned = ContinuousClock.now
    let profile = "\(directory)/callgrind.out"
    let daemon = try Child(
        orderFile == nil ? floorlinkd : valgrind,
        (orderFile == nil
            ? [] : ["--tool=callgrind", "--demangle=no", "--callgrind-out-file=\(profile)", floorlinkd])
            + ["--config", "\(directory)/site.json"],
        environment: ["NOTIFY_SOCKET": notify.path],
        standardError: "\(directory)/floorlinkd.stderr"
    )
    var stopped = false
    defer { if !stopped { daemon.stop(signal: SIGKILL) } }
    guard await notify.wait(for: "READY=1", within: .seconds(20)) else {
        throw BenchError("no READY=1 within 20 s: \(Files.read("\(directory)/floorlinkd.stderr") ?? "")")
    }
    let ready = ContinuousClock.now - spawned
    let readers = scannerOnly ? ["scanner-1"] : ["scanner-1", "rfid-1"]
    guard await waitUntil(seconds: 10, { readers.allSatisfy(arrivals.isConnected) }) else {
        throw BenchError("\(readers) never all connected: \(Files.read("\(directory)/floorlinkd.stderr") ?? "")")
    }
    let connected = ContinuousClock.now - spawned
    let pid = daemon.pid
    print("daemon-bench: floorlinkd \(floorlinkd)")
    if scannerOnly {
        print("  scanner on a socat pty (hardware linux), MQTT uplink to mosquitto on loopback, subscriber in-process")
    } else {
        print("  scanner and M100 RFID reader on socat ptys (hardware linux), MQTT to mosquitto on loopback with a")
        print("  subscriber in-process, webhook to an HTTP receiver in-process; no locker bank (needs a GPIO chip)")
    }
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
    let unloaded = latencies(single, sent: sent, arrival: arrivals.arrival)

    // Steady load: RATE scans/s for SECONDS on an absolute schedule; the RFID reader sees a tag every 500 ms.
    let total = rate * seconds
    let interval = Duration.nanoseconds(1_000_000_000 / rate)
    let tagEvery = max(1, rate / 2)
    let tagReads0 = arrivals.tagReads
    let loadCPU0 = ProcessStats.cpuSeconds(pid)
    let loadThreads0 = ProcessStats.threadCPU(pid)
    let loadStart = ContinuousClock.now
    var peakRSS = 0.0
    for number in 0..<total {
        try await Task.sleep(until: loadStart + interval * number, clock: .continuous)
        sent[number] = ProcessStats.monotonicNanoseconds
        try pty.send(scanBytes(number))
        if let rfid, number % tagEvery == 0 { try rfid.send(tagNotice(number / tagEvery)) }
        if number % rate == 0 { peakRSS = max(peakRSS, ProcessStats.memoryMiB(pid, "VmRSS")) }
    }
    let loadWall = ContinuousClock.now - loadStart
    let loadCPU = ProcessStats.cpuSeconds(pid) - loadCPU0
    let loadThreads = ProcessStats.threadCPU(pid)
    let loadSeconds = milliseconds(loadWall) / 1000
    let loadRSS = ProcessStats.memoryMiB(pid, "VmRSS")
    _ = await waitUntil(seconds: 15) { arrivals.count(in: 0..<total) == total }
    let loaded = latencies(0..<total, sent: sent, arrival: arrivals.arrival)
    let peakHWM = ProcessStats.memoryMiB(pid, "VmHWM")
    figure("RSS (VmRSS) at \(rate) scans/s", "\(format(max(loadRSS, peakRSS))) MiB (VmHWM \(format(peakHWM)) MiB)")
    figure(
        "CPU at \(rate) scans/s over \(seconds) s",
        "\(format(loadCPU / loadSeconds * 100, 2)) % of one core (sent \(total) in \(format(loadSeconds, 2)) s)"
    )
    // Where it went: the I/O loop's thread is the busiest, the outbox's sync thread next (Dispatch names them
    // after the queue that started them).
    let byThread = loadThreads.compactMap { tid, now -> (String, Double)? in
        let used = now.nanoseconds - (loadThreads0[tid]?.nanoseconds ?? 0)
        return used > 0 ? ("\(now.name) (\(tid))", Double(used) / 1e9 / loadSeconds * 100) : nil
    }.sorted { $0.1 > $1.1 }
    figure(
        "  by thread (schedstat)",
        byThread.map { "\($0.0) \(format($0.1, 2)) %" }.joined(separator: ", ")
    )
    figure("scans delivered under load", "\(loaded.count) of \(total)")
    if rfid != nil {
        figure("tag.read events under load", "\(arrivals.tagReads - tagReads0) (a tag every 500 ms, 2 s window)")
    }
    figure("scan-to-subscriber latency, load", summary(loaded))
    figure("scan-to-subscriber latency, 1 by 1", summary(unloaded))
    if let webhook {
        let atWebhook = webhook.arrivalsBySeq()
        let toWebhook = latencies(0..<total, sent: sent) { arrivals.seq(ofScan: $0).flatMap { atWebhook[$0] } }
        figure("scan-to-webhook latency, load", summary(toWebhook))
    }

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
    if let webhook {
        // Every event the subscriber saw (scans, tags, connects) must reach the webhook too.
        let published = arrivals.seqs
        _ = await waitUntil(seconds: 30) {
            let atWebhook = webhook.arrivalsBySeq()
            return published.allSatisfy { atWebhook[$0] != nil }
        }
        let atWebhook = webhook.arrivalsBySeq()
        let missing = published.count { atWebhook[$0] == nil }
        figure(
            "events at the webhook",
            "\(published.count - missing) of the \(published.count) the subscriber saw, in \(webhook.requests.count) POSTs"
        )
    }

    let (status, took) = daemon.stop()
    stopped = true
    figure("SIGTERM to exit", "\(format(milliseconds(took))) ms (status \(status))")
    await subscriber.stop()
    if let orderFile {
        guard status == 0, let text = Files.read(profile) else {
            throw BenchError("floorlinkd under callgrind exited with \(status), no profile at \(profile)")
        }
        let symbols = FunctionOrder(profile: text, objectName: "floorlinkd").symbols
        guard !symbols.isEmpty else { throw BenchError("the profile names no function of floorlinkd") }
        try Files.write(orderFile, symbols.joined(separator: "\n") + "\n")
        print("daemon-bench: \(symbols.count) functions, busiest first, written to \(orderFile)")
    }
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

let flags = Set(CommandLine.arguments.dropFirst().filter { $0.hasPrefix("--") })
let orderFile = CommandLine.arguments.firstIndex(of: "--order-file").flatMap {
    CommandLine.arguments.indices.contains($0 + 1) ? CommandLine.arguments[$0 + 1] : nil
}
if flags.contains("--order-file"), orderFile.map({ $0.hasPrefix("-") || Int($0) != nil }) ?? true {
    print("daemon-bench: --order-file needs the path to write, e.g. --order-file Sources/floorlinkd/floorlinkd.order")
    exit(2)
}
let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
do {
    if flags.contains("--kill") {
        try await measureKillLoss(
            runs: max(1, arguments.first ?? 20),
            reads: max(1, arguments.dropFirst().first ?? 500)
        )
    } else {
        try await run(
            rate: max(1, arguments.first ?? 100),
            seconds: max(1, arguments.dropFirst().first ?? 10),
            scannerOnly: flags.contains("--scanner-only"),
            orderFile: orderFile
        )
    }
} catch {
    print("daemon-bench: \(error)")
    exit(1)
}

// fleet-bench: N real floorlinkd processes (the demo site on simulated hardware, each its own controller) against
// one local mosquitto, read by a consumer group of K subscribers sharing $share/oms/floorlink/+/+/events/#. Mid-run
// one consumer is killed (no DISCONNECT) and comes back 3 s later, and the broker is restarted; then the daemons
// stop cleanly and the backlog drains. Prints what was produced (each daemon's last seq, read from its outbox),
// received, lost, duplicated, the latency from an event's time to its arrival, per-daemon RSS and CPU, and the
// broker's CPU. Figures only: nothing here is a pass/fail check except `lost`, which makes the exit status 1.
//
// The consumer group is the order service the README describes: it keeps per controller the seqs seen, and a seq
// missing for 5 s while the controller is online (and, at the end, any up to the lastSeq of its retained status)
// is asked for again with a signed `events.replay` (`GapRepair`). `replayed` counts the events that arrived only
// after they were asked for (their latency is `replayed_max_ms`, apart from p50/p99/max of the rest); `lost` what
// never arrived. `--no-repair` leaves the gaps alone.
//
//   swift build -c release --product floorlinkd --product fleet-bench
//   .build/release/fleet-bench --controllers 50 --consumers 3 --seconds 30 [--json]
import Events
import Foundation
import Glibc
import Locking
import Outbox
import Service
import TestSupport
import Uplink

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct Options {
    var controllers = 50
    var consumers = 3
    var seconds = 30
    var json = false
    var floorlinkd: String?
    /// Each consumer subscribes to its own share of the controllers (plain persistent subscriptions) instead of
    /// all of them sharing `$share/oms/…`: mosquitto restores those after a restart, and not shared ones.
    var partitioned = false
    /// Ask for missing seqs with `events.replay` (the default); `--no-repair` shows what a restart loses without it.
    var repair = true

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        while let word = rest.popFirst() {
            func number() throws -> Int {
                guard let text = rest.popFirst(), let value = Int(text), value > 0 else {
                    throw BenchError("\(word) needs a positive whole number")
                }
                return value
            }
            switch word {
            case "--controllers": controllers = try number()
            case "--consumers": consumers = try number()
            case "--seconds": seconds = try number()
            case "--json": json = true
            case "--partitioned": partitioned = true
            case "--no-repair": repair = false
            case "--floorlinkd":
                guard let path = rest.popFirst() else { throw BenchError("--floorlinkd needs a path") }
                floorlinkd = path
            default:
                throw BenchError(
                    "usage: fleet-bench [--controllers N] [--consumers K] [--seconds T] [--floorlinkd PATH] [--partitioned] "
                        + "[--no-repair] [--json] "
                        + "(unknown \(word))"
                )
            }
        }
    }
}

func wallMilliseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
}

func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))]
}

func rounded(_ value: Double, _ digits: Int = 1) -> Double {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    return (value * scale).rounded() / scale
}

/// The repository's demo site, found from the working directory (run from the checkout).
func demoSite() throws -> JSONValue {
    guard let file = fopen("hal/sites/demo.json", "r") else {
        throw BenchError("run from the repository: hal/sites/demo.json not found")
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 8192)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        bytes += buffer.prefix(count)
        if count < buffer.count { break }
    }
    return try JSONValue(parsing: bytes)
}

/// The MQTT uplink's lag from the daemon's control socket.
func mqttLag(socket: String) async throws -> Int64? {
    let stream = try UnixStream.connect(path: socket)
    defer { stream.close() }
    try await stream.writeLine(#"{"id":1,"op":"status"}"#)
    guard let line = try await stream.readLine(timeout: .seconds(10)) else { return nil }
    guard case .array(let uplinks)? = try JSONValue(parsing: line)["result"]?["uplinks"] else { return nil }
    return uplinks.first { $0["name"] == "mqtt" }?["lag"]?.intValue
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func writeFile(_ path: String, _ text: String) throws {
    guard let file = fopen(path, "w") else { throw BenchError("cannot write \(path): errno \(errno)") }
    fputs(text, file)
    fclose(file)
}

/// A consumer of the group: a persistent session on `filters` (the shared subscription, or its partition).
func consumer(
    _ index: Int,
    filters: [String],
    broker: Mosquitto,
    received: Received
) -> (MQTTClient, Task<Void, Never>) {
    var configuration = MQTTClientConfiguration(
        broker: MQTTBrokerURL(host: "127.0.0.1", port: broker.port, usesTLS: false),
        clientID: "oms-\(index)"
    )
    configuration.cleanSession = false
    configuration.inflightWindow = 256
    configuration.reconnectDelay = .milliseconds(100)
    configuration.maximumReconnectDelay = .seconds(2)
    configuration.subscriptions = filters.map { MQTTSubscription(topicFilter: $0, qos: .atLeastOnce) }
    let client = MQTTClient(configuration: configuration) { _, payload in received.record(payload) }
    return (client, Task { await client.run() })
}

func run(_ options: Options) async throws -> Bool {
    let floorlinkd = try options.floorlinkd ?? BuiltProduct.path("floorlinkd")
    let demo = try demoSite()
    var template = Array("/tmp/fleet-bench-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw BenchError("mkdtemp failed") }
    let directory = String(cString: made)
    defer { try? FileManager.default.removeItem(atPath: directory) }

    let broker = try await Mosquitto(directory: directory, persistence: true)
    defer { broker.remove() }
    let received = Received()
    let names = (1...options.controllers).map { "c\(String(1000 + $0).dropFirst())" }
    let filters = (0..<options.consumers).map { index in
        options.partitioned
            ? names.enumerated().filter { $0.offset % options.consumers == index }.map {
                "floorlink/fleet/\($0.element)/events/#"
            } : ["$share/oms/floorlink/+/+/events/#"]
    }
    var consumers = (0..<options.consumers).map {
        consumer($0, filters: filters[$0], broker: broker, received: received)
    }
    defer { for (_, task) in consumers { task.cancel() } }
    // Each consumer's session (with its share of the subscription) exists before the first event.
    for (client, _) in consumers {
        while await client.subscriptionAcknowledgements == 0 { try await Task.sleep(for: .milliseconds(20)) }
    }

    // One command key for the fleet: the consumer group signs its replays with it.
    let key = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    try writeFile("\(directory)/command.key", key)

    // N controllers of site "fleet": the demo site each, with its own data directory, socket and client id.
    var daemons: [(name: String, process: ChildProcess, dataDir: String)] = []
    defer { for daemon in daemons { daemon.process.stop(signal: SIGKILL) } }
    let spawned = ContinuousClock.now
    for name in names {
        let home = "\(directory)/\(name)"
        mkdir(home, 0o755)
        let site =
            demo
            .setting("site", "fleet").setting("controller", .string(name))
            .setting("dataDir", .string("\(home)/data"))
            .setting("control", ["socket": .string("\(home)/control.sock")])
            .setting(
                "uplinks",
                [
                    "mqtt": [
                        "url": .string(broker.url), "clientId": .string("fleet-\(name)"),
                        "commandKeyFile": .string("\(directory)/command.key"),
                    ]
                ]
            )
            .removing("metrics")
        try writeFile("\(home)/site.json", site.jsonText)
        let process = try ChildProcess(
            floorlinkd,
            ["--config", "\(home)/site.json"],
            outputPath: "/dev/null",
            errorPath: "\(home)/stderr"
        )
        daemons.append((name, process, "\(home)/data"))
    }
    // The gap repair's commands go out on a client of their own; results and statuses come in on the monitor's.
    var commandConfiguration = MQTTClientConfiguration(
        broker: MQTTBrokerURL(host: "127.0.0.1", port: broker.port, usesTLS: false),
        clientID: "fleet-oms-commands"
    )
    commandConfiguration.cleanSession = true
    commandConfiguration.reconnectDelay = .milliseconds(100)
    commandConfiguration.maximumReconnectDelay = .seconds(2)
    let commandClient = MQTTClient(configuration: commandConfiguration)
    let commandTask = Task { await commandClient.run() }
    defer { commandTask.cancel() }
    let repair = GapRepair(site: "fleet", key: Array(key.utf8), received: received, client: commandClient)

    // Up when every controller's retained status says online.
    let online = Locked<Set<String>>([])
    var monitorConfiguration = MQTTClientConfiguration(
        broker: MQTTBrokerURL(host: "127.0.0.1", port: broker.port, usesTLS: false),
        clientID: "fleet-monitor"
    )
    monitorConfiguration.cleanSession = true
    monitorConfiguration.reconnectDelay = .milliseconds(100)
    monitorConfiguration.maximumReconnectDelay = .seconds(2)
    monitorConfiguration.subscriptions = [
        MQTTSubscription(topicFilter: "floorlink/fleet/+/status", qos: .atLeastOnce),
        MQTTSubscription(topicFilter: "floorlink/fleet/+/commands/results", qos: .atLeastOnce),
    ]
    let monitor = MQTTClient(configuration: monitorConfiguration) { topic, payload in
        if topic.hasSuffix("/commands/results") {
            repair.result(topic: topic, payload: payload)
            return
        }
        guard let status = try? ControllerStatus(topic: topic, payload: payload) else { return }
        repair.status(status)
        online.withLock { set in
            if status.isOnline { set.insert(status.controller) } else { set.remove(status.controller) }
        }
    }
    let monitorTask = Task { await monitor.run() }
    defer { monitorTask.cancel() }
    while online.withLock({ $0.count }) < options.controllers {
        guard ContinuousClock.now - spawned < .seconds(300) else {
            throw BenchError("only \(online.withLock { $0.count }) of \(options.controllers) online after 300 s")
        }
        try await Task.sleep(for: .milliseconds(100))
    }
    let startup = ContinuousClock.now - spawned
    let cpuBefore = daemons.map { ProcessStats.cpuSeconds($0.process.pid) }
    let brokerCPUBefore = broker.pid.map(ProcessStats.cpuSeconds) ?? 0
    let benchCPUBefore = ProcessStats.cpuSeconds(getpid())
    let runStarted = ContinuousClock.now
    let mode =
        options.partitioned ? "each on its share of the controllers" : "sharing $share/oms/floorlink/+/+/events/#"
    print(
        "fleet-bench: \(options.controllers) floorlinkd (demo site, simulated hardware), \(options.consumers) consumers "
            + mode
    )
    print("  all online after \(rounded(seconds(startup))) s; running \(options.seconds) s")
    // The order service's repair: every half second, seqs missing for 5 s are asked for again.
    let repairTask = Task {
        while !Task.isCancelled && options.repair {
            _ = await repair.round(names, grace: .seconds(5))
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
    defer { repairTask.cancel() }

    // A third in: one consumer killed (no DISCONNECT); back 3 s later with its session. Two thirds in: the broker
    // restarts (SIGTERM saves its sessions and queued messages).
    let third = Duration.seconds(options.seconds) / 3
    try await Task.sleep(for: third)
    let (victim, victimTask) = consumers[0]
    await victim.stop(sendDisconnect: false)
    victimTask.cancel()
    print("  consumer oms-0 killed")
    try await Task.sleep(for: .seconds(3))
    consumers[0] = consumer(0, filters: filters[0], broker: broker, received: received)
    print("  consumer oms-0 back")
    try await Task.sleep(for: max(third - .seconds(3), .zero))
    let firstBrokerCPU = (broker.pid.map(ProcessStats.cpuSeconds) ?? 0) - brokerCPUBefore
    await broker.stop()
    let brokerStopped = wallMilliseconds()
    print("  broker stopped")
    try await Task.sleep(for: .seconds(2))
    try await broker.start()
    print("  broker restarted")
    try await Task.sleep(for: third)

    // RSS while running, CPU over the run; then a clean stop of every daemon.
    let rss = daemons.map { ProcessStats.memoryMiB($0.process.pid, "VmRSS") }.sorted()
    let runTime = seconds(ContinuousClock.now - runStarted)
    let cpu = zip(daemons, cpuBefore).map { ProcessStats.cpuSeconds($0.0.process.pid) - $0.1 }
    let brokerCPU = firstBrokerCPU + (broker.pid.map(ProcessStats.cpuSeconds) ?? 0)
    let benchCPU = ProcessStats.cpuSeconds(getpid()) - benchCPUBefore
    // The backlog drains with the daemons still running: each uplink's lag reaches 0 (a daemon that was still
    // backing off from the broker restart catches up), then each stops cleanly and delivers its last events.
    let drainStarted = ContinuousClock.now
    var draining = Set(daemons.map(\.name))
    while !draining.isEmpty && ContinuousClock.now - drainStarted < .seconds(120) {
        for name in draining where (try? await mqttLag(socket: "\(directory)/\(name)/control.sock")) == 0 {
            draining.remove(name)
        }
        try await Task.sleep(for: .milliseconds(200))
    }
    let drain = ContinuousClock.now - drainStarted
    print(
        "  uplinks drained in \(rounded(seconds(drain))) s\(draining.isEmpty ? "" : "; not drained: \(draining.sorted())")"
    )
    // The tail: once every controller's retained status was refreshed after the drain (at most every 10 s), seqs up
    // to its lastSeq still missing for 2 s are asked for, until nothing is missing or in flight (60 s at most).
    repairTask.cancel()
    if options.repair {
        let drained = wallMilliseconds()
        let refreshStarted = ContinuousClock.now
        while repair.freshStatuses(names, since: drained) < names.count
            && ContinuousClock.now - refreshStarted < .seconds(30)
        {
            try await Task.sleep(for: .milliseconds(200))
        }
        let tailStarted = ContinuousClock.now
        var quiet = 0
        while ContinuousClock.now - tailStarted < .seconds(60) {
            let sent = await repair.round(names, grace: .seconds(2))
            quiet = sent == 0 && repair.outstanding == 0 ? quiet + 1 : 0
            // Quiet for 3 s: nothing missing for 2 s, nothing in flight.
            if quiet >= 15 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        print(
            "  gap repair: \(repair.requests) replays asked for, results \(repair.results.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")), "
                + "\(repair.republished) events re-published, \(received.replayed) received only through a replay"
        )
    }
    for daemon in daemons { kill(daemon.process.pid, SIGTERM) }
    for daemon in daemons { _ = await daemon.process.waitForExit(timeout: .seconds(30)) }

    // Produced: each outbox's last seq, read after its daemon stopped.
    var produced: [String: UInt64] = [:]
    for daemon in daemons {
        let outbox = try await Outbox.open(
            directory: daemon.dataDir,
            site: "fleet",
            controller: daemon.name,
            uplinks: ["mqtt"]
        )
        produced[daemon.name] = await outbox.status.lastSeq
        await outbox.close()
    }
    let total = produced.values.reduce(0) { $0 + Int($1) }
    // Received: everything produced arrived at the consumers, or a minute passed.
    let receiveStarted = ContinuousClock.now
    while received.unique < total && ContinuousClock.now - receiveStarted < .seconds(60) {
        try await Task.sleep(for: .milliseconds(100))
    }
    let missing = produced.map { (controller: $0.key, seqs: received.missing($0.key, through: $0.value)) }
        .filter { !$0.seqs.isEmpty }.sorted { $0.controller < $1.controller }
    let lost = missing.reduce(0) { $0 + $1.seqs.count }
    // When the lost events happened, against the broker's stop (read back from their outboxes).
    var lostOffsets: [Double] = []
    for (controller, seqs) in missing {
        let outbox = try await Outbox.open(
            directory: "\(directory)/\(controller)/data",
            site: "fleet",
            controller: controller,
            uplinks: ["mqtt"]
        )
        for seq in seqs {
            if let event = try await outbox.events(after: seq - 1, limit: 1).first {
                lostOffsets.append(Double(event.time.millisecondsSinceEpoch - brokerStopped) / 1000)
            }
        }
        await outbox.close()
    }
    for (controller, seqs) in missing.prefix(5) {
        print("  lost from \(controller): seq \(seqs.prefix(20).map(String.init).joined(separator: ", "))")
    }
    if let first = lostOffsets.min(), let last = lostOffsets.max() {
        print("  lost events happened \(rounded(first)) s to \(rounded(last)) s from the broker's stop")
    }
    let latencies = received.latencies
    let cpuPercent = cpu.map { $0 / runTime * 100 }.sorted()
    let figures: [(String, JSONValue)] = [
        ("controllers", .int(Int64(options.controllers))), ("consumers", .int(Int64(options.consumers))),
        ("seconds", .int(Int64(options.seconds))), ("startup_s", .double(rounded(seconds(startup)))),
        ("produced", .int(Int64(total))), ("received", .int(Int64(received.unique))), ("lost", .int(Int64(lost))),
        ("duplicates", .int(Int64(received.duplicates))),
        ("replayed", .int(Int64(received.replayed))), ("replay_requests", .int(Int64(repair.requests))),
        ("p50_ms", .double(rounded(percentile(latencies, 0.5)))),
        ("p99_ms", .double(rounded(percentile(latencies, 0.99)))),
        ("max_ms", .double(rounded(latencies.last ?? 0))),
        ("replayed_max_ms", .double(rounded(received.replayLatencies.last ?? 0))),
        ("rss_median_mib", .double(rounded(percentile(rss, 0.5)))), ("rss_max_mib", .double(rounded(rss.last ?? 0))),
        ("daemon_cpu_median_percent", .double(rounded(percentile(cpuPercent, 0.5), 2))),
        ("daemon_cpu_total_percent", .double(rounded(cpuPercent.reduce(0, +)))),
        ("broker_cpu_percent", .double(rounded(brokerCPU / runTime * 100))),
        ("consumers_cpu_percent", .double(rounded(benchCPU / runTime * 100))),
        ("events_per_second", .double(rounded(Double(total) / runTime))),
    ]
    for (name, value) in figures { print("  \(name): \(value.jsonText)") }
    if options.json { print(JSONValue.object(figures).jsonText) }
    return lost == 0
}

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    exit(try await run(options) ? 0 : 1)
} catch {
    print("fleet-bench: \(error)")
    exit(2)
}

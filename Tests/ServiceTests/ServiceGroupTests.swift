import Foundation
import Locking
import Service
import Testing

@Suite("Service group")
struct ServiceGroupTests {
    /// Holds its waiter until opened, whether or not the waiting task is cancelled.
    final class Gate: Sendable {
        private let state = Locked<(opened: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

        func wait() async {
            await withCheckedContinuation { continuation in
                let opened = state.withLock { state -> Bool in
                    if !state.opened { state.waiter = continuation }
                    return state.opened
                }
                if opened { continuation.resume() }
            }
        }

        func open() {
            state.withLock { state in
                state.opened = true
                return state.waiter.take()
            }?.resume()
        }
    }

    /// Records starts and stops in order.
    final class Journal: Sendable {
        private let entries = Locked<[String]>([])
        func add(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    /// A service that runs until cancelled, noting start and stop.
    static func recording(_ name: String, _ journal: Journal) -> ClosureService {
        ClosureService(name: name) {
            journal.add("start \(name)")
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            journal.add("stop \(name)")
        }
    }

    @Test("services stop in the reverse of their start order when shutdown is requested")
    func reverseOrder() async {
        let journal = Journal()
        let group = ServiceGroup(
            services: ["outbox", "uplinks", "devices", "control"].map { Self.recording($0, journal) },
            logger: Logger(label: "test", handler: MemoryLogHandler())
        )
        let (trigger, fire) = AsyncStream<Void>.makeStream()
        async let outcome = group.run(until: trigger)
        while journal.all.count < 4 { await Task.yield() }
        fire.yield()
        #expect(await outcome == .shutdownRequested)
        #expect(journal.all.suffix(4) == ["stop control", "stop devices", "stop uplinks", "stop outbox"])
    }

    @Test("a service that fails stops the others and is named in the outcome")
    func failure() async {
        struct Broken: Error {}
        let journal = Journal()
        let logs = MemoryLogHandler()
        let group = ServiceGroup(
            services: [Self.recording("outbox", journal), ClosureService(name: "uplink") { throw Broken() }],
            logger: Logger(label: "test", handler: logs)
        )
        let outcome = await group.run(until: AsyncStream<Void> { _ in })
        #expect(outcome == .serviceEnded(name: "uplink", error: "Broken()"))
        #expect(journal.all.last == "stop outbox")
        #expect(logs.entries.contains { $0.level == .error && $0.metadata["service"] == "uplink" })
    }

    // A group that waited for the stuck service would never return: the time limit turns that into a failure.
    @Test("a service that ignores cancellation is given up on after the graceful timeout", .timeLimit(.minutes(1)))
    func stuckService() async {
        let journal = Journal()
        let logs = MemoryLogHandler()
        // Waits, deaf to cancellation, until the test lets it go after checking the group did not wait. It
        // suspends rather than polls: a cancelled `Task.sleep` returns at once, so a polling loop here spun on a
        // cooperative thread, and with one CPU (one such thread) nothing else ran and the whole suite hung.
        let release = Gate()
        let stuck = ClosureService(name: "stuck") { await release.wait() }
        defer { release.open() }
        let group = ServiceGroup(
            services: [Self.recording("outbox", journal), stuck],
            gracefulTimeout: .milliseconds(100),
            logger: Logger(label: "test", handler: logs)
        )
        let (trigger, fire) = AsyncStream<Void>.makeStream()
        fire.yield()
        _ = await group.run(until: trigger)
        #expect(logs.entries.contains { $0.level == .warning && $0.metadata["service"] == "stuck" })
        #expect(journal.all.last == "stop outbox")
    }
}

@Suite("Logging and systemd")
struct LoggingTests {
    @Test("notifications reach the socket named by NOTIFY_SOCKET, and the watchdog interval is half of WATCHDOG_USEC")
    func systemdNotify() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString)").path
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer {
            close(fd)
            unlink(path)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000000"])
        #expect(notifier.watchdogInterval == .seconds(10))
        #expect(notifier.notify("READY=1\nSTATUS=3 devices up"))
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        #expect(String(decoding: buffer.prefix(max(0, count)), as: UTF8.self) == "READY=1\nSTATUS=3 devices up")
        #expect(SystemdNotifier(environment: [:]).notify("READY=1") == false)
    }
}

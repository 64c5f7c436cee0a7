import Foundation
import Glibc
import Locking

/// A real mosquitto on a free loopback port, configured in a directory of its own (made here, or one the caller
/// owns); stopped by `await stop()`, stopped and its own directory deleted by `remove()`. Every test and benchmark that
/// needs a broker starts this one.
public final class Mosquitto: Sendable {
    public static let path = "/usr/sbin/mosquitto"
    public static let subscriberPath = "/usr/bin/mosquitto_sub"
    public static let publisherPath = "/usr/bin/mosquitto_pub"
    /// True when the broker is installed.
    public static var isInstalled: Bool { access(path, X_OK) == 0 }
    /// True when the broker and its command-line clients are installed.
    public static var clientsAreInstalled: Bool {
        [path, subscriberPath, publisherPath].allSatisfy { (file: String) in access(file, X_OK) == 0 }
    }

    public let port: Int
    public let directory: String
    private let ownsDirectory: Bool
    private let child = Locked<ChildProcess?>(nil)

    /// Writes `mosquitto.conf` into `directory` (nil: a new temporary one), with `listener PORT 127.0.0.1`,
    /// anonymous access and `extraConfig` after the listener line, and starts the broker (`user root`: tests may
    /// run as root); with `persistence` sessions and queued messages survive a restart.
    public init(
        directory: String? = nil,
        port: Int? = nil,
        persistence: Bool = false,
        extraConfig: [String] = []
    ) async throws {
        self.port = try port ?? Loopback.freePort()
        if let directory {
            self.directory = directory
            ownsDirectory = false
        } else {
            self.directory =
                FileManager.default.temporaryDirectory
                .appendingPathComponent("floorlink-mosquitto-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
            ownsDirectory = true
        }
        let lines =
            [
                "user root",
                "log_dest none",
                "persistence \(persistence)",
                "persistence_location \(self.directory)/",
                "autosave_interval 0",
                "max_queued_messages 0",
                "max_inflight_messages 0",
                "listener \(self.port) 127.0.0.1",
                "allow_anonymous true",
            ] + extraConfig
        try TestFile.write(lines.joined(separator: "\n") + "\n", to: configPath)
        try await start()
    }

    /// The running broker's process id (nil while stopped), for benchmarks that read its CPU time.
    public var pid: pid_t? { child.withLock { $0?.pid } }

    /// `mqtt://127.0.0.1:PORT`, as a site config names the broker.
    public var url: String { "mqtt://127.0.0.1:\(port)" }

    private var configPath: String { "\(directory)/mosquitto.conf" }

    /// Starts (or restarts) the broker and waits up to 30 s until it listens.
    public func start() async throws {
        let process = try ChildProcess(Self.path, ["-c", configPath])
        child.withLock { $0 = process }
        do {
            try await Loopback.waitUntilListening(port: port)
        } catch {
            await stop(signal: SIGKILL)
            throw error
        }
    }

    /// Stops the broker with `signal` (SIGTERM: it saves persistent state) and waits, without holding a thread,
    /// for it to exit: before a restart on the same port and directory.
    public func stop(signal: Int32 = SIGTERM) async {
        await takeChild()?.stopAndWait(signal: signal)
    }

    /// Stops the broker without waiting (a thread of its own reaps it) and then deletes its directory when it made
    /// it (else only its config). For `defer`, which cannot await.
    public func remove() {
        let directory = directory
        let ownsDirectory = ownsDirectory
        let configPath = configPath
        let removeFiles: @Sendable () -> Void = {
            if ownsDirectory {
                try? FileManager.default.removeItem(atPath: directory)
            } else {
                unlink(configPath)
            }
        }
        if let child = takeChild() {
            child.stop(afterExit: removeFiles)
        } else {
            removeFiles()
        }
    }

    private func takeChild() -> ChildProcess? {
        child.withLock { child in
            defer { child = nil }
            return child
        }
    }
}

/// `Mosquitto` under a second name, for a test target whose own `TestSupport` type hides this module's name (so
/// `TestSupport.Mosquitto` cannot be written there): UplinkTests.
public typealias MosquittoBroker = Mosquitto

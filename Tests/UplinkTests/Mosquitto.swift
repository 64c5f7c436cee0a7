import Foundation
import Glibc
import Locking
import TestSupport

/// A real mosquitto on a free loopback port, in its own temporary directory; stopped and removed by `remove()`.
final class Mosquitto: Sendable {
    static let path = "/usr/sbin/mosquitto"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: path) }

    let port: Int
    let directory: String
    private let child = Locked<ChildProcess?>(nil)

    /// Writes mosquitto.conf (`listener PORT 127.0.0.1`, anonymous access, `extraConfig` after the listener
    /// line) and starts the broker; with `persistence` sessions and queued messages survive a restart.
    init(port: Int? = nil, persistence: Bool = false, extraConfig: [String] = []) async throws {
        self.port = try port ?? Sockets.freePort()
        directory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("floorlink-mosquitto-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lines =
            [
                "user root",
                "log_dest none",
                "persistence \(persistence)",
                "persistence_location \(directory)/",
                "autosave_interval 0",
                "max_queued_messages 0",
                "max_inflight_messages 0",
                "listener \(self.port) 127.0.0.1",
                "allow_anonymous true",
            ] + extraConfig
        try (lines.joined(separator: "\n") + "\n").write(
            toFile: "\(directory)/mosquitto.conf",
            atomically: true,
            encoding: .utf8
        )
        try await start()
    }

    /// Starts (or restarts) the broker and waits until it listens.
    func start() async throws {
        let process = try ChildProcess(Self.path, ["-c", "\(directory)/mosquitto.conf"])
        child.withLock { $0 = process }
        try await Sockets.waitForListener(port: port)
    }

    /// Stops the broker with SIGTERM (it saves persistent state) and waits for it to exit.
    func stop() {
        let process = child.withLock { child in
            defer { child = nil }
            return child
        }
        process?.stop()
    }

    /// Stops the broker and deletes its directory.
    func remove() {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

import Events
import Glibc
import TestSupport
import Testing

/// A read cut in two by a daemon restart, a reload or an unplug, on a pseudo-terminal with the real daemon:
/// the tail is a `partial-frame` fault, never a scan.
@Suite("floorlinkd partial frames across a reopen", .timeLimit(.minutes(2)))
struct PartialFrameEndToEndTests {
    /// What happens between the two halves of the read.
    enum Interruption: String, CaseIterable, Sendable {
        case sigkill
        case sigterm
        case sighup
        case unplug
    }

    /// The newest events of `scanner-1` from the daemon's outbox, oldest first (across restarts: it is on disk).
    static func events(_ socket: String) async -> [JSONValue] {
        let line = #"{"id":1,"op":"events","args":{"device":"scanner-1","last":1000}}"#
        guard let reply = try? await Control.send(socket, line: line),
            case .array(let events) = reply["result"]?["events"] ?? .null
        else { return [] }
        return events
    }

    /// Waits until at least `count` events of `scanner-1` match; returns them.
    static func waitFor(
        _ socket: String,
        count: Int = 1,
        _ matches: @escaping @Sendable (JSONValue) -> Bool
    ) async -> [JSONValue]? {
        await eventually(within: .seconds(30)) { () -> [JSONValue]? in
            let found = await events(socket).filter(matches)
            return found.count >= count ? found : nil
        }
    }

    static func isType(_ type: String) -> @Sendable (JSONValue) -> Bool {
        { $0["type"]?.stringValue == type }
    }

    @Test(
        "]A0PK-PART-, then the interruption, then 00001: a partial-frame fault and no scan 00001; the next read arrives",
        .enabled(if: PseudoTerminalPair.isAvailable, "needs socat for a pseudo-terminal pair"),
        arguments: Interruption.allCases
    )
    func tailAfterInterruption(interruption: Interruption) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        var pty = try await PseudoTerminalPair(directory: scratch.directory)
        defer { pty.stop() }
        let socket = scratch.path("control.sock")
        let config = try scratch.write("site.json", json: Sites.scanner(scratch, port: pty.portPath))
        var daemon = try Floorlinkd(config: config, socket: socket, scratch: scratch)
        defer { daemon.stop() }
        try await daemon.waitUntilServing()
        let connected = await Self.waitFor(socket, Self.isType("device.connected"))
        try #require(connected != nil, "no device.connected; stderr:\n\(daemon.standardError)")

        try pty.send(Array("]A0PK-PART-".utf8))
        // Time for the daemon to read the first half (it reads within milliseconds of the write).
        try await Task.sleep(for: .milliseconds(300))
        switch interruption {
        case .sigkill, .sigterm:
            daemon.child.send(interruption == .sigkill ? SIGKILL : SIGTERM)
            let status = await daemon.child.waitForExit(timeout: .seconds(30))
            try #require(status != nil, "the daemon did not exit; stderr:\n\(daemon.standardError)")
            daemon = try Floorlinkd(config: config, socket: socket, scratch: scratch)
            try await daemon.waitUntilServing()
        case .sighup:
            daemon.child.send(SIGHUP)
        case .unplug:
            pty.stop()
            let gone = await Self.waitFor(socket, Self.isType("device.disconnected"))
            try #require(gone != nil, "no device.disconnected; stderr:\n\(daemon.standardError)")
            pty = try await PseudoTerminalPair(directory: scratch.directory)
        }
        let reconnected = await Self.waitFor(socket, count: 2, Self.isType("device.connected"))
        try #require(reconnected != nil, "no second device.connected; stderr:\n\(daemon.standardError)")

        try pty.send(Array("00001\r\n".utf8))
        let faults = await Self.waitFor(socket) {
            $0["type"]?.stringValue == "device.fault" && $0["data"]?["reason"]?.stringValue == "partial-frame"
        }
        #expect(faults != nil, "no partial-frame fault; stderr:\n\(daemon.standardError)")

        try pty.send(Array("]C0NEXT-1\r\n".utf8))
        let next = await Self.waitFor(socket) {
            $0["type"]?.stringValue == "scan" && $0["data"]?["text"]?.stringValue == "]C0NEXT-1"
        }
        #expect(next != nil, "the next whole read did not arrive; stderr:\n\(daemon.standardError)")
        let scans = await Self.events(socket).filter(Self.isType("scan"))
        #expect(scans.compactMap { $0["data"]?["text"]?.stringValue } == ["]C0NEXT-1"])
    }
}

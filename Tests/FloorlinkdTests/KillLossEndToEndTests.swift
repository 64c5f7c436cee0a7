import Devices
import Events
import Glibc
import TestSupport
import Testing

/// kill -9 while a burst of reads waits at the port: the daemon hands every frame of a read to the outbox before
/// the first is synced and reads again only once they are durable, so what it has taken but not stored is never
/// more than one read. Bytes still in the kernel's tty buffer were never taken, and are not lost.
@Suite("floorlinkd kill -9 with reads buffered at the port", .timeLimit(.minutes(3)))
struct KillLossEndToEndTests {
    static let burst = 500

    @Test(
        "kill -9 at any point of a 500-read burst loses at most one read's worth of scans; the rest are stored or unread",
        arguments: [0, 2, 10, 40]
    )
    func killLosesAtMostOneRead(afterMilliseconds delay: Int) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let pty = try HeldPseudoTerminal()
        defer { pty.close() }
        let socket = scratch.path("control.sock")
        let config = try scratch.write("site.json", json: Sites.scanner(scratch, port: pty.portPath))
        let daemon = try Floorlinkd(config: config, socket: socket, scratch: scratch)
        defer { daemon.stop() }
        try await daemon.waitUntilServing()
        let connected = await PartialFrameEndToEndTests.waitFor(
            socket,
            PartialFrameEndToEndTests.isType("device.connected")
        )
        try #require(connected != nil, "no device.connected; stderr:\n\(daemon.standardError)")

        try pty.send((0..<Self.burst).flatMap(NumberedScans.bytes))
        if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
        daemon.child.send(SIGKILL)
        let status = await daemon.child.waitForExit(timeout: .seconds(30))
        try #require(status != nil, "floorlinkd did not die")
        let unread = await pty.drainUnread()

        let stored = try await NumberedScans.storedTexts(dataDirectory: scratch.path("data"))
        let lost = NumberedScans.lost(count: Self.burst, storedTexts: stored, unread: unread)
        // The reads one port read can touch: the whole ones in it, plus one cut at each end.
        let oneRead = BarcodeScanner.readBytes / NumberedScans.frameLength + 2
        print(
            "kill -9 after \(delay) ms: \(stored.count) stored, \(unread.count) bytes unread, \(lost.count) lost"
                + " (bound \(oneRead))"
        )
        #expect(Set(stored).count == stored.count, "a read stored twice")
        #expect(lost.count <= oneRead, "lost \(lost.count): \(lost.prefix(20))")
    }
}

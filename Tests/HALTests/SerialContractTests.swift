import Foundation
import HAL
import HALLinux
import HALSimulated
import Testing

/// The contract every `SerialBackend` keeps, run on the simulated backend and on the Linux backend over a real
/// pseudo-terminal pair.
@Suite("Serial port contract")
struct SerialContractTests {
    static let backends = SerialBackendKind.available

    private func withPort(
        _ kind: SerialBackendKind,
        configuration: SerialConfiguration = SerialConfiguration(baud: 9600),
        _ body: (any SerialPort, any SerialHarness) async throws -> Void
    ) async throws {
        let harness = try await kind.makeHarness()
        defer { harness.tearDown() }
        let port = try await harness.backend.open(path: harness.path, configuration: configuration)
        defer { port.close() }
        try await body(port, harness)
    }

    /// Reads until `count` bytes have arrived or a read times out.
    private func read(_ port: any SerialPort, count: Int) async throws -> [UInt8] {
        var received: [UInt8] = []
        while received.count < count {
            received += try await port.read(maxBytes: count - received.count, timeout: .seconds(30))
        }
        return received
    }

    @Test("bytes from the reader arrive whole and in order however they are split", arguments: backends, [1, 2, 7, 64])
    func bytesArriveInOrder(kind: SerialBackendKind, chunkSize: Int) async throws {
        try await withPort(kind) { port, harness in
            let message = Array("]C10109506000134352\u{1D}10ABC123\r\n".utf8)
            for start in stride(from: 0, to: message.count, by: chunkSize) {
                try await harness.peer.send(Array(message[start..<min(start + chunkSize, message.count)]))
            }
            #expect(try await read(port, count: message.count) == message)
        }
    }

    /// What happens after a read that took everything there was (fewer bytes than it asked for).
    enum AfterShortRead: CaseIterable, Sendable {
        case moreBytesArrive
        case readerUnplugged
        case portClosed
    }

    @Test(
        "after a read that took all there was, the next read gets what comes next, or the unplug, or the close",
        arguments: backends,
        AfterShortRead.allCases
    )
    func readAfterShortRead(kind: SerialBackendKind, then next: AfterShortRead) async throws {
        try await withPort(kind) { port, harness in
            let frame = Array("]E04006141411929\r\n".utf8)
            try await harness.peer.send(frame)
            var received: [UInt8] = []
            while received.count < frame.count { received += try await port.read(maxBytes: 256, timeout: .seconds(30)) }
            #expect(received == frame)
            switch next {
            case .moreBytesArrive:
                try await harness.peer.send(Array("next\r\n".utf8))
                #expect(try await read(port, count: 6) == Array("next\r\n".utf8))
            case .readerUnplugged:
                try await harness.peer.unplug()
                await #expect(throws: HALError.disconnected(path: harness.path)) {
                    _ = try await port.read(maxBytes: 256, timeout: .seconds(30))
                }
            case .portClosed:
                port.close()
                await #expect(throws: HALError.closed(path: harness.path)) {
                    _ = try await port.read(maxBytes: 256, timeout: .seconds(30))
                }
            }
        }
    }

    @Test("all 256 byte values pass unchanged (raw mode, no translation)", arguments: backends)
    func binaryTransparent(kind: SerialBackendKind) async throws {
        try await withPort(kind) { port, harness in
            let everyByte = (0...255).map(UInt8.init)
            try await harness.peer.send(everyByte)
            #expect(try await read(port, count: everyByte.count) == everyByte)
        }
    }

    @Test("what the port writes reaches the reader", arguments: backends)
    func writesReachPeer(kind: SerialBackendKind) async throws {
        try await withPort(kind) { port, harness in
            let beep: [UInt8] = [0x16, 0x4D, 0x0D, 0x42, 0x45, 0x50, 0x42, 0x45, 0x50, 0x31, 0x2E]
            try await port.write(beep)
            try await port.drain(timeout: .seconds(30))
            #expect(try await harness.peer.receive(count: beep.count) == beep)
        }
    }

    @Test("discardInput drops what arrived and was not read; bytes sent after it arrive", arguments: backends)
    func discardInputDropsUnreadBytes(kind: SerialBackendKind) async throws {
        try await withPort(kind) { port, harness in
            // One write: the first byte read proves the rest has reached the port's input queue.
            try await harness.peer.send(Array("X00001\r\n".utf8))
            #expect(try await port.read(maxBytes: 1, timeout: .seconds(30)) == Array("X".utf8))
            try port.discardInput()
            let fresh = Array("]C0FRESH-1\r\n".utf8)
            try await harness.peer.send(fresh)
            #expect(try await read(port, count: fresh.count) == fresh)
        }
    }

    @Test(
        "an open port's USB identity is the one the enumeration lists for it; a pseudo-terminal has none",
        arguments: backends
    )
    func usbIdentityMatchesEnumeration(kind: SerialBackendKind) async throws {
        try await withPort(kind) { port, harness in
            let listed = try harness.backend.ports().first { $0.path == harness.path }
            let expected = listed.flatMap { info in
                info.usbVendorID.flatMap { vendor in
                    info.usbProductID.map {
                        SerialPortIdentity(usbVendorID: vendor, usbProductID: $0, serialNumber: info.serialNumber)
                    }
                }
            }
            #expect(port.usbIdentity == expected)
            if kind == .linuxPseudoTerminal { #expect(port.usbIdentity == nil) }
        }
    }

    @Test("a read with nothing to read times out with a typed error", arguments: backends)
    func readTimesOut(kind: SerialBackendKind) async throws {
        try await withPort(kind) { port, harness in
            async let waiting: Void = harness.peer.letTimePass(.milliseconds(50))
            await #expect(throws: HALError.timedOut(path: harness.path, operation: "read", after: .milliseconds(50))) {
                _ = try await port.read(maxBytes: 16, timeout: .milliseconds(50))
            }
            await waiting
        }
    }

    @Test(
        "unplugging the reader fails the read with disconnected; plugging it back lets a new open work",
        arguments: backends
    )
    func unplugAndReplug(kind: SerialBackendKind) async throws {
        let harness = try await kind.makeHarness()
        defer { harness.tearDown() }
        let port = try await harness.backend.open(path: harness.path, configuration: SerialConfiguration())
        try await harness.peer.unplug()
        await #expect(throws: HALError.disconnected(path: harness.path)) {
            _ = try await port.read(maxBytes: 16, timeout: .seconds(30))
        }
        port.close()
        await #expect(throws: HALError.self) {
            _ = try await harness.backend.open(path: harness.path, configuration: SerialConfiguration())
        }
        try await harness.peer.replug()
        let again = try await harness.backend.open(path: harness.path, configuration: SerialConfiguration())
        defer { again.close() }
        try await harness.peer.send(Array("back".utf8))
        #expect(try await read(again, count: 4) == Array("back".utf8))
    }

    @Test("a read waiting when the reader is unplugged is woken with disconnected", arguments: backends)
    func pendingReadSeesUnplug(kind: SerialBackendKind) async throws {
        try await withPort(kind) { port, harness in
            async let outcome: Result<[UInt8], HALError> = {
                do throws(HALError) {
                    return .success(try await port.read(maxBytes: 16, timeout: .seconds(30)))
                } catch {
                    return .failure(error)
                }
            }()
            try await Task.sleep(for: .milliseconds(20))
            try await harness.peer.unplug()
            #expect(await outcome == .failure(.disconnected(path: harness.path)))
        }
    }

    @Test("a second open of a port in use is refused as busy", arguments: backends)
    func secondOpenIsBusy(kind: SerialBackendKind) async throws {
        try await withPort(kind) { _, harness in
            await #expect {
                _ = try await harness.backend.open(path: harness.path, configuration: SerialConfiguration())
            } throws: { error in
                guard case .busy(let path, _) = error as? HALError else { return false }
                return path == harness.path
            }
        }
    }

    @Test("a closed port refuses reads and writes; closing twice is harmless", arguments: backends)
    func closedPort(kind: SerialBackendKind) async throws {
        try await withPort(kind) { port, harness in
            port.close()
            port.close()
            await #expect(throws: HALError.closed(path: harness.path)) {
                _ = try await port.read(maxBytes: 1, timeout: .milliseconds(10))
            }
            await #expect(throws: HALError.closed(path: harness.path)) {
                try await port.write([0x0D])
            }
        }
    }

    @Test("cancelling a waiting read ends it promptly", arguments: backends)
    func cancelledRead(kind: SerialBackendKind) async throws {
        try await withPort(kind) { port, _ in
            let reader = Task { try await port.read(maxBytes: 1, timeout: .seconds(30)) }
            try await Task.sleep(for: .milliseconds(20))
            reader.cancel()
            let result = await reader.result
            guard case .failure(let error) = result, case .cancelled? = error as? HALError else {
                Issue.record("expected cancelled, got \(result)")
                return
            }
        }
    }

    @Test("opening a port that does not exist says not found", arguments: backends)
    func missingPort(kind: SerialBackendKind) async throws {
        let harness = try await kind.makeHarness()
        defer { harness.tearDown() }
        let missing = "/dev/floorlink/no-such-reader"
        await #expect {
            _ = try await harness.backend.open(path: missing, configuration: SerialConfiguration())
        } throws: { error in
            guard case .notFound(let path, _) = error as? HALError else { return false }
            return path == missing
        }
    }

    @Test(
        "a line setting no backend can apply is refused before anything opens",
        arguments: backends,
        [
            SerialConfiguration(baud: 12345),
            SerialConfiguration(dataBits: 9),
            SerialConfiguration(stopBits: 3),
        ]
    )
    func invalidConfiguration(kind: SerialBackendKind, configuration: SerialConfiguration) async throws {
        let harness = try await kind.makeHarness()
        defer { harness.tearDown() }
        await #expect {
            _ = try await harness.backend.open(path: harness.path, configuration: configuration)
        } throws: { error in
            guard case .invalidConfiguration(let path, _) = error as? HALError else { return false }
            return path == harness.path
        }
        // Nothing was left open: a valid open still works.
        let port = try await harness.backend.open(path: harness.path, configuration: SerialConfiguration())
        port.close()
    }
}

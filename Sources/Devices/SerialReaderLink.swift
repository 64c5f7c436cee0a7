import Events
import HAL
import Locking

/// Keeps one serial reader connected for as long as its task runs: opens the port (retrying with backoff
/// while it is absent), discards the input the line held before the open, reports `device.connected` /
/// `device.disconnected`, and runs the driver's session on the open port until the port fails. Nothing else
/// stops when a reader is unplugged. A port that comes back with another USB identity (vendor, product, serial
/// number) than at its first open is a stranger: it is closed unread, reported once as `device.fault`
/// `identity-changed`, and retried with backoff until the original is back.
public struct SerialReaderLink: Sendable {
    public let deviceID: String
    public let path: String
    public let configuration: SerialConfiguration
    public let backoff: Backoff
    private let backend: any SerialBackend
    private let clock: any Clock
    private let events: any EventSink
    /// Shared by every `run` of this link (a supervisor restarts the driver), so a restart cannot adopt a stranger.
    private let identity = Locked(PortIdentityWatch())

    public init(
        deviceID: String,
        path: String,
        configuration: SerialConfiguration,
        backend: any SerialBackend,
        clock: any Clock,
        events: any EventSink,
        backoff: Backoff = Backoff()
    ) {
        self.deviceID = deviceID
        self.path = path
        self.configuration = configuration
        self.backend = backend
        self.clock = clock
        self.events = events
        self.backoff = backoff
    }

    /// Runs sessions until the task is cancelled. `session` returns normally only when cancelled; a thrown
    /// `HALError` ends the session, and the link reconnects.
    public func run(session: (any SerialPort) async throws(HALError) -> Void) async {
        var backoff = backoff
        var reportedAbsent = false
        var reportedStranger: SerialPortIdentity??
        var strangers = 0
        while !Task.isCancelled {
            let port: any SerialPort
            do throws(HALError) {
                port = try await openDiscardingStaleInput()
            } catch {
                if case .cancelled = error { return }
                if !reportedAbsent {
                    // Said once per outage, not once per retry.
                    await emit(.deviceDisconnected, reason: Self.reason(for: error), detail: error.description)
                    reportedAbsent = true
                }
                guard (try? await clock.sleep(for: backoff.nextDelay())) != nil else { return }
                continue
            }
            let found = port.usbIdentity
            if let expected = identity.withLock({ $0.mismatch(found) }) {
                port.close()
                if reportedStranger != .some(found) {
                    // Said once per stranger, not once per retry.
                    reportedStranger = .some(found)
                    strangers += 1
                    await reportStranger(found, expected: expected, count: strangers)
                }
                reportedAbsent = true
                guard (try? await clock.sleep(for: backoff.nextDelay())) != nil else { return }
                continue
            }
            reportedStranger = nil
            backoff.reset()
            reportedAbsent = false
            await events.emit(
                .deviceConnected,
                device: deviceID,
                data: ["port": .string(path), "settings": .string(configuration.description)]
            )
            do throws(HALError) {
                try await session(port)
                port.close()
                return
            } catch {
                port.close()
                if case .cancelled = error { return }
                if Self.reason(for: error) == "io-error" {
                    await events.emit(
                        .deviceFault,
                        device: deviceID,
                        data: ["reason": "io-error", "detail": .string(error.description), "count": 1]
                    )
                }
                await emit(.deviceDisconnected, reason: Self.reason(for: error), detail: error.description)
                reportedAbsent = true
            }
            guard (try? await clock.sleep(for: backoff.nextDelay())) != nil else { return }
        }
    }

    /// Opens the port and drops whatever the line held before this open: bytes a reader sent while nobody was
    /// reading (or the tail of a read a restart cut in two) must not be taken as a new read.
    private func openDiscardingStaleInput() async throws(HALError) -> any SerialPort {
        let port = try await backend.open(path: path, configuration: configuration)
        do throws(HALError) {
            try port.discardInput()
        } catch {
            port.close()
            throw error
        }
        return port
    }

    private func reportStranger(_ found: SerialPortIdentity?, expected: SerialPortIdentity, count: Int) async {
        let foundText = found?.description ?? "no USB identity"
        await events.emit(
            .deviceFault,
            device: deviceID,
            data: [
                "reason": "identity-changed", "port": .string(path), "expected": .string(expected.description),
                "found": .string(foundText),
                "detail": .string(
                    "\(path) now leads to \(foundText), not the \(expected) first opened there; not reading it, "
                        + "retrying until the original is back"
                ),
                "count": .int(Int64(count)),
            ]
        )
    }

    private func emit(_ type: EventType, reason: String, detail: String) async {
        await events.emit(
            type,
            device: deviceID,
            data: ["port": .string(path), "reason": .string(reason), "detail": .string(detail)]
        )
    }

    /// A stable code for why the port is gone, for the `reason` field.
    static func reason(for error: HALError) -> String {
        switch error {
        case .notFound: return "not-found"
        case .permissionDenied: return "permission-denied"
        case .busy: return "busy"
        case .disconnected: return "unplugged"
        case .notATerminal: return "not-a-terminal"
        case .invalidConfiguration: return "invalid-configuration"
        case .timedOut, .closed, .cancelled, .operationFailed, .badReply: return "io-error"
        }
    }
}

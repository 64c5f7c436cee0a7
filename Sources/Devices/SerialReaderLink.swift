import Events
import HAL

/// Keeps one serial reader connected for as long as its task runs: opens the port (retrying with backoff
/// while it is absent), discards the input the line held before the open, reports `device.connected` /
/// `device.disconnected`, and runs the driver's session on the open port until the port fails. Nothing else
/// stops when a reader is unplugged.
public struct SerialReaderLink: Sendable {
    public let deviceID: String
    public let path: String
    public let configuration: SerialConfiguration
    public let backoff: Backoff
    private let backend: any SerialBackend
    private let clock: any Clock
    private let events: any EventSink

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
        case .timedOut, .closed, .cancelled, .operationFailed: return "io-error"
        }
    }
}

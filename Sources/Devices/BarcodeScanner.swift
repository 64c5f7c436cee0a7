import Events
import HAL

/// A barcode scanner on a serial port: frames its bytes, decodes each read (AIM symbology, GS1), hands it to
/// its `ScanHandler`, and optionally answers with the scanner's good-read or bad-read beep.
public struct BarcodeScanner: Sendable {
    /// Everything a scanner needs from the site config and its device profile.
    public struct Configuration: Sendable {
        public var id: String
        public var port: String
        public var serial: SerialConfiguration
        public var framing: ScannerFramer.Configuration
        /// Whether the scanner sends AIM symbology identifiers (`]C1` …) in front of the data.
        public var aimPrefix: Bool
        /// Bytes that make the scanner beep "good read" / "bad read", where the profile defines them.
        public var goodReadCommand: [UInt8]?
        public var badReadCommand: [UInt8]?
        /// The silence that must come before the first read after the port opens for it to count as whole,
        /// where no prefix or AIM identifier marks where a read starts; zero takes the first read as it comes.
        public var quietGap: Duration

        public init(
            id: String,
            port: String,
            serial: SerialConfiguration = SerialConfiguration(baud: 9600),
            framing: ScannerFramer.Configuration = ScannerFramer.Configuration(terminator: .crlf),
            aimPrefix: Bool = true,
            goodReadCommand: [UInt8]? = nil,
            badReadCommand: [UInt8]? = nil,
            quietGap: Duration = Self.defaultQuietGap
        ) {
            self.id = id
            self.port = port
            self.serial = serial
            self.framing = framing
            self.aimPrefix = aimPrefix
            self.goodReadCommand = goodReadCommand
            self.badReadCommand = badReadCommand
            self.quietGap = quietGap
        }

        /// 100 ms: far longer than the gaps inside one read at 9600 baud, far shorter than a person takes to
        /// aim at the next label after a scanner reconnects.
        public static let defaultQuietGap: Duration = .milliseconds(100)

        /// How the first read after an open proves it is whole: by the configured prefix, else by the AIM
        /// identifier the scanner is set to send, else by the quiet gap before it.
        public var firstFrameCheck: ScannerFramer.FirstFrameCheck? {
            if !framing.prefix.isEmpty { return .prefix }
            if aimPrefix { return .aimIdentifier }
            return quietGap > .zero ? .quietGap(quietGap) : nil
        }
    }

    /// How long a read waits when the framer has no deadline: short enough to notice cancellation promptly.
    static let idleReadTimeout: Duration = .seconds(5)

    public let configuration: Configuration
    private let link: SerialReaderLink
    private let clock: any Clock
    private let events: any EventSink
    private let handler: any ScanHandler

    public init(
        configuration: Configuration,
        backend: any SerialBackend,
        clock: any Clock,
        events: any EventSink,
        handler: (any ScanHandler)? = nil,
        backoff: Backoff = Backoff()
    ) {
        self.configuration = configuration
        self.clock = clock
        self.events = events
        self.handler = handler ?? PublishingScanHandler(events: events)
        link = SerialReaderLink(
            deviceID: configuration.id,
            path: configuration.port,
            configuration: configuration.serial,
            backend: backend,
            clock: clock,
            events: events,
            backoff: backoff
        )
    }

    /// Reads scans until the task is cancelled, reconnecting whenever the scanner goes away. After every open
    /// the first read must pass `Configuration.firstFrameCheck`, or it is a `partial-frame` fault.
    ///
    /// Every frame of one read is handed on without waiting for the disk, so a burst shares one group commit;
    /// the beeps follow once each frame's outcome is known, and only then is the port read again. What was taken
    /// from the port but is not yet durable is therefore never more than one read: a kill -9 can lose at most
    /// that, while bytes left in the kernel's tty buffer wait for the next open.
    public func run() async {
        var framer = ScannerFramer(configuration: configuration.framing)
        await link.run { (port) async throws(HALError) in
            framer.portOpened(at: clock.now, check: configuration.firstFrameCheck)
            while true {
                let timeout = framer.deadline.map { max(.zero, $0 - clock.now) } ?? Self.idleReadTimeout
                let outputs: [ScannerFramer.Output]
                do throws(HALError) {
                    let bytes = try await port.read(maxBytes: Self.readBytes, timeout: timeout)
                    outputs = framer.append(bytes, at: clock.now)
                } catch {
                    guard case .timedOut = error else { throw error }
                    outputs = framer.expire(at: clock.now)
                }
                var outcomes: [PendingScanOutcome] = []
                for output in outputs {
                    outcomes.append(await take(output))
                }
                for outcome in outcomes {
                    let accepted = await outcome.outcome() == .accepted
                    let answer = accepted ? configuration.goodReadCommand : configuration.badReadCommand
                    if let answer { try await port.write(answer) }
                }
            }
        }
    }

    /// The most one read takes from the port, and so the most a kill -9 can lose: 6–17 reads of 15–40 bytes,
    /// handed on in well under a millisecond and stored by one group commit. A burst beyond it waits in the
    /// kernel's tty buffer (4 KiB and more), where it is safe, for the next read. (At 1 KiB a kill lost up to 60
    /// of 500 buffered reads, at 256 bytes up to 17; a burst still reaches the subscriber at thousands a second.)
    public static let readBytes = 256

    /// Hands a frame to the handler (a fault to the sink) and returns what decides its beep.
    private func take(_ output: ScannerFramer.Output) async -> PendingScanOutcome {
        switch output {
        case .frame(let bytes):
            let scan = Scan(device: configuration.id, bytes: bytes, aimPrefix: configuration.aimPrefix, time: clock.now)
            return await handler.submit(scan)
        case .fault(let fault):
            _ = await events.submit(.deviceFault, device: configuration.id, data: fault.eventData)
            return .settled(.rejected)
        }
    }
}

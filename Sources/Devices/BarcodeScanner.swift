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
    public func run() async {
        var framer = ScannerFramer(configuration: configuration.framing)
        await link.run { (port) async throws(HALError) in
            framer.portOpened(at: clock.now, check: configuration.firstFrameCheck)
            while true {
                let timeout = framer.deadline.map { max(.zero, $0 - clock.now) } ?? Self.idleReadTimeout
                let outputs: [ScannerFramer.Output]
                do throws(HALError) {
                    let bytes = try await port.read(maxBytes: 4096, timeout: timeout)
                    outputs = framer.append(bytes, at: clock.now)
                } catch {
                    guard case .timedOut = error else { throw error }
                    outputs = framer.expire(at: clock.now)
                }
                for output in outputs {
                    try await handle(output, port: port)
                }
            }
        }
    }

    private func handle(_ output: ScannerFramer.Output, port: any SerialPort) async throws(HALError) {
        switch output {
        case .frame(let bytes):
            let scan = Scan(device: configuration.id, bytes: bytes, aimPrefix: configuration.aimPrefix, time: clock.now)
            let outcome = await handler.handle(scan)
            let answer = outcome == .accepted ? configuration.goodReadCommand : configuration.badReadCommand
            if let answer { try await port.write(answer) }
        case .fault(let fault):
            await events.emit(.deviceFault, device: configuration.id, data: fault.eventData)
            if let bad = configuration.badReadCommand { try await port.write(bad) }
        }
    }
}

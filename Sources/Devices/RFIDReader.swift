import Events
import GS1
import HAL

/// A UHF RFID reader on a serial port: keeps it inventorying, decodes its frames with a pluggable
/// `RFIDProtocol`, folds repeated reads of a tag into one `tag.read` with a count, and reports bad frames as
/// `device.fault` with counts.
public struct RFIDReader<FrameProtocol: RFIDProtocol>: Sendable {
    public struct Configuration: Sendable {
        public var id: String
        public var port: String
        public var serial: SerialConfiguration
        /// Reads of one EPC on one antenna within this window become one event.
        public var dedupWindow: Duration
        /// Open dedup windows kept at most; beyond it the oldest is reported early.
        public var dedupCapacity: Int
        /// How often the inventory command is sent again, so a module that stopped (or was power-cycled
        /// behind a hub) resumes.
        public var inventoryRefresh: Duration

        public init(
            id: String,
            port: String,
            serial: SerialConfiguration = SerialConfiguration(baud: 115_200),
            dedupWindow: Duration = .seconds(2),
            dedupCapacity: Int = 1024,
            inventoryRefresh: Duration = .seconds(30)
        ) {
            self.id = id
            self.port = port
            self.serial = serial
            self.dedupWindow = dedupWindow
            self.dedupCapacity = dedupCapacity
            self.inventoryRefresh = inventoryRefresh
        }
    }

    /// Inventory rounds asked for per start command (the protocol's maximum).
    static var inventoryRounds: UInt16 { .max }

    public let configuration: Configuration
    private let frameProtocol: FrameProtocol
    private let link: SerialReaderLink
    private let clock: any Clock
    private let events: any EventSink

    public init(
        configuration: Configuration,
        protocol frameProtocol: FrameProtocol,
        backend: any SerialBackend,
        clock: any Clock,
        events: any EventSink,
        backoff: Backoff = Backoff()
    ) {
        self.configuration = configuration
        self.frameProtocol = frameProtocol
        self.clock = clock
        self.events = events
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

    /// Inventories until the task is cancelled, reconnecting whenever the reader goes away. Reads still in a
    /// dedup window when the reader goes away are reported, not dropped.
    public func run() async {
        await link.run { (port) async throws(HALError) in
            var codec = frameProtocol
            var dedup = TagDeduplicator(window: configuration.dedupWindow, capacity: configuration.dedupCapacity)
            do throws(HALError) {
                try await port.write(codec.encode(.startInventory(rounds: Self.inventoryRounds)))
                var refreshAt = clock.now + configuration.inventoryRefresh
                while true {
                    let deadline = min(refreshAt, dedup.deadline ?? refreshAt)
                    var reads: [TagRead] = []
                    do throws(HALError) {
                        let bytes = try await port.read(maxBytes: 4096, timeout: max(.zero, deadline - clock.now))
                        for message in codec.decode(bytes) {
                            reads += await handle(message, dedup: &dedup)
                        }
                    } catch {
                        guard case .timedOut = error else { throw error }
                    }
                    reads += dedup.expire(at: clock.now)
                    await report(reads)
                    if clock.now >= refreshAt {
                        try await port.write(codec.encode(.startInventory(rounds: Self.inventoryRounds)))
                        refreshAt = clock.now + configuration.inventoryRefresh
                    }
                }
            } catch {
                await report(dedup.flush())
                throw error
            }
        }
    }

    private func handle(_ message: RFIDMessage, dedup: inout TagDeduplicator) async -> [TagRead] {
        switch message {
        case .tag(let observation):
            return dedup.observe(observation, at: clock.now)
        case .fault(let fault):
            await events.emit(.deviceFault, device: configuration.id, data: fault.eventData)
        case .error(let code, let detail):
            if !FrameProtocol.isNoTagError(code) {
                await events.emit(
                    .deviceFault,
                    device: configuration.id,
                    data: ["reason": "module-error", "detail": .string(detail), "count": 1]
                )
            }
        case .response:
            break
        }
        return []
    }

    /// Hands on every read without waiting for the disk (one group commit covers them), then waits until they
    /// are durable before the port is read again: kill -9 loses at most what one read took.
    private func report(_ reads: [TagRead]) async {
        var receipts: [EventReceipt] = []
        for read in reads {
            receipts.append(await events.submit(.tagRead, device: configuration.id, data: Self.eventData(for: read)))
        }
        for receipt in receipts { _ = await receipt.stored() }
    }

    /// The `tag.read` event's `data`: epc (hex), uri (pure identity when decodable), rssi, antenna, count.
    static func eventData(for read: TagRead) -> JSONValue {
        let uri: JSONValue
        if let epc = try? EPC.decode(bytes: read.epc) {
            uri = .string(epc.pureIdentityURI)
        } else {
            uri = .null
        }
        return [
            "epc": .string(Hex.string(read.epc)),
            "uri": uri,
            "rssi": .int(Int64(read.peakRSSI)),
            "antenna": .int(Int64(read.antenna)),
            "count": .int(Int64(read.count)),
        ]
    }
}

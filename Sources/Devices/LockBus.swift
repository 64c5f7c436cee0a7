import Events
import HAL
import Locking

/// The one owner of an RS-485 bus of lock-controller boards: it holds the port, runs one transaction at a time
/// (half-duplex: request, reply or timeout, inter-frame gap), polls every board's sensors, carries out lock writes
/// ahead of polls, and keeps each board's health: `device.fault` per failed attempt (`no-reply`, `bad-checksum`,
/// `bad-frame`, `exception`), `device.disconnected` when a board stops answering and `device.connected` when it
/// answers again, each under the board's device id `<bus>/<address>`. The adapter itself is kept connected as a
/// reader is (`SerialReaderLink`: backoff, identity check), under the bus id.
public actor LockBus {
    private enum Work: Sendable {
        case lock(
            board: UInt8,
            channel: Int,
            energised: Bool,
            limit: Duration?,
            reply: CheckedContinuation<Result<ClockInstant, HALError>, Never>
        )
        case status(board: UInt8, reply: CheckedContinuation<Result<BoardStatus, HALError>, Never>)
        case probe(address: UInt8, timeout: Duration, reply: CheckedContinuation<Result<BoardProbe, HALError>, Never>)
    }

    private struct Board {
        var settings: LockBoardSettings
        /// nil until the board first answers or fails in a session.
        var online: Bool?
        var nextPoll: ClockInstant
        var backoff: Backoff
        var faultCounts: [String: Int] = [:]
        var lastFault: String?
    }

    private struct Channel: Hashable {
        var board: UInt8
        var channel: Int
    }

    private struct Subscribers {
        var nextID: UInt64 = 0
        var deliver: [UInt64: @Sendable (BoardStatus, ClockInstant) -> Void] = [:]
    }

    /// The bus's settings.
    public nonisolated let configuration: LockBusConfiguration
    /// The protocol its boards speak.
    public nonisolated let boardProtocol: any LockBoardProtocol
    private nonisolated let clock: any Clock
    private nonisolated let events: any EventSink
    private nonisolated let link: SerialReaderLink
    private nonisolated let work: DeviceInbox<Work>
    private nonisolated let sessionStarts: DeviceInbox<Void>
    private nonisolated let subscribers = Locked(Subscribers())
    private var line: BusLine?
    /// Sessions begun since the bus was made: none yet means the bus is still starting.
    private var sessions = 0
    private var boards: [UInt8: Board] = [:]
    /// Locks this bus switched on, and when it will switch them off itself if nobody has (host-timed boards only).
    private var hardLimits: [Channel: ClockInstant] = [:]
    /// Switch-offs asked for while the bus was down: sent first when it is back.
    private var pendingOffs: Set<Channel> = []

    /// How long a bank starting up waits for the bus's port to open before it reads the doors.
    public static let startupWait: Duration = .seconds(2)
    /// How long after a failed switch-off the bus tries again.
    static let switchOffRetry: Duration = .seconds(1)

    /// A bus on `configuration.port`; nothing is opened until `run()`.
    public init(
        configuration: LockBusConfiguration,
        boardProtocol: any LockBoardProtocol,
        backend: any SerialBackend,
        clock: any Clock,
        events: any EventSink,
        backoff: Backoff = Backoff()
    ) {
        self.configuration = configuration
        self.boardProtocol = boardProtocol
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
        work = DeviceInbox(clock: clock)
        sessionStarts = DeviceInbox(clock: clock)
        var boards: [UInt8: Board] = [:]
        for settings in configuration.boards {
            boards[settings.address] = Board(
                settings: settings,
                nextPoll: clock.now,
                backoff: Self.offlineBackoff(configuration)
            )
        }
        self.boards = boards
    }

    private static func offlineBackoff(_ configuration: LockBusConfiguration) -> Backoff {
        Backoff(initial: configuration.pollInterval, maximum: configuration.offlinePollLimit)
    }

    /// The device id a board's events carry: `<bus>/<address>`.
    public nonisolated func deviceID(board address: UInt8) -> String {
        "\(configuration.id)/\(address)"
    }

    // MARK: Callers

    /// Switches `channel` (1-based) of `board` on (released) or off, and returns when the board has it: the reply
    /// instant, or the moment the request left the port for a board that does not answer. An energised lock
    /// the bank does not switch off is switched off by the bus at `limit` after it was driven (host-timed boards).
    /// A switch-off while the bus is down is remembered and done first when it is back, so it never fails.
    public func setLock(
        board: UInt8,
        channel: Int,
        energised: Bool,
        limit: Duration? = nil
    ) async throws(HALError) -> ClockInstant {
        guard line != nil else {
            if energised { throw .disconnected(path: configuration.port) }
            if boardProtocol.lockRequest(address: board, channel: channel, energised: false) != nil {
                pendingOffs.insert(Channel(board: board, channel: channel))
            }
            return clock.now
        }
        let result = await withCheckedContinuation { continuation in
            work.send(.lock(board: board, channel: channel, energised: energised, limit: limit, reply: continuation))
        }
        return try result.get()
    }

    /// A fresh status read of `board`, ahead of the polls.
    public func status(board: UInt8) async throws(HALError) -> BoardStatus {
        guard line != nil else { throw .disconnected(path: configuration.port) }
        let result = await withCheckedContinuation { continuation in
            work.send(.status(board: board, reply: continuation))
        }
        return try result.get()
    }

    /// Reads each of `boards` once, for a bank that is starting: waits up to `startupWait` for the port to open
    /// when the bus has not opened it yet. Boards that do not answer are left out (their faults are reported).
    public func readings(of boards: [UInt8]) async -> [BoardStatus] {
        if line == nil && sessions == 0 {
            _ = await sessionStarts.next(until: clock.now + Self.startupWait)
        }
        var statuses: [BoardStatus] = []
        for board in boards {
            if let status = try? await status(board: board) { statuses.append(status) }
        }
        return statuses
    }

    /// Reads the raw bits of whatever answers at `address`, with one attempt and no events: what `floorctl locker
    /// probe` shows, so that a technician can set the polarity.
    public func probe(address: UInt8, timeout: Duration) async throws(HALError) -> BoardProbe {
        guard line != nil else { throw .disconnected(path: configuration.port) }
        let result = await withCheckedContinuation { continuation in
            work.send(.probe(address: address, timeout: timeout, reply: continuation))
        }
        return try result.get()
    }

    /// Every configured board's health, by address.
    public func health() -> [BoardHealth] {
        boards.keys.sorted().compactMap { address in
            guard let board = boards[address] else { return nil }
            let state: BoardHealth.State =
                switch board.online {
                case .none: .unknown
                case .some(true): .online
                case .some(false): .offline
                }
            return BoardHealth(
                address: address,
                state: state,
                faults: board.faultCounts.values.reduce(0, +),
                lastFault: board.lastFault
            )
        }
    }

    /// Whether the port is open.
    public var isConnected: Bool { line != nil }

    /// Calls `deliver` with each status read (polls and fresh reads), with the instant the reply was complete.
    public nonisolated func subscribe(_ deliver: @escaping @Sendable (BoardStatus, ClockInstant) -> Void) -> UInt64 {
        subscribers.withLock { subscribers in
            subscribers.nextID += 1
            subscribers.deliver[subscribers.nextID] = deliver
            return subscribers.nextID
        }
    }

    /// Stops the deliveries of `subscription`.
    public nonisolated func unsubscribe(_ subscription: UInt64) {
        _ = subscribers.withLock { $0.deliver.removeValue(forKey: subscription) }
    }

    // MARK: The loop

    /// Keeps the port open and serves the bus until the task is cancelled.
    public func run() async {
        await link.run { @Sendable (port) async throws(HALError) in
            try await self.session(on: port)
        }
        failQueuedWork(with: .cancelled(path: configuration.port, operation: "bus transaction"))
    }

    private func session(on port: any SerialPort) async throws(HALError) {
        line = BusLine(
            port: port,
            boardProtocol: boardProtocol,
            serial: configuration.serial,
            clock: clock,
            settling: boards.values.map(\.settings.timeout).max() ?? .zero
        )
        sessions += 1
        let now = clock.now
        for address in boards.keys {
            boards[address]?.nextPoll = now
            boards[address]?.backoff = Self.offlineBackoff(configuration)
        }
        sessionStarts.send(())
        do throws(HALError) {
            while true {
                switch await work.next(until: nextDeadline) {
                case .closed:
                    throw HALError.cancelled(path: configuration.port, operation: "bus loop")
                case .input(let item):
                    try await perform(item)
                case .deadline:
                    try await runDueWork()
                }
            }
        } catch {
            line = nil
            failQueuedWork(with: error)
            if case .cancelled = error {} else { await reportBusDown(error) }
            throw error
        }
    }

    private var nextDeadline: ClockInstant? {
        if !pendingOffs.isEmpty { return clock.now }
        let polls = boards.values.map(\.nextPoll)
        return (polls + Array(hardLimits.values)).min()
    }

    private func failQueuedWork(with error: HALError) {
        while let item = work.takeQueued() {
            switch item {
            case .lock(_, _, _, _, let reply): reply.resume(returning: Result.failure(error))
            case .status(_, let reply): reply.resume(returning: Result.failure(error))
            case .probe(_, _, let reply): reply.resume(returning: Result.failure(error))
            }
        }
    }

    /// Boards that answered are gone with the bus: each is reported disconnected once.
    private func reportBusDown(_ error: HALError) async {
        for address in boards.keys.sorted() where boards[address]?.online == true {
            boards[address]?.online = false
            await emit(
                .deviceDisconnected,
                board: address,
                ["reason": "bus-down", "detail": .string(error.description)]
            )
        }
    }

    /// Switch-offs asked for while the bus was down come first, then those a hard limit makes due, then the board
    /// whose poll is most overdue.
    private func runDueWork() async throws(HALError) {
        let now = clock.now
        if let pending = pendingOffs.min(by: { ($0.board, $0.channel) < ($1.board, $1.channel) }) {
            pendingOffs.remove(pending)
            _ = try await lock(board: pending.board, channel: pending.channel, energised: false, limit: nil)
            return
        }
        if let due = hardLimits.filter({ $0.value <= now }).min(by: { $0.value < $1.value })?.key {
            try await switchOff(due)
            return
        }
        // The most overdue board first; among boards due together, the lowest address.
        let due = boards.values.filter { $0.nextPoll <= now }.min {
            ($0.nextPoll, $0.settings.address) < ($1.nextPoll, $1.settings.address)
        }
        if let address = due?.settings.address {
            _ = try await poll(address)
        }
    }

    private func switchOff(_ channel: Channel) async throws(HALError) {
        guard
            let request = boardProtocol.lockRequest(address: channel.board, channel: channel.channel, energised: false)
        else {
            hardLimits[channel] = nil
            return
        }
        switch try await attempts(request, board: channel.board) {
        case .success:
            hardLimits[channel] = nil
            await emit(
                .deviceFault,
                board: channel.board,
                countingAs: "pulse-cap",
                [
                    "reason": "pulse-cap",
                    "detail": .string(
                        "channel \(channel.channel) was switched off by the bus: its off command was due and had not "
                            + "reached the board"
                    ),
                ]
            )
        case .failure:
            hardLimits[channel] = clock.now + Self.switchOffRetry
        }
    }

    private func perform(_ item: Work) async throws(HALError) {
        switch item {
        case .lock(let board, let channel, let energised, let limit, let reply):
            reply.resume(returning: try await lock(board: board, channel: channel, energised: energised, limit: limit))
        case .status(let board, let reply):
            reply.resume(returning: try await poll(board))
        case .probe(let address, let timeout, let reply):
            reply.resume(returning: .success(try await probe(address, timeout: timeout)))
        }
    }

    private func lock(
        board: UInt8,
        channel: Int,
        energised: Bool,
        limit: Duration?
    ) async throws(HALError) -> Result<ClockInstant, HALError> {
        let key = Channel(board: board, channel: channel)
        guard let request = boardProtocol.lockRequest(address: board, channel: channel, energised: energised) else {
            return .success(clock.now)
        }
        // A command nobody answers (a CU16 unlock) cannot tell a dead board from a live one: the polls can.
        if !request.expectsReply, boards[board]?.online == false {
            let last = boards[board]?.lastFault.map { " (last: \($0))" } ?? ""
            return .failure(
                .badReply(
                    path: "\(configuration.port) board \(board)",
                    detail: "not answering its status polls\(last); the \(request) was not sent"
                )
            )
        }
        switch try await attempts(request, board: board) {
        case .success(let outcome):
            let driven = outcome.instant
            if energised {
                if let limit, boardProtocol.boardPulse == nil { hardLimits[key] = driven + limit }
            } else {
                hardLimits[key] = nil
            }
            return .success(driven)
        case .failure(let fault):
            if !energised, hardLimits[key] != nil { hardLimits[key] = clock.now + Self.switchOffRetry }
            return .failure(.badReply(path: "\(configuration.port) board \(board)", detail: fault.description))
        }
    }

    private func poll(_ address: UInt8) async throws(HALError) -> Result<BoardStatus, HALError> {
        let request = boardProtocol.statusRequest(address: address)
        let outcome = try await attempts(request, board: address)
        let now = clock.now
        switch outcome {
        case .success(let reply):
            guard case .reply(.status(let status), let at) = reply else {
                return .failure(.badReply(path: "\(configuration.port) board \(address)", detail: "no status"))
            }
            boards[address]?.nextPoll = now + configuration.pollInterval
            if boards[address]?.online != true {
                boards[address]?.online = true
                boards[address]?.backoff = Self.offlineBackoff(configuration)
                await emit(.deviceConnected, board: address, [:])
            }
            let deliveries = subscribers.withLock { Array($0.deliver.values) }
            for deliver in deliveries { deliver(status, at) }
            return .success(status)
        case .failure(let fault):
            if var board = boards[address] {
                board.nextPoll = now + board.backoff.nextDelay()
                let wasOnline = board.online
                board.online = false
                boards[address] = board
                if wasOnline != false {
                    await emit(
                        .deviceDisconnected,
                        board: address,
                        ["reason": .string(fault.reason), "detail": .string(fault.detail)]
                    )
                }
            }
            return .failure(.badReply(path: "\(configuration.port) board \(address)", detail: fault.description))
        }
    }

    /// Runs `request` with the board's retries; each failed attempt is a `device.fault` while the board is not
    /// known to be offline. Returns the reply (or the send, for a request nobody answers), or the last fault.
    private func attempts(
        _ request: BoardRequest,
        board address: UInt8
    ) async throws(HALError) -> Result<BusLine.Outcome, BoardFault> {
        guard var line else { throw .disconnected(path: configuration.port) }
        let settings = boards[address]?.settings ?? LockBoardSettings(address: address)
        var lastFault = BoardFault(reason: BoardFault.Reason.noReply, detail: "not sent")
        for _ in 0...settings.retries {
            let outcome = try await line.transact(request, timeout: settings.timeout)
            self.line = line
            switch outcome {
            case .reply, .sent:
                return .success(outcome)
            case .fault(let fault):
                lastFault = fault
                boards[address]?.lastFault = fault.description
                if boards[address]?.online != false {
                    var data: [(String, JSONValue)] = [
                        ("reason", .string(fault.reason)), ("detail", .string(fault.detail)),
                    ]
                    if let code = fault.code { data.append(("code", .int(Int64(code)))) }
                    await emit(.deviceFault, board: address, countingAs: fault.reason, .object(data))
                }
            }
        }
        return .failure(lastFault)
    }

    private func probe(_ address: UInt8, timeout: Duration) async throws(HALError) -> BoardProbe {
        guard var line else { throw .disconnected(path: configuration.port) }
        defer { self.line = line }
        let status = try await line.transact(boardProtocol.statusRequest(address: address), timeout: timeout)
        guard case .reply(.status(let bits), _) = status else {
            if case .fault(let fault) = status {
                return BoardProbe(address: address, lockBits: nil, sensorBits: nil, fault: fault)
            }
            return BoardProbe(address: address, lockBits: nil, sensorBits: nil, fault: nil)
        }
        var locks = bits.lockBits
        if locks == nil, let request = boardProtocol.lockBitsRequest(address: address),
            case .reply(.lockBits(let coils), _) = try await line.transact(request, timeout: timeout)
        {
            locks = coils
        }
        return BoardProbe(address: address, lockBits: locks, sensorBits: bits.sensorBits, fault: nil)
    }

    /// A board event: device `<bus>/<address>`, with `bus`, `board` and `port` before `data`'s members; a fault
    /// also carries its running count per reason.
    private func emit(
        _ type: EventType,
        board address: UInt8,
        countingAs reason: String? = nil,
        _ data: JSONValue
    )
        async
    {
        var members: [(String, JSONValue)] = [
            ("bus", .string(configuration.id)), ("board", .int(Int64(address))), ("port", .string(configuration.port)),
        ]
        if case .object(let extra) = data { members += extra }
        if let reason {
            let count = (boards[address]?.faultCounts[reason] ?? 0) + 1
            boards[address]?.faultCounts[reason] = count
            members.append(("count", .int(Int64(count))))
        }
        await events.emit(type, device: deviceID(board: address), data: .object(members))
    }
}

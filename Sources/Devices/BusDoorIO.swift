import HAL
import Locking

/// Where one locker door sits on a bus: the bus, the board's address and the channel (1-based) of its lock and
/// its sensor.
public struct BusDoorAddress: Sendable {
    /// The door's configured id.
    public var door: String
    /// The bus the board is on.
    public var bus: LockBus
    /// The board's address.
    public var board: UInt8
    /// The lock and sensor channel, 1-based as printed on the board.
    public var channel: Int

    /// Addresses one door.
    public init(door: String, bus: LockBus, board: UInt8, channel: Int) {
        self.door = door
        self.bus = bus
        self.board = board
        self.channel = channel
    }
}

/// Locker doors on RS-485 lock-controller boards, behind the same `DoorIO` seam as GPIO doors: lock writes go
/// through the bus's transactions, and the sensor bits its polls read come to the bank as level changes, stamped
/// with the instant the reply arrived, to be debounced like GPIO edges. The bus owns the port; this only maps
/// doors to boards and channels, applying the board protocol's sensor polarity.
public final class BusDoorIO: DoorIO {
    private struct BoardKey: Hashable {
        var bus: ObjectIdentifier
        var board: UInt8
    }

    private let doors: [BusDoorAddress]
    private let byID: [String: BusDoorAddress]
    private let byBoard: [BoardKey: [BusDoorAddress]]
    private let maxPulse: Duration?
    private let clock: any Clock
    /// The last sensor level handed to the bank per door: only changes go on.
    private let levels = Locked<[String: Bool]>([:])
    private let subscriptions = Locked<[(bus: LockBus, id: UInt64)]>([])

    /// Doors at `doors`; with `maxPulse`, a host-timed lock the bank leaves on is switched off by the bus after it.
    public init(doors: [BusDoorAddress], clock: any Clock, maxPulse: Duration? = nil) {
        self.doors = doors
        self.clock = clock
        self.maxPulse = maxPulse
        var byID: [String: BusDoorAddress] = [:]
        var byBoard: [BoardKey: [BusDoorAddress]] = [:]
        for door in doors {
            byID[door.door] = door
            byBoard[BoardKey(bus: ObjectIdentifier(door.bus), board: door.board), default: []].append(door)
        }
        self.byID = byID
        self.byBoard = byBoard
    }

    deinit {
        for subscription in subscriptions.withLock({ $0 }) { subscription.bus.unsubscribe(subscription.id) }
    }

    /// The distinct buses the doors are on, in door order.
    private var buses: [LockBus] {
        var seen: Set<ObjectIdentifier> = []
        return doors.compactMap { seen.insert(ObjectIdentifier($0.bus)).inserted ? $0.bus : nil }
    }

    /// Switches the door's lock through its bus; returns when the board had the command.
    @discardableResult
    public func setLock(door: String, energised: Bool) async throws(HALError) -> ClockInstant {
        guard let address = byID[door] else {
            throw .notFound(path: "locker door \(door)", detail: "no bus channel is configured for this door")
        }
        return try await address.bus.setLock(
            board: address.board,
            channel: address.channel,
            energised: energised,
            limit: maxPulse
        )
    }

    /// Reads every board once (waiting for a bus that is starting); doors of boards that do not answer are left
    /// out and read closed until their board answers. Throws when no board answered at all.
    public func currentLevels() async throws(HALError) -> [DoorSignal] {
        var signals: [DoorSignal] = []
        var answered = false
        for bus in buses {
            let boards = Array(Set(doors.filter { $0.bus === bus }.map(\.board))).sorted()
            for status in await bus.readings(of: boards) {
                answered = true
                signals += changes(in: status, on: bus, at: nil)
            }
        }
        if !answered, let first = doors.first {
            throw .badReply(
                path: first.bus.configuration.port,
                detail: "no lock board of this bank answered its first status read"
            )
        }
        return signals
    }

    /// Subscribes to every bus's status reads and forwards the sensor changes of this bank's doors.
    public func start(deliver: @escaping @Sendable (DoorSignal) -> Void) throws(HALError) {
        var added: [(bus: LockBus, id: UInt64)] = []
        for bus in buses {
            let id = bus.subscribe { [weak self] status, at in
                guard let self else { return }
                for signal in self.changes(in: status, on: bus, at: at) { deliver(signal) }
            }
            added.append((bus, id))
        }
        subscriptions.withLock { $0 += added }
    }

    /// Stops forwarding. The bank has switched every lock off before it closes its I/O; the buses run on.
    public func close() {
        let ended = subscriptions.withLock { subscriptions in
            defer { subscriptions = [] }
            return subscriptions
        }
        for subscription in ended { subscription.bus.unsubscribe(subscription.id) }
    }

    /// The doors of `status`'s board whose level differs from the last one handed on (all of them the first time),
    /// recorded as handed on. `at` nil: the bank's initial levels, every door of the board, stamped now.
    private func changes(in status: BoardStatus, on bus: LockBus, at: ClockInstant?) -> [DoorSignal] {
        guard let doors = byBoard[BoardKey(bus: ObjectIdentifier(bus), board: status.address)] else { return [] }
        let openWhenSet = bus.boardProtocol.sensorOpenWhenSet
        return levels.withLock { levels in
            doors.compactMap { door -> DoorSignal? in
                guard door.channel >= 1, door.channel <= status.sensorBits.count else { return nil }
                let open = status.sensorBits[door.channel - 1] == openWhenSet
                guard levels[door.door] != open || at == nil else { return nil }
                levels[door.door] = open
                return DoorSignal(door: door.door, kind: .sensor, value: open, time: at ?? clock.now)
            }
        }
    }
}

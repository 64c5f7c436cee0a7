import HAL
import Locking

/// The far end of a simulated RS-485 bus: lock-controller boards that answer the host's requests on a
/// `SimulatedSerialDevice`, as CU16-class boards or Modbus RTU relay/input boards do. Doors spring open when their
/// lock is released and close when told; each board can be made to misbehave (no reply, a bad checksum, a slow
/// reply, an answer under another address, a Modbus exception). The frames are built here from the protocol
/// documents, independently of the host's codecs in Devices, so that the two check each other.
public final class SimulatedLockBoardBus: Sendable {
    /// The protocol every board on the bus speaks, with the settings a profile would give.
    public enum BoardProtocol: Sendable {
        /// CU16-class: `lockReleasedWhenSet` and `sensorOpenWhenSet` are the raw bits' polarities; the board
        /// releases a lock for `pulse` per unlock; `echoesUnlock` boards answer an unlock with its echo.
        case cu16(
            lockReleasedWhenSet: Bool = true,
            sensorOpenWhenSet: Bool = true,
            pulse: Duration = .milliseconds(500),
            echoesUnlock: Bool = false
        )
        /// Modbus RTU: coil `firstCoil + N - 1` releases lock N while it is on; door sensors are discrete inputs
        /// from `firstInput` (and input registers from `firstInput`, sixteen to a register, channel 1 in bit 0).
        case modbusRTU(firstCoil: UInt16 = 0, firstInput: UInt16 = 0, sensorOpenWhenSet: Bool = true)
    }

    /// How a board misbehaves.
    public enum Fault: Hashable, Sendable {
        /// Silent, and deaf too: the board acts on nothing (powered off, cable cut).
        case noReply
        /// Answers with its last byte flipped.
        case badChecksum
        /// Answers after `Duration`, on the bus's clock.
        case slowReply(Duration)
        /// Answers with another board's address in its frame.
        case wrongAddress(UInt8)
        /// Answers every Modbus request with this exception code.
        case exception(UInt8)
    }

    /// One change of a simulated lock, as a test reads it back.
    public struct LockChange: Hashable, Sendable {
        public var time: ClockInstant
        public var channel: Int
        public var released: Bool
    }

    private struct Board {
        var channels: Int
        var released: [Bool]
        var open: [Bool]
        var springOpen: Bool
        var fault: Fault?
        var history: [LockChange] = []
        var pulseGeneration: [Int]
        var requests = 0
    }

    /// One whole request seen on the wire, whoever it was for.
    public struct Request: Hashable, Sendable {
        public var time: ClockInstant
        public var bytes: [UInt8]
    }

    private struct State {
        var boards: [UInt8: Board] = [:]
        var received: [UInt8] = []
        var log: [Request] = []
    }

    /// The serial device the boards answer on.
    public let device: SimulatedSerialDevice
    /// Their protocol.
    public let boardProtocol: BoardProtocol
    private let clock: any Clock
    private let state = Locked(State())
    /// Delayed replies and pulse ends still to come, by id: cancelled when the bus goes away, so a test that ends
    /// mid-pulse leaves no task asleep on its clock.
    private let timers = Locked<(next: UInt64, running: [UInt64: Task<Void, Never>])>((0, [:]))

    /// Puts a bus of boards (none yet) on `device`'s far end.
    public init(device: SimulatedSerialDevice, protocol boardProtocol: BoardProtocol, clock: any Clock) {
        self.device = device
        self.boardProtocol = boardProtocol
        self.clock = clock
        device.respond { [weak self] bytes in self?.receive(bytes) }
    }

    deinit {
        for timer in timers.withLock({ $0.running.values }) { timer.cancel() }
    }

    /// Runs `body` when the clock reaches `deadline`, unless the bus is gone by then.
    private func at(_ deadline: ClockInstant, _ body: @escaping @Sendable (SimulatedLockBoardBus) -> Void) {
        let clock = clock
        timers.withLock { timers in
            timers.next += 1
            let id = timers.next
            // Made under the lock, so the task's own removal (which takes the lock) always finds it.
            timers.running[id] = Task { [weak self] in
                let reached = (try? await clock.sleep(until: deadline)) != nil
                guard let self else { return }
                self.timers.withLock { _ = $0.running.removeValue(forKey: id) }
                if reached { body(self) }
            }
        }
    }

    /// Adds a board at `address` with every lock held and every door closed.
    public func addBoard(address: UInt8, channels: Int = 16, springOpen: Bool = true) {
        state.withLock { state in
            state.boards[address] = Board(
                channels: channels,
                released: Array(repeating: false, count: channels),
                open: Array(repeating: false, count: channels),
                springOpen: springOpen,
                pulseGeneration: Array(repeating: 0, count: channels)
            )
        }
    }

    /// Opens or closes the door of `channel` (1-based) by hand.
    public func setDoor(board address: UInt8, channel: Int, open: Bool) {
        state.withLock { state in
            guard let board = state.boards[address], (1...board.channels).contains(channel) else { return }
            state.boards[address]?.open[channel - 1] = open
        }
    }

    /// Whether the door of `channel` is open.
    public func isDoorOpen(board address: UInt8, channel: Int) -> Bool {
        state.withLock { $0.boards[address].map { $0.open[channel - 1] } ?? false }
    }

    /// Whether the lock of `channel` is released right now.
    public func isLockReleased(board address: UInt8, channel: Int) -> Bool {
        state.withLock { $0.boards[address].map { $0.released[channel - 1] } ?? false }
    }

    /// Makes the board misbehave from now on, or behave again (nil).
    public func setFault(board address: UInt8, _ fault: Fault?) {
        state.withLock { $0.boards[address]?.fault = fault }
    }

    /// Every change of the board's locks, oldest first.
    public func lockHistory(board address: UInt8) -> [LockChange] {
        state.withLock { $0.boards[address]?.history ?? [] }
    }

    /// Every whole request seen on the wire, oldest first.
    public var requests: [Request] {
        state.withLock { $0.log }
    }

    /// How many requests addressed to the board it has seen (answered or not).
    public func requestCount(board address: UInt8) -> Int {
        state.withLock { $0.boards[address]?.requests ?? 0 }
    }

    // MARK: The wire

    private func receive(_ bytes: [UInt8]) {
        let replies = state.withLock { state -> [(reply: [UInt8], delay: Duration?)] in
            state.received += bytes
            var replies: [(reply: [UInt8], delay: Duration?)] = []
            while let (length, reply) = nextRequest(in: &state) {
                state.received.removeFirst(length)
                if let reply { replies.append(reply) }
            }
            return replies
        }
        for (reply, delay) in replies {
            guard let delay else {
                device.feed(reply)
                continue
            }
            at(clock.now + delay) { bus in bus.device.feed(reply) }
        }
    }

    /// Cuts the next whole request off the front of what was received (dropping bytes that start none) and
    /// answers it: nil when no whole request is buffered yet.
    private func nextRequest(in state: inout State) -> (Int, (reply: [UInt8], delay: Duration?)?)? {
        while !state.received.isEmpty {
            let length: Int?
            switch boardProtocol {
            case .cu16: length = cu16RequestLength(state.received)
            case .modbusRTU: length = modbusRequestLength(state.received)
            }
            guard let length else {
                state.received.removeFirst()
                continue
            }
            guard state.received.count >= length else { return nil }
            let frame = Array(state.received.prefix(length))
            state.log.append(Request(time: clock.now, bytes: frame))
            let answer: [UInt8]?
            switch boardProtocol {
            case .cu16(let lockReleasedWhenSet, let sensorOpenWhenSet, let pulse, let echoesUnlock):
                guard frame[4] == 0x03, frame[5] == Self.sum(frame.prefix(5)) else {
                    state.received.removeFirst()
                    continue
                }
                answer = answerCU16(
                    frame,
                    in: &state,
                    polarity: (lockReleasedWhenSet, sensorOpenWhenSet),
                    pulse: pulse,
                    echoesUnlock: echoesUnlock
                )
            case .modbusRTU(let firstCoil, let firstInput, let sensorOpenWhenSet):
                guard Self.crc(frame.dropLast(2)) == UInt16(frame[length - 2]) | UInt16(frame[length - 1]) << 8 else {
                    state.received.removeFirst()
                    continue
                }
                answer = answerModbus(
                    frame,
                    in: &state,
                    firstCoil: firstCoil,
                    firstInput: firstInput,
                    sensorOpenWhenSet: sensorOpenWhenSet
                )
            }
            guard let answer, let fault = state.boards[isCU16 ? frame[1] : frame[0]]?.fault
            else {
                return (length, answer.map { ($0, nil) })
            }
            return (length, misbehave(answer, fault))
        }
        return nil
    }

    private var isCU16: Bool {
        if case .cu16 = boardProtocol { return true }
        return false
    }

    private func misbehave(_ reply: [UInt8], _ fault: Fault) -> (reply: [UInt8], delay: Duration?)? {
        var reply = reply
        switch fault {
        case .noReply:
            return nil
        case .badChecksum:
            reply[reply.count - 1] ^= 0xFF
            return (reply, nil)
        case .slowReply(let delay):
            return (reply, delay)
        case .wrongAddress(let other):
            if isCU16 {
                reply[1] = other
                reply[reply.count - 1] = Self.sum(reply.dropLast())
            } else {
                reply[0] = other
                reply = Self.withCRC(Array(reply.dropLast(2)))
            }
            return (reply, nil)
        case .exception:
            // Modbus boards answer with the exception already; CU16 boards have none and answer as usual.
            return (reply, nil)
        }
    }

    // MARK: CU16

    private func cu16RequestLength(_ bytes: [UInt8]) -> Int? {
        bytes.first == 0x02 ? 6 : nil
    }

    private func answerCU16(
        _ frame: [UInt8],
        in state: inout State,
        polarity: (lockReleasedWhenSet: Bool, sensorOpenWhenSet: Bool),
        pulse: Duration,
        echoesUnlock: Bool
    ) -> [UInt8]? {
        let address = frame[1]
        guard var board = state.boards[address] else { return nil }
        board.requests += 1
        defer { state.boards[address] = board }
        guard board.fault != .noReply else { return nil }
        switch frame[3] {
        case 0x30:
            let word = { (values: [Bool], whenSet: Bool) -> UInt16 in
                values.enumerated().reduce(UInt16(0)) { bits, item in
                    item.offset < 16 && item.element == whenSet ? bits | 1 << UInt16(item.offset) : bits
                }
            }
            let locks = word(board.released, polarity.lockReleasedWhenSet)
            let sensors = word(board.open, polarity.sensorOpenWhenSet)
            var reply: [UInt8] = [
                0x02, address, 0x35, UInt8(locks & 0xFF), UInt8(locks >> 8), UInt8(sensors & 0xFF), UInt8(sensors >> 8),
                0x03,
            ]
            reply.append(Self.sum(reply))
            return reply
        case 0x31:
            let channel = Int(frame[2]) + 1
            guard channel <= board.channels else { return nil }
            release(&board, channel: channel, address: address, for: pulse)
            return echoesUnlock ? frame : nil
        default:
            return nil
        }
    }

    /// Releases a lock for the board's own pulse, then holds it again (unless another unlock came meanwhile).
    private func release(_ board: inout Board, channel: Int, address: UInt8, for pulse: Duration) {
        let now = clock.now
        setLock(&board, channel: channel, released: true, at: now)
        board.pulseGeneration[channel - 1] += 1
        let generation = board.pulseGeneration[channel - 1]
        at(now + pulse) { bus in
            bus.endPulse(board: address, channel: channel, generation: generation, at: now + pulse)
        }
    }

    private func endPulse(board address: UInt8, channel: Int, generation: Int, at time: ClockInstant) {
        state.withLock { state in
            guard var board = state.boards[address], board.pulseGeneration[channel - 1] == generation else { return }
            setLock(&board, channel: channel, released: false, at: time)
            state.boards[address] = board
        }
    }

    private func setLock(_ board: inout Board, channel: Int, released: Bool, at time: ClockInstant) {
        guard board.released[channel - 1] != released else { return }
        board.released[channel - 1] = released
        board.history.append(LockChange(time: time, channel: channel, released: released))
        if released && board.springOpen { board.open[channel - 1] = true }
    }

    static func sum(_ bytes: some Sequence<UInt8>) -> UInt8 {
        bytes.reduce(0, &+)
    }

    // MARK: Modbus RTU

    private func modbusRequestLength(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return bytes.isEmpty ? nil : Int.max }
        switch bytes[1] {
        case 0x01, 0x02, 0x03, 0x04, 0x05, 0x06: return 8
        case 0x0F, 0x10: return bytes.count >= 7 ? 9 + Int(bytes[6]) : Int.max
        default: return nil
        }
    }

    private func answerModbus(
        _ frame: [UInt8],
        in state: inout State,
        firstCoil: UInt16,
        firstInput: UInt16,
        sensorOpenWhenSet: Bool
    ) -> [UInt8]? {
        let unit = frame[0]
        guard var board = state.boards[unit] else { return nil }
        board.requests += 1
        defer { state.boards[unit] = board }
        guard board.fault != .noReply else { return nil }
        let function = frame[1]
        let word = { (offset: Int) in UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1]) }
        let exception = { (code: UInt8) in Self.withCRC([unit, function | 0x80, code]) }
        // A board that refuses acts on nothing.
        if case .exception(let code) = board.fault { return exception(code) }
        let start = Int(word(2))
        switch function {
        case 0x01, 0x02:
            let first = Int(function == 0x01 ? firstCoil : firstInput)
            let count = Int(word(4))
            guard count >= 1, start >= first, start - first + count <= board.channels else { return exception(0x02) }
            let values =
                function == 0x01
                ? Array(board.released[(start - first)..<(start - first + count)])
                : board.open[(start - first)..<(start - first + count)].map { $0 == sensorOpenWhenSet }
            var bytes = [UInt8](repeating: 0, count: (count + 7) / 8)
            for (index, value) in values.enumerated() where value { bytes[index / 8] |= 1 << UInt8(index % 8) }
            return Self.withCRC([unit, function, UInt8(bytes.count)] + bytes)
        case 0x04:
            let count = Int(word(4))
            let registers = (board.channels + 15) / 16
            guard count >= 1, start >= Int(firstInput), start - Int(firstInput) + count <= registers else {
                return exception(0x02)
            }
            var reply: [UInt8] = [unit, function, UInt8(count * 2)]
            for register in (start - Int(firstInput))..<(start - Int(firstInput) + count) {
                var value: UInt16 = 0
                for bit in 0..<16 where register * 16 + bit < board.channels {
                    if board.open[register * 16 + bit] == sensorOpenWhenSet { value |= 1 << UInt16(bit) }
                }
                reply += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return Self.withCRC(reply)
        case 0x05:
            let channel = start - Int(firstCoil) + 1
            guard (1...board.channels).contains(channel) else { return exception(0x02) }
            guard word(4) == 0xFF00 || word(4) == 0x0000 else { return exception(0x03) }
            setLock(&board, channel: channel, released: word(4) == 0xFF00, at: clock.now)
            return frame
        case 0x0F:
            let count = Int(word(4))
            guard count >= 1, start >= Int(firstCoil), start - Int(firstCoil) + count <= board.channels else {
                return exception(0x02)
            }
            for index in 0..<count {
                let on = frame[7 + index / 8] & (1 << UInt8(index % 8)) != 0
                setLock(&board, channel: start - Int(firstCoil) + index + 1, released: on, at: clock.now)
            }
            return Self.withCRC(Array(frame.prefix(6)))
        default:
            return exception(0x01)
        }
    }

    static func crc(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0xFFFF
        for byte in bytes {
            crc ^= UInt16(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xA001 : crc >> 1 }
        }
        return crc
    }

    static func withCRC(_ frame: [UInt8]) -> [UInt8] {
        let crc = crc(frame)
        return frame + [UInt8(crc & 0xFF), UInt8(crc >> 8)]
    }
}

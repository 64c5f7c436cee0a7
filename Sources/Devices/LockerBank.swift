import Events
import HAL
import Locking

/// A smart locker bank: the async shell around `LockerBankState`. One loop owns the state; door signals and
/// commands reach it through a `DeviceInbox`, and it carries out the state's actions on the `DoorIO` and the
/// `EventSink`. A class because callers and the loop share one inbox and one table of awaited answers;
/// everything it holds is immutable or behind a `Locked`.
public final class LockerBank: Sendable {
    private typealias Answer = Result<LockerReply, LockerError>

    private struct Replies {
        var nextID: UInt64 = 0
        var waiting: [UInt64: CheckedContinuation<Answer, Never>] = [:]
        var stopped = false
    }

    /// The bank's settings.
    public let configuration: LockerBankConfiguration
    private let io: any DoorIO
    private let clock: any Clock
    private let events: any EventSink
    private let inbox: DeviceInbox<LockerInput>
    private let replies = Locked(Replies())

    /// Makes a bank over `io`; nothing happens until `run()`.
    public init(configuration: LockerBankConfiguration, io: any DoorIO, clock: any Clock, events: any EventSink) {
        self.configuration = configuration
        self.io = io
        self.clock = clock
        self.events = events
        inbox = DeviceInbox(clock: clock)
    }

    /// The device id events carry.
    public var id: String { configuration.id }

    // MARK: Commands

    /// Unlocks `door` for the configured pulse, or `pulse` clamped to `maxPulse`; returns once the unlock has
    /// started or been queued behind `maxConcurrentUnlocks`.
    public func open(door: String, reason: UnlockReason = .remote, pulse: Duration? = nil) async throws(LockerError) {
        _ = try await send(.open(door: door, reason: reason, pulse: pulse))
    }

    /// Reserves `door` for `order` with a pickup code (stored only salted and hashed) valid until `expiresAt`,
    /// by default `codeTTL` from now.
    public func assign(
        door: String,
        order: String,
        pickupCode: String,
        expiresAt: ClockInstant? = nil
    )
        async throws(LockerError)
    {
        _ = try await send(.assign(door: door, order: order, pickupCode: pickupCode, expiresAt: expiresAt))
    }

    /// Frees `door` from its order.
    public func release(door: String) async throws(LockerError) {
        _ = try await send(.release(door: door))
    }

    /// A pickup code from the bank's code reader `keypad`; returns the door it unlocked.
    @discardableResult
    public func submitCode(_ code: String, keypad: String) async throws(LockerError) -> String {
        guard case .door(let door) = try await send(.pickupCode(code, keypad: keypad)) else { return "" }
        return door
    }

    /// Every door's state, in configuration order.
    public func status() async throws(LockerError) -> [DoorStatus] {
        guard case .status(let doors) = try await send(.status) else { return [] }
        return doors
    }

    private func send(_ command: LockerCommand) async throws(LockerError) -> LockerReply {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Answer, Never>) in
            let id = replies.withLock { replies -> UInt64? in
                guard !replies.stopped else { return nil }
                replies.nextID += 1
                replies.waiting[replies.nextID] = continuation
                return replies.nextID
            }
            guard let id else {
                continuation.resume(returning: .failure(.notRunning))
                return
            }
            inbox.send(.command(command, reply: id))
        }
        return try result.get()
    }

    // MARK: The loop

    /// Runs the bank until the task is cancelled: reads the initial levels, forwards door signals, applies
    /// inputs and deadlines in order. On the way out every lock is de-energised and waiting callers get
    /// `notRunning`. Call once.
    public func run() async {
        var faults = 0
        var levels: [DoorSignal] = []
        do {
            levels = try io.currentLevels()
        } catch {
            faults += 1
            await reportFault(error, count: faults)
        }
        var state = LockerBankState(configuration: configuration, initialLevels: levels, now: clock.now)
        state.lockAll(at: clock.now)
        faults = await perform(on: &state, faults: faults)
        do {
            try io.start { [inbox] signal in inbox.send(.signal(signal)) }
        } catch {
            faults += 1
            await reportFault(error, count: faults)
        }

        loop: while true {
            var reply: (id: UInt64, result: Answer)?
            switch await inbox.next(until: state.deadline) {
            case .closed:
                break loop
            case .deadline:
                state.expire(at: clock.now)
            case .input(.signal(var signal)):
                // An edge cannot come from the future; a backend stamping another timeline must not skip deadlines.
                signal.time = min(signal.time, clock.now)
                state.signal(signal)
            case .input(.command(let command, let id)):
                reply = (id, apply(command, to: &state))
            }
            faults = await perform(on: &state, faults: faults)
            if let reply {
                replies.withLock { $0.waiting.removeValue(forKey: reply.id) }?.resume(returning: reply.result)
            }
        }

        state.lockAll(at: clock.now)
        _ = await perform(on: &state, faults: faults)
        io.close()
        inbox.close()
        let abandoned = replies.withLock { replies in
            replies.stopped = true
            defer { replies.waiting = [:] }
            return Array(replies.waiting.values)
        }
        for continuation in abandoned {
            continuation.resume(returning: .failure(.notRunning))
        }
    }

    private func apply(_ command: LockerCommand, to state: inout LockerBankState) -> Answer {
        let now = clock.now
        do throws(LockerError) {
            switch command {
            case .open(let door, let reason, let pulse):
                try state.unlock(door: door, reason: reason, requestedPulse: pulse, at: now)
                return .success(.done)
            case .assign(let door, let order, let code, let expiresAt):
                try state.assign(door: door, order: order, pickupCode: code, expiresAt: expiresAt, at: now)
                return .success(.done)
            case .release(let door):
                try state.release(door: door, at: now)
                return .success(.done)
            case .pickupCode(let code, let keypad):
                return .success(.door(try state.pickupCode(code, keypad: keypad, at: now)))
            case .status:
                state.expire(at: now)
                return .success(.status(state.status()))
            }
        } catch {
            return .failure(error)
        }
    }

    /// Carries out the state's pending actions: every lock write first, in order, then every event, in order, so
    /// that a slow event sink never holds a lock energised. Each energising write tells the state when the line
    /// was driven, so the pulse is timed from there. A lock write that fails becomes a `device.fault` event.
    /// Returns the updated fault count.
    private func perform(on state: inout LockerBankState, faults: Int) async -> Int {
        let actions = state.takeActions()
        var faults = faults
        let lockWrites = actions.filter { if case .emit = $0 { false } else { true } }
        let reports = actions.filter { if case .emit = $0 { true } else { false } }
        for action in lockWrites + reports {
            do throws(HALError) {
                switch action {
                case .energise(let door):
                    // A stamp from another timeline must not put the pulse's end in the future beyond now + pulse.
                    let driven = try io.setLock(door: door, energised: true)
                    state.lockDriven(door: door, at: min(driven, clock.now))
                case .deenergise(let door):
                    try io.setLock(door: door, energised: false)
                case .emit(let type, let data):
                    await events.emit(type, device: configuration.id, data: data)
                }
            } catch {
                faults += 1
                await reportFault(error, count: faults)
            }
        }
        return faults
    }

    private func reportFault(_ error: HALError, count: Int) async {
        let data: JSONValue = [
            "reason": "io-error",
            "detail": .string(error.description),
            "count": .int(Int64(count)),
        ]
        await events.emit(.deviceFault, device: configuration.id, data: data)
    }
}

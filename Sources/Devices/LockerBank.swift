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
    private let store: (any LockerStateStore)?
    private let wallClock: @Sendable () -> EventTime
    private let replies = Locked(Replies())

    /// Makes a bank over `io`; nothing happens until `run()`. With a `store`, orders and keypads' wrong codes are
    /// restored from it at start and every change is stored there before it is acknowledged or acted on.
    /// `wallClock` tells the time of day for times events carry as UTC (a keypad's `lockedUntil`); tests pass a
    /// fixed one.
    public init(
        configuration: LockerBankConfiguration,
        io: any DoorIO,
        clock: any Clock,
        events: any EventSink,
        store: (any LockerStateStore)? = nil,
        wallClock: @escaping @Sendable () -> EventTime = { EventTime.now() }
    ) {
        self.configuration = configuration
        self.io = io
        self.clock = clock
        self.events = events
        self.store = store
        self.wallClock = wallClock
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
        _ = try await send(.assign(door: door, order: order, code: .code(pickupCode), expiresAt: expiresAt))
    }

    /// Reserves `door` for `order` with a pickup code hashed upstream: `pbkdf2-sha256$ITERATIONS$SALT$DIGEST`.
    public func assign(
        door: String,
        order: String,
        pickupCodeDigest: String,
        expiresAt: ClockInstant? = nil
    )
        async throws(LockerError)
    {
        _ = try await send(.assign(door: door, order: order, code: .digest(pickupCodeDigest), expiresAt: expiresAt))
    }

    /// Clears keypad `keypad` after its wrong-code budget blocked it (a technician's decision).
    public func unblockKeypad(_ keypad: String) async throws(LockerError) {
        _ = try await send(.unblockKeypad(keypad))
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

    /// Every keypad that entered a wrong code (or is blocked), with its lock-out's end as a UTC time.
    public func keypads() async throws(LockerError) -> [KeypadStatus] {
        guard case .keypads(let keypads) = try await send(.keypads) else { return [] }
        return keypads
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
            levels = try await io.currentLevels()
        } catch {
            faults += 1
            await reportFault(error, count: faults)
        }
        var state = LockerBankState(configuration: configuration, initialLevels: levels, now: clock.now)
        var stored = LockerRecords()
        do throws(LockerError) {
            stored = try store?.load() ?? stored
            try state.restore(stored)
        } catch {
            // Orders are never dropped to get going: the bank stays down (its supervisor retries) until the
            // state file or the configuration is put right.
            await events.emit(
                .deviceFault,
                device: configuration.id,
                data: ["reason": .string(error.code), "detail": .string(error.description)]
            )
            io.close()
            inbox.close()
            abandonWaitingCallers()
            return
        }
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
                faults = await storeChanges(of: state, stored: &stored, faults: faults)
            case .input(.signal(var signal)):
                // An edge cannot come from the future; a backend stamping another timeline must not skip deadlines.
                signal.time = min(signal.time, clock.now)
                state.signal(signal)
                faults = await storeChanges(of: state, stored: &stored, faults: faults)
            case .input(.command(let command, let id)):
                // Deadlines first, on their own: a command refused for want of storage must not take their
                // actions (a lock released at the pulse's end) back with it.
                state.expire(at: clock.now)
                faults = await storeChanges(of: state, stored: &stored, faults: faults)
                faults = await perform(on: &state, faults: faults)
                let before = state
                var answer = apply(command, to: &state)
                let records = state.records
                if records != stored, let store {
                    do throws(LockerError) {
                        try await store.save(records)
                        stored = records
                    } catch {
                        state = before
                        answer = .failure(error)
                    }
                }
                reply = (id, answer)
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
        abandonWaitingCallers()
    }

    private func abandonWaitingCallers() {
        let abandoned = replies.withLock { replies in
            replies.stopped = true
            defer { replies.waiting = [:] }
            return Array(replies.waiting.values)
        }
        for continuation in abandoned {
            continuation.resume(returning: .failure(.notRunning))
        }
    }

    /// Stores the records if a door signal or a deadline changed them (a deposit, a collection, an expired
    /// lockout): before the events that report it go out. Hardware happenings cannot be refused, so a store that
    /// fails is a `device.fault` (`state-not-stored`) and is tried again at the next change.
    private func storeChanges(of state: LockerBankState, stored: inout LockerRecords, faults: Int) async -> Int {
        let records = state.records
        guard records != stored, let store else { return faults }
        do throws(LockerError) {
            try await store.save(records)
            stored = records
            return faults
        } catch {
            await events.emit(
                .deviceFault,
                device: configuration.id,
                data: [
                    "reason": .string(error.code), "detail": .string(error.description),
                    "count": .int(Int64(faults + 1)),
                ]
            )
            return faults + 1
        }
    }

    private func apply(_ command: LockerCommand, to state: inout LockerBankState) -> Answer {
        let now = clock.now
        do throws(LockerError) {
            switch command {
            case .open(let door, let reason, let pulse):
                try state.unlock(door: door, reason: reason, requestedPulse: pulse, at: now)
                return .success(.done)
            case .assign(let door, let order, .code(let code), let expiresAt):
                try state.assign(door: door, order: order, pickupCode: code, expiresAt: expiresAt, at: now)
                return .success(.done)
            case .assign(let door, let order, .digest(let digest), let expiresAt):
                try state.assign(door: door, order: order, pickupCodeDigest: digest, expiresAt: expiresAt, at: now)
                return .success(.done)
            case .unblockKeypad(let keypad):
                try state.unblockKeypad(keypad, at: now)
                return .success(.done)
            case .release(let door):
                try state.release(door: door, at: now)
                return .success(.done)
            case .pickupCode(let code, let keypad):
                return .success(.door(try state.pickupCode(code, keypad: keypad, at: now)))
            case .status:
                state.expire(at: now)
                return .success(.status(state.status()))
            case .keypads:
                state.expire(at: now)
                let wallNow = wallClock().millisecondsSinceEpoch
                let keypads = state.records.keypads.map { pad in
                    KeypadStatus(
                        keypad: pad.keypad,
                        failures: pad.failures,
                        recentWrongCodes: pad.recentWrongCodes.count,
                        lockedUntil: pad.lockedUntil.flatMap { until in
                            until > now
                                ? EventTime(millisecondsSinceEpoch: wallNow + (until - now).wholeMilliseconds) : nil
                        },
                        blocked: pad.blocked
                    )
                }
                return .success(.keypads(keypads))
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
                    let driven = try await io.setLock(door: door, energised: true)
                    state.lockDriven(door: door, at: min(driven, clock.now))
                case .deenergise(let door):
                    try await io.setLock(door: door, energised: false)
                case .emit(let type, let data):
                    await events.emit(type, device: configuration.id, data: withWallTimes(data, in: state))
                }
            } catch {
                faults += 1
                await reportFault(error, count: faults)
            }
        }
        return faults
    }

    /// Adds `lockedUntil`, the end of a keypad's lock-out as a UTC RFC 3339 time (`2026-12-03T10:55:21.123Z`),
    /// after the state's `lockedForMs`: the state's clock is monotonic, so the shell converts the keypad's lock-out
    /// end with the wall clock and the bank's clock read together, and every event of one lock-out names the same
    /// time however long the code took to check.
    private func withWallTimes(_ data: JSONValue, in state: LockerBankState) -> JSONValue {
        guard case .object(var members) = data, data["lockedForMs"] != nil, let keypad = data["keypad"]?.stringValue,
            let lockedUntil = state.records.keypads.first(where: { $0.keypad == keypad })?.lockedUntil
        else { return data }
        let (wallNow, clockNow) = (wallClock().millisecondsSinceEpoch, clock.now)
        let until = EventTime(millisecondsSinceEpoch: wallNow + (lockedUntil - clockNow).wholeMilliseconds)
        members.append(("lockedUntil", .string(until.description)))
        return .object(members)
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

import Events
import HAL

/// The whole locker-bank logic as a pure state machine over instants: lock pulses and their concurrency limit,
/// debounced door sensors, forced and left-open doors, order assignments, pickup codes and keypad lockout.
///
/// Every mutating call first catches up with the deadlines that passed by its instant, then applies its input.
/// The actions it produces (lock writes, events) collect in order until `takeActions()`; a call that throws
/// may still have produced some (a rejected code is reported, a pulse that ended is still ended).
public struct LockerBankState: Sendable {
    private struct Assignment: Sendable {
        var order: String
        /// Nil once the code has been used.
        var code: PickupCodeDigest?
        var expiresAt: ClockInstant
        var deposited = false
    }

    /// The window in which an opening counts as authorised, and why the door was unlocked.
    private struct Authorisation: Sendable {
        var from: ClockInstant
        var until: ClockInstant
        var reason: UnlockReason
    }

    private struct Door: Sendable {
        let id: String
        var sensor: Debouncer
        var occupancy: Debouncer?
        var pulseEnd: ClockInstant?
        /// The running pulse's length and the instant it was started, until the shell reports the line driven.
        var pulse: Duration?
        var pulseDecided: ClockInstant?
        var authorisation: Authorisation?
        var openSince: ClockInstant?
        /// Why the open door was unlocked; nil when it was forced or found open at start.
        var openReason: UnlockReason?
        var leftOpenReported = false
        var assignment: Assignment?
    }

    private struct PendingUnlock: Sendable {
        var door: Int
        var pulse: Duration
        var reason: UnlockReason
    }

    private struct Keypad: Sendable {
        /// Wrong codes since the last success: drives the escalating lockout.
        var failures = 0
        var lockedUntil: ClockInstant?
        /// When each wrong code within the budget's window was entered, oldest first.
        var recentWrongCodes: [ClockInstant] = []
        /// The budget is used up: every code is refused until a technician clears the keypad.
        var blocked = false
    }

    /// The settings the state was made with.
    public let configuration: LockerBankConfiguration
    private var doors: [Door]
    private let doorIndex: [String: Int]
    private var pending: [PendingUnlock] = []
    private var keypads: [String: Keypad] = [:]
    private var now: ClockInstant
    private var actions: [LockerAction] = []

    /// Starts with every door locked and its sensors at `initialLevels` (doors without a level read closed).
    public init(configuration: LockerBankConfiguration, initialLevels: [DoorSignal] = [], now: ClockInstant) {
        self.configuration = configuration
        self.now = now
        var index: [String: Int] = [:]
        var doors: [Door] = []
        for id in configuration.doors where index[id] == nil {
            index[id] = doors.count
            doors.append(Door(id: id, sensor: Debouncer(initial: false, interval: configuration.debounce)))
        }
        for level in initialLevels {
            guard let position = index[level.door] else { continue }
            switch level.kind {
            case .sensor:
                doors[position].sensor = Debouncer(initial: level.value, interval: configuration.debounce)
                doors[position].openSince = level.value ? now : nil
            case .occupancy:
                doors[position].occupancy = Debouncer(initial: level.value, interval: configuration.debounce)
            }
        }
        self.doors = doors
        self.doorIndex = index
    }

    // MARK: Records

    /// The part of the state that must outlive the process (orders and keypads' wrong codes), for the shell to
    /// store before it acknowledges a change.
    public var records: LockerRecords {
        let orders = doors.compactMap { door -> LockerRecords.Order? in
            guard let assignment = door.assignment else { return nil }
            return LockerRecords.Order(
                door: door.id,
                order: assignment.order,
                codeDigest: assignment.code?.text,
                expiresAt: assignment.expiresAt,
                deposited: assignment.deposited
            )
        }
        let pads = keypads.keys.sorted().compactMap { id -> LockerRecords.Keypad? in
            guard let pad = keypads[id] else { return nil }
            return LockerRecords.Keypad(
                keypad: id,
                failures: pad.failures,
                lockedUntil: pad.lockedUntil,
                recentWrongCodes: pad.recentWrongCodes,
                blocked: pad.blocked
            )
        }
        return LockerRecords(orders: orders, keypads: pads)
    }

    /// Takes back stored records (at start, before any input). An order on a door the configuration no longer
    /// has is refused, never dropped; a digest the bank cannot read is reported as unreadable state.
    public mutating func restore(_ records: LockerRecords) throws(LockerError) {
        var restored = doors
        for order in records.orders {
            guard let position = doorIndex[order.door] else {
                throw .orderOnRemovedDoor(door: order.door, order: order.order)
            }
            var code: PickupCodeDigest?
            if let text = order.codeDigest {
                do throws(LockerError) {
                    code = try PickupCodeDigest(text: text, iterations: 1...Int(Int32.max))
                } catch {
                    throw .stateUnreadable("door \(order.door): \(error.description)")
                }
            }
            restored[position].assignment = Assignment(
                order: order.order,
                code: code,
                expiresAt: order.expiresAt,
                deposited: order.deposited
            )
        }
        doors = restored
        keypads = [:]
        for pad in records.keypads {
            keypads[pad.keypad] = Keypad(
                failures: pad.failures,
                lockedUntil: pad.lockedUntil,
                recentWrongCodes: pad.recentWrongCodes,
                blocked: pad.blocked
            )
        }
    }

    // MARK: Outputs

    /// The next instant at which time alone changes something (a pulse ends, a level settles, a door has been
    /// open too long); nil when nothing is pending.
    public var deadline: ClockInstant? {
        var earliest: ClockInstant?
        func consider(_ instant: ClockInstant?) {
            guard let instant else { return }
            if earliest.map({ instant < $0 }) ?? true { earliest = instant }
        }
        for door in doors {
            consider(door.pulseEnd)
            consider(door.sensor.deadline)
            consider(door.occupancy?.deadline)
            consider(door.openSince.flatMap { door.leftOpenReported ? nil : $0 + configuration.leftOpenAfter })
        }
        return earliest
    }

    /// Hands over the actions produced since the last call, oldest first.
    public mutating func takeActions() -> [LockerAction] {
        defer { actions = [] }
        return actions
    }

    /// Every door's state, in configuration order.
    public func status() -> [DoorStatus] {
        doors.indices.map { position in
            let door = doors[position]
            return DoorStatus(
                door: door.id,
                energised: door.pulseEnd != nil,
                unlockQueued: pending.contains { $0.door == position },
                open: door.sensor.stableValue,
                occupied: door.occupancy?.stableValue,
                order: door.assignment?.order,
                deposited: door.assignment?.deposited ?? false
            )
        }
    }

    /// The pulse a request gets: the configured one, or the requested one, never above `maxPulse`.
    public func effectivePulse(requested: Duration?) -> Duration {
        min(requested ?? configuration.pulse, configuration.maxPulse)
    }

    // MARK: Inputs

    /// Applies every deadline that has passed by `now`.
    public mutating func expire(at now: ClockInstant) {
        advance(to: now)
    }

    /// Applies a raw sensor or occupancy level seen at `signal.time`; unknown doors are ignored.
    public mutating func signal(_ signal: DoorSignal) {
        advance(to: signal.time)
        guard let position = doorIndex[signal.door] else { return }
        switch signal.kind {
        case .sensor:
            if let open = doors[position].sensor.observe(signal.value, at: signal.time) {
                sensorChanged(position, open: open, at: signal.time)
            }
        case .occupancy:
            if doors[position].occupancy == nil {
                doors[position].occupancy = Debouncer(initial: signal.value, interval: configuration.debounce)
            } else {
                _ = doors[position].occupancy?.observe(signal.value, at: signal.time)
            }
        }
    }

    /// Unlocks `door` for a pulse (clamped to `maxPulse`), now or, when `maxConcurrentUnlocks` locks are
    /// energised, as soon as a slot frees (FIFO). A door already unlocked or waiting is not pulsed twice.
    public mutating func unlock(
        door: String,
        reason: UnlockReason,
        requestedPulse: Duration? = nil,
        at now: ClockInstant
    ) throws(LockerError) {
        advance(to: now)
        guard let position = doorIndex[door] else { throw .unknownDoor(door) }
        if let requestedPulse, requestedPulse <= .zero { throw .invalidPulse }
        request(position, pulse: effectivePulse(requested: requestedPulse), reason: reason)
    }

    /// Reserves `door` for `order`; the pickup code is kept only as a salted hash, valid until `expiresAt`
    /// (default: now + `codeTTL`).
    public mutating func assign(
        door: String,
        order: String,
        pickupCode: String,
        expiresAt: ClockInstant? = nil,
        at now: ClockInstant
    ) throws(LockerError) {
        let position = try freeDoor(door, for: order, at: now)
        try checkLength(of: pickupCode)
        let expiry = expiresAt ?? now + configuration.codeTTL
        guard expiry > now else { throw .expiryInPast }
        for other in doors {
            guard let assignment = other.assignment, let code = assignment.code, assignment.expiresAt > now else {
                continue
            }
            if code.matches(pickupCode) { throw .codeInUse }
        }
        let digest = try PickupCodeDigest(code: pickupCode, iterations: configuration.codeHashIterations)
        doors[position].assignment = Assignment(order: order, code: digest, expiresAt: expiry)
    }

    /// Reserves `door` for `order` with a pickup code hashed upstream (`pickupCodeDigest`, in the form
    /// `pbkdf2-sha256$ITERATIONS$SALT$DIGEST`). The bank cannot see the code, so its length and its uniqueness
    /// among the assigned doors are upstream's to ensure; a keypad still refuses any code shorter than
    /// `minimumCodeLength` without hashing it.
    public mutating func assign(
        door: String,
        order: String,
        pickupCodeDigest: String,
        expiresAt: ClockInstant? = nil,
        at now: ClockInstant
    ) throws(LockerError) {
        let position = try freeDoor(door, for: order, at: now)
        let digest = try PickupCodeDigest(text: pickupCodeDigest)
        let expiry = expiresAt ?? now + configuration.codeTTL
        guard expiry > now else { throw .expiryInPast }
        doors[position].assignment = Assignment(order: order, code: digest, expiresAt: expiry)
    }

    /// The position of `door`, once time is advanced to `now`, when it exists, `order` is named and the door holds
    /// no order yet: what both ways of assigning check first.
    private mutating func freeDoor(_ door: String, for order: String, at now: ClockInstant) throws(LockerError) -> Int {
        advance(to: now)
        guard let position = doorIndex[door] else { throw .unknownDoor(door) }
        guard !order.isEmpty else { throw .emptyOrder }
        if let existing = doors[position].assignment {
            throw .doorAlreadyAssigned(door: door, order: existing.order)
        }
        return position
    }

    /// Frees `door` from its order (cancelled, or handled by staff); its pickup code stops working.
    public mutating func release(door: String, at now: ClockInstant) throws(LockerError) {
        advance(to: now)
        guard let position = doorIndex[door] else { throw .unknownDoor(door) }
        guard doors[position].assignment != nil else { throw .doorNotAssigned(door) }
        doors[position].assignment = nil
    }

    /// A pickup code entered or scanned at `keypad`: unlocks the deposited door it belongs to and returns the
    /// door's id; a wrong, expired or locked-out attempt is reported as `locker.code.rejected` and thrown.
    @discardableResult
    public mutating func pickupCode(
        _ candidate: String,
        keypad: String,
        at now: ClockInstant
    ) throws(LockerError)
        -> String
    {
        advance(to: now)
        var pad = keypads[keypad] ?? Keypad()
        if pad.blocked {
            emitRejection(keypad: keypad, reason: "blocked", attempts: pad.failures)
            throw .keypadBlocked(keypad: keypad)
        }
        if let lockedUntil = pad.lockedUntil, now < lockedUntil {
            emitRejection(keypad: keypad, reason: "locked-out", attempts: pad.failures, lockedUntil: lockedUntil)
            throw .keypadLockedOut(remaining: lockedUntil - now)
        }
        let match =
            (try? checkLength(of: candidate)) == nil
            ? nil
            : doors.indices.first { position in
                doors[position].assignment?.code?.matches(candidate) ?? false
            }
        guard let position = match, let assignment = doors[position].assignment else {
            pad.failures += 1
            pad.lockedUntil = configuration.lockout.lockout(afterFailures: pad.failures).map { now + $0 }
            pad.recentWrongCodes.removeAll { $0 + configuration.wrongCodeWindow <= now }
            pad.recentWrongCodes.append(now)
            pad.blocked = pad.recentWrongCodes.count >= configuration.wrongCodeBudget
            keypads[keypad] = pad
            emitRejection(keypad: keypad, reason: "wrong-code", attempts: pad.failures, lockedUntil: pad.lockedUntil)
            if pad.blocked {
                actions.append(
                    .emit(
                        .lockerKeypadBlocked,
                        [
                            "locker": .string(configuration.id), "keypad": .string(keypad),
                            "wrongCodes": .int(Int64(pad.recentWrongCodes.count)),
                            "windowS": .int(configuration.wrongCodeWindow.components.seconds),
                        ]
                    )
                )
            }
            throw .wrongCode(attempts: pad.failures)
        }
        guard now < assignment.expiresAt else {
            emitRejection(keypad: keypad, reason: "expired", attempts: pad.failures, door: position)
            throw .codeExpired
        }
        guard assignment.deposited else {
            emitRejection(keypad: keypad, reason: "not-deposited", attempts: pad.failures, door: position)
            throw .notDeposited
        }
        // A success ends the lockout escalation; the day's wrong codes still count against the budget.
        pad.failures = 0
        pad.lockedUntil = nil
        keypads[keypad] = pad.recentWrongCodes.isEmpty ? nil : pad
        doors[position].assignment?.code = nil
        request(position, pulse: effectivePulse(requested: nil), reason: .pickupCode)
        return doors[position].id
    }

    /// Clears a keypad blocked by its wrong-code budget (a technician's `floorctl locker unlock-keypad`): its
    /// wrong codes are forgotten and it takes codes again.
    public mutating func unblockKeypad(_ keypad: String, at now: ClockInstant) throws(LockerError) {
        advance(to: now)
        guard keypads[keypad]?.blocked == true else { throw .keypadNotBlocked(keypad) }
        keypads[keypad] = nil
    }

    /// The shell drove `door`'s lock active at `instant`, as the I/O that performed the write reported it: the
    /// pulse runs its full length from there (a slow write no longer eats into it), never longer than it was
    /// decided to be (at most `maxPulse`). An instant before the unlock was decided counts as that instant.
    public mutating func lockDriven(door: String, at instant: ClockInstant) {
        guard let position = doorIndex[door], doors[position].pulseEnd != nil,
            let pulse = doors[position].pulse, let decided = doors[position].pulseDecided
        else { return }
        let end = max(instant, decided) + pulse
        doors[position].pulseEnd = end
        doors[position].authorisation?.until = end + configuration.grace
    }

    /// Locks every door at once and forgets waiting unlocks: the last word before the shell stops.
    public mutating func lockAll(at now: ClockInstant) {
        advance(to: now)
        pending.removeAll()
        for position in doors.indices {
            doors[position].pulseEnd = nil
            actions.append(.deenergise(doors[position].id))
        }
    }

    // MARK: Time

    private mutating func advance(to instant: ClockInstant) {
        while let due = deadline, due <= instant {
            fire(at: due)
        }
        if instant > now { now = instant }
    }

    /// Applies everything due at `instant`, the earliest pending deadline: ends pulses first so that a waiting
    /// unlock starts exactly when a slot frees, then settles levels, then reports doors left open.
    private mutating func fire(at instant: ClockInstant) {
        if instant > now { now = instant }
        for position in doors.indices {
            if let end = doors[position].pulseEnd, end <= instant {
                doors[position].pulseEnd = nil
                actions.append(.deenergise(doors[position].id))
            }
        }
        startPending(at: instant)
        for position in doors.indices {
            if let settles = doors[position].sensor.deadline, settles <= instant,
                let open = doors[position].sensor.expire(at: instant)
            {
                sensorChanged(position, open: open, at: settles - configuration.debounce)
            }
            if let settles = doors[position].occupancy?.deadline, settles <= instant {
                _ = doors[position].occupancy?.expire(at: instant)
            }
            if let since = doors[position].openSince, !doors[position].leftOpenReported,
                since + configuration.leftOpenAfter <= instant
            {
                doors[position].leftOpenReported = true
                let openFor = JSONValue.int((instant - since).wholeMilliseconds)
                emit(.lockerDoorLeftOpen, door: position, [("state", "open"), ("openMs", openFor)])
            }
        }
    }

    // MARK: Locks

    private var energisedCount: Int {
        doors.reduce(0) { $0 + ($1.pulseEnd == nil ? 0 : 1) }
    }

    private mutating func request(_ position: Int, pulse: Duration, reason: UnlockReason) {
        if doors[position].pulseEnd != nil {
            doors[position].authorisation?.reason = reason
            return
        }
        if let waiting = pending.firstIndex(where: { $0.door == position }) {
            pending[waiting].reason = reason
            return
        }
        pending.append(PendingUnlock(door: position, pulse: pulse, reason: reason))
        startPending(at: now)
    }

    private mutating func startPending(at instant: ClockInstant) {
        while !pending.isEmpty, energisedCount < max(1, configuration.maxConcurrentUnlocks) {
            let next = pending.removeFirst()
            let end = instant + next.pulse
            doors[next.door].pulseEnd = end
            doors[next.door].pulse = next.pulse
            doors[next.door].pulseDecided = instant
            doors[next.door].authorisation = Authorisation(
                from: instant,
                until: end + configuration.grace,
                reason: next.reason
            )
            actions.append(.energise(doors[next.door].id))
            emit(
                .lockerUnlocked,
                door: next.door,
                [("reason", .string(next.reason.rawValue)), ("pulseMs", .int(next.pulse.wholeMilliseconds))]
            )
        }
    }

    // MARK: Doors

    private mutating func sensorChanged(_ position: Int, open: Bool, at instant: ClockInstant) {
        if open {
            doorOpened(position, at: instant)
        } else {
            doorClosed(position, at: instant)
        }
    }

    private mutating func doorOpened(_ position: Int, at instant: ClockInstant) {
        var door = doors[position]
        let authorisation = door.authorisation.flatMap { $0.from <= instant && instant <= $0.until ? $0 : nil }
        door.openSince = instant
        door.openReason = authorisation?.reason
        door.leftOpenReported = false
        if authorisation != nil {
            // One opening per unlock: after this, only a still-running pulse authorises the next one.
            if let pulseEnd = door.pulseEnd {
                door.authorisation?.until = pulseEnd
            } else {
                door.authorisation = nil
            }
        }
        doors[position] = door
        var extra: [(String, JSONValue)] = [("authorised", .bool(authorisation != nil))]
        if let authorisation { extra.append(("reason", .string(authorisation.reason.rawValue))) }
        emit(.lockerDoorOpened, door: position, extra)
        if authorisation == nil {
            emit(.lockerDoorForced, door: position, [])
        }
    }

    private mutating func doorClosed(_ position: Int, at instant: ClockInstant) {
        let door = doors[position]
        let openFor = door.openSince.map { JSONValue.int((instant - $0).wholeMilliseconds) } ?? .null
        emit(.lockerDoorClosed, door: position, [("openMs", openFor)])
        if door.leftOpenReported {
            emit(.lockerDoorLeftOpen, door: position, [("state", "closed"), ("openMs", openFor)])
        }
        doors[position].openSince = nil
        doors[position].openReason = nil
        doors[position].leftOpenReported = false
        guard let assignment = door.assignment, let reason = door.openReason else { return }
        let occupied: [(String, JSONValue)] = door.occupancy.map { [("occupied", .bool($0.stableValue))] } ?? []
        if !assignment.deposited {
            doors[position].assignment?.deposited = true
            emit(.lockerDeposited, door: position, occupied)
        } else if reason.collects {
            emit(.lockerCollected, door: position, occupied)
            doors[position].assignment = nil
        }
    }

    // MARK: Codes

    private func checkLength(of code: String) throws(LockerError) {
        let length = code.count
        guard length >= configuration.minimumCodeLength else {
            throw .codeTooShort(minimum: configuration.minimumCodeLength)
        }
        guard length <= configuration.maximumCodeLength else {
            throw .codeTooLong(maximum: configuration.maximumCodeLength)
        }
    }

    private mutating func emitRejection(
        keypad: String,
        reason: String,
        attempts: Int,
        lockedUntil: ClockInstant? = nil,
        door: Int? = nil
    ) {
        var data: [(String, JSONValue)] = [("locker", .string(configuration.id))]
        if let door {
            data.append(("door", .string(doors[door].id)))
            if let order = doors[door].assignment?.order { data.append(("order", .string(order))) }
        }
        data.append(("keypad", .string(keypad)))
        data.append(("reason", .string(reason)))
        data.append(("attempts", .int(Int64(attempts))))
        if let lockedUntil {
            // How long is all the state can say: its clock is monotonic, not a time of day. The shell
            // (`LockerBank`) adds the lock-out's end as a UTC time from the wall clock.
            data.append(("lockedForMs", .int((lockedUntil - now).wholeMilliseconds)))
        }
        actions.append(.emit(.lockerCodeRejected, .object(data)))
    }

    // MARK: Events

    /// Appends an event whose data starts with `locker`, `door` and (when assigned) `order`, then `extra`.
    private mutating func emit(_ type: EventType, door position: Int, _ extra: [(String, JSONValue)]) {
        var data: [(String, JSONValue)] = [
            ("locker", .string(configuration.id)),
            ("door", .string(doors[position].id)),
        ]
        if let order = doors[position].assignment?.order { data.append(("order", .string(order))) }
        data.append(contentsOf: extra)
        actions.append(.emit(type, .object(data)))
    }
}

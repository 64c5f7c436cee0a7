import HAL

/// What a `LockerBank`'s loop reads from its inbox: sensor levels from the door I/O and commands from callers.
enum LockerInput: Sendable {
    case signal(DoorSignal)
    /// A command and the id its caller awaits the answer under.
    case command(LockerCommand, reply: UInt64)
}

/// A caller's request to the bank's loop. Carries a pickup code only in memory, on its way to being hashed.
enum LockerCommand: Sendable {
    case open(door: String, reason: UnlockReason, pulse: Duration?)
    case assign(door: String, order: String, code: PickupCodeInput, expiresAt: ClockInstant?)
    case unblockKeypad(String)
    case release(door: String)
    case pickupCode(String, keypad: String)
    case status
    case keypads
}

/// The loop's answer to a `LockerCommand`.
enum LockerReply: Sendable {
    case done
    case door(String)
    case status([DoorStatus])
    case keypads([KeypadStatus])
}

/// How an assignment's pickup code arrives: in clear (hashed by the bank) or already hashed upstream.
enum PickupCodeInput: Sendable {
    case code(String)
    case digest(String)
}

extension EventType {
    /// Every event type declared in this module with the schema of its `data`.
    public static let coreSchemas: [EventTypeSchema] = [
        EventTypeSchema(
            .scan,
            "A barcode scanner read a code (not a locker's code reader: pickup codes are never published).",
            [
                .required(
                    "symbology",
                    JSONSchema.string("From the AIM identifier (gs1-128, qr, …); \"unknown\" without one.")
                ),
                .required("aim", JSONSchema.nullable(JSONSchema.string("The AIM symbology identifier, e.g. ]C1."))),
                .required("text", JSONSchema.string("The scanned text as sent, AIM prefix included.")),
                .optional(
                    "gs1",
                    JSONSchema.stringMap("GS1 element string: AI → value.", keyPattern: "^[0-9]{2,4}$")
                ),
                .optional("digitalLink", JSONSchema.boolean("True when the text is a GS1 Digital Link URI.")),
                .optional("warnings", JSONSchema.strings("Things the GS1 decoder corrected or doubted.")),
                .optional("gs1Error", JSONSchema.string("Why GS1 data is invalid (the scanner beeped bad).")),
                .optional("invalidUTF8", JSONSchema.boolean("The bytes were not UTF-8; see hex.")),
                .optional("hex", JSONSchema.string("The raw bytes in hex when not UTF-8.")),
            ]
        ),
        EventTypeSchema(
            .tagRead,
            "An RFID reader saw a tag (reads within the dedup window folded into one event).",
            [
                .required("epc", JSONSchema.string("The EPC in hex.", pattern: "^[0-9A-Fa-f]*$")),
                .required("uri", JSONSchema.nullable(JSONSchema.string("The EPC pure-identity URI when decodable."))),
                .required("rssi", JSONSchema.integer("Peak signal strength, dBm.")),
                .required("antenna", JSONSchema.integer("The antenna port.", minimum: 0)),
                .required("count", JSONSchema.integer("Reads folded into this event.", minimum: 1)),
            ]
        ),
        EventTypeSchema(
            .lockerUnlocked,
            "A door's lock was pulsed.",
            lockerDoor(unlockReason(required: true), pulseMs)
        ),
        EventTypeSchema(
            .lockerDoorOpened,
            "A door's sensor reports it open.",
            lockerDoor(
                .required("authorised", JSONSchema.boolean("False when no unlock allowed it (then also forced).")),
                unlockReason(required: false)
            )
        ),
        EventTypeSchema(.lockerDoorClosed, "A door's sensor reports it closed.", lockerDoor(openMs)),
        EventTypeSchema(.lockerDoorForced, "A door opened without an unlock.", lockerDoor()),
        EventTypeSchema(
            .lockerDoorLeftOpen,
            "A door stayed open longer than leftOpenAfterS (state open), and when it finally closed (state closed).",
            lockerDoor(.required("state", JSONSchema.oneOf("The door's state now.", ["open", "closed"])), openMs)
        ),
        EventTypeSchema(
            .lockerDeposited,
            "A parcel was put into an assigned door and the door closed.",
            lockerDoor(occupied)
        ),
        EventTypeSchema(.lockerCollected, "A parcel was collected and the door closed.", lockerDoor(occupied)),
        EventTypeSchema(
            .lockerCodeRejected,
            "A pickup code was refused at a keypad (code reader).",
            [
                .required("locker", lockerID),
                .optional("door", doorID),
                .optional("order", orderID),
                .required("keypad", keypadID),
                .required(
                    "reason",
                    JSONSchema.string("wrong-code, locked-out, blocked, expired, not-deposited, …")
                ),
                .required("attempts", JSONSchema.integer("Wrong codes at this keypad in a row.", minimum: 0)),
                .optional("lockedUntil", JSONSchema.utcTime("End of the lock-out, UTC with milliseconds.")),
                .optional("lockedForMs", JSONSchema.integer("How long the keypad is locked out.", minimum: 0)),
            ]
        ),
        EventTypeSchema(
            .lockerKeypadBlocked,
            "A keypad used its wrong-code budget and is blocked until a technician unblocks it.",
            [
                .required("locker", lockerID),
                .required("keypad", keypadID),
                .required("wrongCodes", JSONSchema.integer("Wrong codes within the window.", minimum: 1)),
                .required("windowS", JSONSchema.integer("The window, seconds.", minimum: 0)),
            ]
        ),
        EventTypeSchema(
            .ptlLit,
            "A pick-to-light slot was lit.",
            pickToLight + [.optional("replaces", JSONSchema.string("The task this one replaced on the slot."))]
        ),
        EventTypeSchema(.ptlConfirmed, "A lit slot's confirm button was pressed.", pickToLight),
        EventTypeSchema(.ptlShortage, "A lit slot's shortage button was pressed.", pickToLight),
        EventTypeSchema(
            .deviceConnected,
            "A reader's port opened, or a lock board on a bus answered.",
            [
                .required("port", JSONSchema.string("The serial port path.")),
                .optional("settings", JSONSchema.string("Baud rate and framing, e.g. 9600 8N1.")),
                .optional("bus", JSONSchema.string("The bus id (lock boards).")),
                .optional("board", JSONSchema.integer("The board address (lock boards).", minimum: 0)),
            ]
        ),
        EventTypeSchema(
            .deviceDisconnected,
            "A reader's port or a lock board went away; retried with backoff.",
            [
                .optional("port", JSONSchema.string("The serial port path.")),
                .required("reason", JSONSchema.string("A stable code: unplugged, io-error, bus-down, …")),
                .required("detail", JSONSchema.string("What happened, for people.")),
                .optional("bus", JSONSchema.string("The bus id (lock boards).")),
                .optional("board", JSONSchema.integer("The board address (lock boards).", minimum: 0)),
            ]
        ),
        EventTypeSchema(
            .deviceFault,
            "A device misbehaved (bad bytes, an I/O error, …): counted, never dropped silently.",
            [
                .required(
                    "reason",
                    JSONSchema.string("A stable code: frame-too-long, bad-checksum, bad-frame, io-error, …")
                ),
                .required("detail", JSONSchema.string("What happened, for people.")),
                .optional("count", JSONSchema.integer("Faults with this reason on this device so far.", minimum: 1)),
            ]
        ),
        EventTypeSchema(
            .controllerStarted,
            "floorlinkd started (device \"controller\").",
            [
                .required("version", JSONSchema.string("The floorlinkd version.")),
                .required("hardware", JSONSchema.oneOf("The site's hardware.", ["linux", "simulated"])),
                .required("devices", JSONSchema.integer("Devices in the site config.", minimum: 0)),
            ]
        ),
        EventTypeSchema(
            .controllerStopping,
            "floorlinkd is stopping (device \"controller\").",
            [.required("reason", JSONSchema.string("signal, or reload when the config is reloaded."))]
        ),
        EventTypeSchema(.commandResult, "The one answer to a command (device \"controller\").", commandResultMembers),
    ]

    /// The members of a `command.result` event's `data`, also the payload on MQTT `.../commands/results`.
    public static let commandResultMembers: [JSONSchema.Member] = [
        .required(
            "command",
            JSONSchema.nullable(JSONSchema.string("The command's id; null when the payload had no valid id."))
        ),
        .required("ok", JSONSchema.boolean("True when the command was carried out.")),
        .required(
            "error",
            JSONSchema.nullable(JSONSchema.string("A stable failure code (bad-args, unknown-device, …); null when ok."))
        ),
        .optional("detail", JSONSchema.string("What went wrong, for people.")),
        .optional("data", JSONSchema.any("Result data, when the command returns some.")),
    ]

    private static let lockerID = JSONSchema.string("The locker bank's device id.")
    private static let doorID = JSONSchema.string("The door id.")
    private static let orderID = JSONSchema.string("The order assigned to the door.")
    private static let keypadID = JSONSchema.string("The code reader (keypad) the code came from.")
    private static let pulseMs = JSONSchema.Member.required(
        "pulseMs",
        JSONSchema.integer("The pulse length.", minimum: 0)
    )
    private static let openMs = JSONSchema.Member.required(
        "openMs",
        JSONSchema.nullable(JSONSchema.integer("How long the door has been open; null if unknown.", minimum: 0))
    )
    private static let occupied = JSONSchema.Member.optional(
        "occupied",
        JSONSchema.boolean("The occupancy sensor's reading, where the door has one.")
    )
    private static let pickToLight: [JSONSchema.Member] = [
        .required("slot", JSONSchema.string("The slot id.")),
        .required("task", JSONSchema.nullable(JSONSchema.string("The task the slot was lit for."))),
        .required("color", JSONSchema.string("The colour it was lit in.")),
    ]

    private static func unlockReason(required: Bool) -> JSONSchema.Member {
        let schema = JSONSchema.string("Why it was unlocked: deposit, collect, pickup-code, remote, …")
        return required ? .required("reason", schema) : .optional("reason", schema)
    }

    private static func lockerDoor(_ extra: JSONSchema.Member...) -> [JSONSchema.Member] {
        [.required("locker", lockerID), .required("door", doorID), .optional("order", orderID)] + extra
    }
}

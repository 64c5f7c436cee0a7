import Events

extension EventType {
    /// The outbox's own event types (device `outbox`) with the schema of their `data`.
    public static let outboxSchemas: [EventTypeSchema] = [
        EventTypeSchema(
            .outboxRecovered,
            "Recovery on open dropped a torn or corrupt record, or restarted a corrupt uplink cursor.",
            [
                .required("reason", JSONSchema.string("What was found: a torn or corrupt record, corrupt-cursor, …")),
                .optional("segment", segment),
                .optional("offset", JSONSchema.integer("Byte offset of the damage.", minimum: 0)),
                .optional("droppedRecords", JSONSchema.integer("Records dropped.", minimum: 0)),
                .optional("droppedBytes", JSONSchema.integer("Bytes dropped.", minimum: 0)),
                .optional("uplink", JSONSchema.string("The uplink whose cursor was corrupt.")),
                .optional("detail", JSONSchema.string("What was wrong, for people.")),
                .optional("restartAfter", JSONSchema.integer("The seq the cursor restarts after.", minimum: 0)),
            ]
        ),
        EventTypeSchema(
            .outboxCorrupt,
            "A corrupt record in an older segment was skipped while reading.",
            [
                .required("segment", segment),
                .required("offset", JSONSchema.integer("Byte offset of the damage.", minimum: 0)),
                .required("droppedRecords", JSONSchema.integer("Records skipped.", minimum: 0)),
                .required("droppedBytes", JSONSchema.integer("Bytes skipped.", minimum: 0)),
            ]
        ),
        EventTypeSchema(
            .outboxQuota,
            "Disk use crossed a quota threshold (80 % warning, 95 % critical, full).",
            [
                .required("usedBytes", JSONSchema.integer("Bytes in use.", minimum: 0)),
                .required("quotaBytes", JSONSchema.integer("outbox.quotaBytes.", minimum: 0)),
                .required("percent", JSONSchema.integer("usedBytes as a percentage of quotaBytes.", minimum: 0)),
                .required("level", JSONSchema.oneOf("The threshold crossed.", ["warning", "critical", "full"])),
            ]
        ),
        EventTypeSchema(
            .outboxFault,
            "A write or sync failed and the segment was abandoned.",
            [
                .required("reason", JSONSchema.string("write-failed, fsync-failed, …")),
                .required("segment", segment),
                .optional("operation", JSONSchema.string("The system call that failed.")),
                .optional("errno", JSONSchema.integer("Its errno.")),
                .optional("error", JSONSchema.string("The error, for people.")),
            ]
        ),
    ]

    private static let segment = JSONSchema.string("The segment file name.")
}

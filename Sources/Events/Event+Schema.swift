extension Event {
    /// JSON Schema (draft-07) of the envelope every event shares; `data` is described per type.
    public static var envelopeSchema: JSONValue {
        JSONSchema.object(
            "One Floorlink event: published on MQTT .../events/{type}, posted to the webhook in {\"events\":[…]}.",
            [
                .required("v", JSONSchema.constant(.int(version))),
                .required(
                    "id",
                    JSONSchema.string(
                        "Unique, time-ordered (UUID v7): deduplicate on it.",
                        pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
                    )
                ),
                .required(
                    "seq",
                    JSONSchema.integer(
                        "One more than the previous event's, per controller, across restarts.",
                        minimum: 0
                    )
                ),
                .required("site", JSONSchema.string("The site id from site.json.")),
                .required("controller", JSONSchema.string("The controller id from site.json.")),
                .required(
                    "device",
                    JSONSchema.string("The device id, \"controller\", \"outbox\" or <bus>/<board> for a lock board.")
                ),
                .required("type", JSONSchema.string("The dotted event type, also the MQTT topic's last level.")),
                .required("time", JSONSchema.utcTime("UTC with milliseconds.")),
                .required("data", ["type": "object", "description": "Type-specific members (see each type)."]),
            ]
        )
    }
}

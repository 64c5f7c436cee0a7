import Events

extension MQTTUplink {
    /// JSON Schema (draft-07) of the retained `.../status` payload: `onlineStatus` after every connect,
    /// `offlineStatus` as the last will and on a clean stop.
    public static var statusSchema: JSONValue {
        [
            "description": "The retained controller status; the broker publishes offline as the last will.",
            "oneOf": [
                JSONSchema.object(
                    "Connected.",
                    [
                        .required("state", JSONSchema.constant("online")),
                        .required("version", JSONSchema.string("The floorlinkd version.")),
                        .required("started", JSONSchema.utcTime("When floorlinkd started, UTC with milliseconds.")),
                        .optional(
                            "backlog",
                            JSONSchema.integer(
                                "Stored events the broker has not acknowledged (refreshed at most every 10 s).",
                                minimum: 0
                            )
                        ),
                        .optional("lastEvent", JSONSchema.utcTime("When the newest stored event happened.")),
                        .optional(
                            "lastSeq",
                            JSONSchema.integer(
                                "The newest stored event's seq: a consumer missing seqs up to it has a gap at the "
                                    + "tail (ask for them with events.replay).",
                                minimum: 1
                            )
                        ),
                    ]
                ),
                JSONSchema.object(
                    "Gone: stopped, or its connection was lost.",
                    [.required("state", JSONSchema.constant("offline"))]
                ),
            ],
        ]
    }
}

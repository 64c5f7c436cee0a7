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
                        .required("started", JSONSchema.string("When floorlinkd started, UTC with milliseconds.")),
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

import Events

/// One executed command as the ledger remembers it: one JSON line
/// `{"id":…,"digest":"<sha256 hex>","time":"…Z","result":{"ok":…,"error":…}}`.
struct CommandLedgerRecord: Hashable, Sendable {
    var id: String
    /// Lowercase hex SHA-256 of the command's signing message (`CommandSigning.message(for:)`).
    var digest: String
    var result: CommandResult
    var time: EventTime

    init(id: String, digest: String, result: CommandResult, time: EventTime) {
        self.id = id
        self.digest = digest
        self.result = result
        self.time = time
    }

    var json: JSONValue {
        [
            "id": .string(id),
            "digest": .string(digest),
            "time": .string(time.description),
            "result": result.ledgerJSON,
        ]
    }

    init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue, let digest = json["digest"]?.stringValue,
            let timeText = json["time"]?.stringValue, let time = EventTime(parsing: timeText),
            let resultJSON = json["result"], let result = CommandResult(id: id, ledgerJSON: resultJSON)
        else { return nil }
        self.init(id: id, digest: digest, result: result, time: time)
    }
}

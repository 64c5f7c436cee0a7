import Events

/// The answer to one command payload: what the `command.result` event carries.
public struct CommandResult: Hashable, Sendable {
    /// The command's id, or nil when the payload was too large or had no valid id.
    public var id: String?
    /// True when the command was carried out.
    public var ok: Bool
    /// The failure code (`CommandFailure.code`), nil when `ok`.
    public var error: String?
    /// A human explanation of the failure.
    public var detail: String?
    /// Result data from the target, when it returned some.
    public var data: JSONValue?

    /// A result with every field given.
    public init(id: String?, ok: Bool, error: String? = nil, detail: String? = nil, data: JSONValue? = nil) {
        self.id = id
        self.ok = ok
        self.error = error
        self.detail = detail
        self.data = data
    }

    /// A failed result for `id` from `failure`.
    public init(id: String?, failure: CommandFailure) {
        self.init(id: id, ok: false, error: failure.code, detail: failure.detail, data: failure.data)
    }

    /// The `command.result` event's data: `{"command": id, "ok": bool, "error": code-or-null}`, then `detail`
    /// and `data` when present.
    public var eventData: JSONValue {
        var members: [(String, JSONValue)] = [
            ("command", id.map(JSONValue.string) ?? .null),
            ("ok", .bool(ok)),
            ("error", error.map(JSONValue.string) ?? .null),
        ]
        if let detail { members.append(("detail", .string(detail))) }
        if let data { members.append(("data", data)) }
        return .object(members)
    }

    /// The stored form in the command ledger (everything but the id).
    var ledgerJSON: JSONValue {
        var members: [(String, JSONValue)] = [("ok", .bool(ok)), ("error", error.map(JSONValue.string) ?? .null)]
        if let detail { members.append(("detail", .string(detail))) }
        if let data { members.append(("data", data)) }
        return .object(members)
    }

    /// Reads the stored form back; nil when it is not one.
    init?(id: String, ledgerJSON json: JSONValue) {
        guard case .bool(let ok) = json["ok"] else { return nil }
        let error: String?
        switch json["error"] {
        case .string(let code): error = code
        case .null, nil: error = nil
        default: return nil
        }
        self.init(id: id, ok: ok, error: error, detail: json["detail"]?.stringValue, data: json["data"])
    }
}

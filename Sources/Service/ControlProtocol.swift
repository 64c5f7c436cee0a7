import Events

/// One request on the control socket: `{"id": 1, "op": "status", "args": {…}}`, one JSON object per line.
public struct ControlRequest: Sendable {
    /// Echoed in the reply so a client can match replies to requests.
    public var id: JSONValue
    public var op: String
    public var args: JSONValue

    public init(id: JSONValue = .int(1), op: String, args: JSONValue = [:]) {
        self.id = id
        self.op = op
        self.args = args
    }

    /// Parses one request line; the error says what is wrong with it.
    public init(line: [UInt8]) throws(ControlError) {
        let value: JSONValue
        do throws(JSONParseError) {
            value = try JSONValue(parsing: line)
        } catch {
            throw ControlError(code: "malformed", message: "\(error)")
        }
        guard case .object = value else { throw ControlError(code: "malformed", message: "a request is a JSON object") }
        guard let op = value["op"]?.stringValue, !op.isEmpty else {
            throw ControlError(code: "malformed", message: "missing \"op\" (a string naming the operation)")
        }
        let args = value["args"] ?? [:]
        guard case .object = args else { throw ControlError(code: "malformed", message: "\"args\" must be an object") }
        self.init(id: value["id"] ?? .null, op: op, args: args)
    }

    public var json: JSONValue { ["id": id, "op": .string(op), "args": args] }

    /// A string argument, or a `bad-request` error naming it.
    public func string(_ key: String) throws(ControlError) -> String {
        guard let value = args[key]?.stringValue, !value.isEmpty else {
            throw ControlError(code: "bad-request", message: "\(op) needs \"\(key)\" (a string)")
        }
        return value
    }

    /// An optional string argument.
    public func optionalString(_ key: String) -> String? {
        args[key]?.stringValue
    }
}

/// A failed request: a stable code and a sentence for the technician.
public struct ControlError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) (\(code))" }
}

/// What the daemon answers.
public enum ControlReply: Sendable {
    /// One reply line: `{"id":…,"ok":true,"result":…}`.
    case result(JSONValue)
    /// One reply line: `{"id":…,"ok":false,"error":{"code":…,"message":…}}`.
    case failure(ControlError)
    /// A stream of `{"id":…,"event":…}` lines until either side closes (`events --follow`).
    case stream(AsyncStream<JSONValue>)

    /// The reply line for request `id` (streams have none).
    func line(for id: JSONValue) -> String? {
        switch self {
        case .result(let value): return JSONValue.object([("id", id), ("ok", true), ("result", value)]).jsonText
        case .failure(let error):
            return JSONValue.object([
                ("id", id), ("ok", false),
                ("error", ["code": .string(error.code), "message": .string(error.message)]),
            ]).jsonText
        case .stream: return nil
        }
    }
}

/// Answers control requests; the daemon implements it over its devices, outbox and uplinks.
public protocol ControlHandler: Sendable {
    func handle(_ request: ControlRequest) async -> ControlReply
}

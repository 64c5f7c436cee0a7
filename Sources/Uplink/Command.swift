import Events

/// One upstream command, parsed and validated (not yet authorised).
///
/// Wire form (MQTT `.../commands` or the control socket), one JSON object of at most 64 KiB:
/// `{"id":"cmd-42","command":"locker.open","device":"lockers-A","args":{"door":"A1"},
/// "issuedAt":"2026-11-22T10:00:00Z","signature":"<64 hex digits>"}`. Unknown members are ignored and not signed.
public struct Command: Hashable, Sendable {
    /// Payloads larger than this many bytes are refused with `too-large`.
    public static let maximumPayloadBytes = 64 * 1024
    /// The longest accepted `id`, in characters.
    public static let maximumIDLength = 128

    /// 1–128 printable ASCII characters without spaces; a retry reuses it, so duplicates are answered, not rerun.
    public var id: String
    /// What to do.
    public var command: CommandName
    /// The device id from the site config.
    public var device: String
    /// An object of strings, integers, booleans, null, arrays and objects (no floats); `{}` when absent.
    public var args: JSONValue
    /// When it was issued; required when signed (so for every command that needs a signature).
    public var issuedAt: CommandIssuedAt?
    /// Lowercase hex HMAC-SHA256 (see `CommandSigning`); required when `CommandName.needsSignature`.
    public var signature: String?

    /// A command built in code (tests, floorctl); not validated — `init(json:)` validates.
    public init(
        id: String,
        command: CommandName,
        device: String,
        args: JSONValue = [:],
        issuedAt: CommandIssuedAt? = nil,
        signature: String? = nil
    ) {
        self.id = id
        self.command = command
        self.device = device
        self.args = args
        self.issuedAt = issuedAt
        self.signature = signature
    }

    /// Parses a payload: `too-large` over 64 KiB, `malformed` (naming the field) for bad JSON or a missing or
    /// mistyped member, `unknown-command` for a command name this controller does not know.
    public init(parsing payload: [UInt8]) throws(CommandFailure) {
        guard payload.count <= Self.maximumPayloadBytes else { throw Self.tooLarge(byteCount: payload.count) }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: payload)
        } catch {
            throw CommandFailure(code: "malformed", detail: "payload: not JSON (\(error.description))")
        }
        try self.init(json: json)
    }

    /// Reads a parsed payload; see `init(parsing:)`.
    public init(json: JSONValue) throws(CommandFailure) {
        guard case .object = json else { throw .malformed("payload", expected: "a JSON object") }
        guard let idValue = json["id"] else { throw .malformed("id", expected: "a string (missing)") }
        guard let id = Self.validID(idValue) else {
            throw .malformed("id", expected: "1–\(Self.maximumIDLength) printable ASCII characters without spaces")
        }
        guard let commandValue = json["command"] else {
            throw .malformed("command", expected: "a string (missing)")
        }
        guard let commandText = commandValue.stringValue else { throw .malformed("command", expected: "a string") }
        guard let command = CommandName(rawValue: commandText) else {
            let known = CommandName.allCases.map(\.rawValue).joined(separator: ", ")
            throw CommandFailure(code: "unknown-command", detail: "command: expected one of \(known)")
        }
        guard let deviceValue = json["device"] else { throw .malformed("device", expected: "a string (missing)") }
        guard let device = deviceValue.stringValue, !device.isEmpty,
            !device.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { throw .malformed("device", expected: "a non-empty string without control characters") }
        let args = json["args"] ?? [:]
        guard case .object = args else { throw .malformed("args", expected: "an object") }
        try Self.refuseFloats(in: args, path: "args")
        let signature: String?
        switch json["signature"] {
        case nil, .null: signature = nil
        case .string(let text): signature = text
        default: throw .malformed("signature", expected: "a string of 64 hex digits")
        }
        let issuedAt: CommandIssuedAt?
        switch json["issuedAt"] {
        case nil, .null:
            if signature != nil {
                throw .malformed("issuedAt", expected: "\(CommandIssuedAt.expected) (missing; required when signed)")
            }
            issuedAt = nil
        case .some(let value):
            guard let parsed = CommandIssuedAt(json: value) else {
                throw .malformed("issuedAt", expected: CommandIssuedAt.expected)
            }
            issuedAt = parsed
        }
        self.init(id: id, command: command, device: device, args: args, issuedAt: issuedAt, signature: signature)
    }

    /// The `too-large` failure for a payload of `byteCount` bytes.
    static func tooLarge(byteCount: Int) -> CommandFailure {
        CommandFailure(
            code: "too-large",
            detail: "payload is \(byteCount) bytes; commands are limited to \(maximumPayloadBytes)"
        )
    }

    /// The id if `value` is a valid one (used to answer even when other members are bad).
    static func validID(_ value: JSONValue?) -> String? {
        guard let id = value?.stringValue, !id.isEmpty, id.utf8.count <= maximumIDLength,
            id.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        else { return nil }
        return id
    }

    /// Floats are refused anywhere in `args`: languages format them differently, so they cannot be signed.
    private static func refuseFloats(in value: JSONValue, path: String) throws(CommandFailure) {
        switch value {
        case .double:
            throw .malformed(path, expected: "a string, integer, boolean or null (floats cannot be signed)")
        case .array(let elements):
            for (index, element) in elements.enumerated() { try refuseFloats(in: element, path: "\(path)[\(index)]") }
        case .object(let members):
            for (key, member) in members { try refuseFloats(in: member, path: "\(path).\(key)") }
        case .null, .bool, .int, .string:
            return
        }
    }
}

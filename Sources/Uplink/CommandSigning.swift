import Events

/// The command signing scheme, version 1 (what an upstream implements to send commands that move hardware).
///
/// ```text
/// message   = "floorlink-command-v1" LF id LF command LF device LF issuedAt LF canonical(args)
/// signature = lowercase hex( HMAC-SHA256(key, UTF-8 bytes of message) )      (64 hex digits)
/// ```
///
/// - `LF` is one byte 0x0A; there is no trailing LF after `canonical(args)`.
/// - `issuedAt` exactly as written in the payload: the string's characters (no quotes), or the integer's digits.
///   It must be within ±300 s of the controller's clock (`stale` otherwise). An RFC 3339 UTC string
///   (`2026-11-22T10:00:00Z`, optional fraction, `Z` or `+00:00`) or integer Unix seconds.
/// - `canonical(args)`: `args` (`{}` when absent) as Python's
///   `json.dumps(args, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` writes it: keys sorted by
///   code point (= UTF-8 bytes; NOT JavaScript's UTF-16 order) at every level, no whitespace, strings escaped as
///   `\"` `\\` `\n` `\r` `\t` `\b` `\f` and other controls below U+0020 as `\u00xx` (lowercase), everything else
///   literal UTF-8. Send only strings, integers, booleans, null, arrays and objects: a float is `malformed`.
/// - `key`: the raw bytes of the key file (one trailing newline stripped), at least 32 bytes.
/// - Members other than `id`, `command`, `device`, `args`, `issuedAt`, `signature` are ignored and not signed.
///
/// Worked example (asserted by `CommandIntakeTests`): key `floorlink-example-key-0123456789abcdef` (38 bytes),
/// `{"id":"cmd-42","command":"locker.open","device":"lockers-A","issuedAt":"2026-11-22T10:00:00Z",
/// "args":{"reason":"customer-support","door":"A1"}}` gives the message
/// `floorlink-command-v1\ncmd-42\nlocker.open\nlockers-A\n2026-11-22T10:00:00Z\n{"door":"A1","reason":"customer-support"}`
/// and the signature `ce168707429ab1c56b7926a82060c98555494557681410c7d65f442b3e0f7100`
/// (`printf '%s' "$MESSAGE" | openssl dgst -sha256 -hmac floorlink-example-key-0123456789abcdef`).
public enum CommandSigning {
    /// The first line of every signed message; a new scheme gets a new prefix.
    public static let prefix = "floorlink-command-v1"
    /// How far `issuedAt` may be from the controller's clock, in seconds, either way.
    public static let maximumSkewSeconds: Int64 = 300

    /// The exact text that is signed (also hashed as the command's content digest for duplicate detection).
    public static func message(for command: Command) -> String {
        [
            prefix,
            command.id,
            command.command.rawValue,
            command.device,
            command.issuedAt?.text ?? "",
            CommandCanonicalJSON.text(command.args),
        ].joined(separator: "\n")
    }

    /// The lowercase hex signature of `command` under `key`; nil only if libcrypto fails.
    public static func signature(for command: Command, key: [UInt8]) -> String? {
        HMACSHA256.authenticationCode(key: key, message: Array(message(for: command).utf8)).map { Hex.string($0) }
    }

    /// True when `signature` is written as the scheme says: exactly 64 lower-case hex digits, nothing else.
    public static func isWellFormed(_ signature: String) -> Bool {
        signature.utf8.count == 2 * HMACSHA256.length
            && signature.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// True when `signature` is well-formed (lower-case hex) and is `command`'s HMAC under `key`; compared in
    /// constant time.
    public static func isValid(signature: String, for command: Command, key: [UInt8]) -> Bool {
        guard isWellFormed(signature), let presented = Hex.bytes(signature),
            presented.count == HMACSHA256.length,
            let expected = HMACSHA256.authenticationCode(key: key, message: Array(message(for: command).utf8))
        else { return false }
        return HMACSHA256.constantTimeEqual(presented, expected)
    }

    /// The canonical JSON of `args` (Python `json.dumps(sort_keys=True, separators=(",",":"),
    /// ensure_ascii=False)`).
    public static func canonical(_ args: JSONValue) -> String {
        CommandCanonicalJSON.text(args)
    }
}

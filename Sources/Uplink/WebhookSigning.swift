import Events

/// How webhook deliveries are signed, so the receiver can check they come from this controller.
///
/// ```text
/// X-Floorlink-Timestamp: <unix seconds when this attempt was sent>
/// X-Floorlink-Signature: sha256=<lowercase hex HMAC-SHA256(secret, timestamp + "." + body)>
/// ```
///
/// `body` is the exact request body bytes; `secret` the raw bytes of `secretFile` (one trailing newline
/// stripped). Receivers should recompute over the raw body before parsing it, compare in constant time, and
/// refuse timestamps more than a few minutes old. Without a secret the signature header is left out.
///
/// Worked example (asserted by `WebhookUplinkTests`): secret `webhook-secret-0123456789abcdef`, timestamp
/// `1795341600`, body `{"events":[{"v":1}]}` → `sha256=1ca4d989fb700dc42fa53574add564e17a052d3e40bd6f372f76df510e9fa7f6`
/// (`printf '%s' '1795341600.{"events":[{"v":1}]}' | openssl dgst -sha256 -hmac webhook-secret-0123456789abcdef`).
public enum WebhookSigning {
    /// The `X-Floorlink-Signature` value for `body` sent at `timestamp`; nil only if libcrypto fails.
    public static func signature(secret: [UInt8], timestamp: Int64, body: [UInt8]) -> String? {
        let message = Array("\(timestamp).".utf8) + body
        return HMACSHA256.authenticationCode(key: secret, message: message).map { "sha256=" + Hex.string($0) }
    }

    /// True when `header` is the signature of `body` at `timestamp` under `secret`; compared in constant time.
    public static func isValid(header: String, secret: [UInt8], timestamp: Int64, body: [UInt8]) -> Bool {
        guard header.hasPrefix("sha256="), let presented = Hex.bytes(String(header.dropFirst(7))),
            let expected = HMACSHA256.authenticationCode(key: secret, message: Array("\(timestamp).".utf8) + body)
        else { return false }
        return HMACSHA256.constantTimeEqual(presented, expected)
    }
}

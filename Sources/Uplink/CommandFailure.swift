import Events

/// Why a command was not carried out: a stable `code` upstreams may switch on, and a human `detail`.
///
/// Intake codes: `too-large`, `malformed`, `unknown-command`, `unsigned`, `bad-signature`, `no-command-key`,
/// `stale`, `id-reused`. A `CommandTarget` adds its own (`unknown-device`, `unknown-door`, …).
public struct CommandFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, lowercase, dashed code.
    public var code: String
    /// What went wrong and what to do about it; never contains secrets or argument values.
    public var detail: String
    /// What was done all the same, for a command that did part of its work (`events.replay`'s counts).
    public var data: JSONValue?

    /// A failure with a stable `code`, a human `detail` and, when part of the work was done, `data` saying which.
    public init(code: String, detail: String, data: JSONValue? = nil) {
        self.code = code
        self.detail = detail
        self.data = data
    }

    /// `code: detail`.
    public var description: String { "\(code): \(detail)" }

    static func malformed(_ field: String, expected: String) -> CommandFailure {
        CommandFailure(code: "malformed", detail: "\(field): expected \(expected)")
    }
}

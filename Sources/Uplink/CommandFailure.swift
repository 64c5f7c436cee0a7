/// Why a command was not carried out: a stable `code` upstreams may switch on, and a human `detail`.
///
/// Intake codes: `too-large`, `malformed`, `unknown-command`, `unsigned`, `bad-signature`, `no-command-key`,
/// `stale`, `id-reused`. A `CommandTarget` adds its own (`unknown-device`, `unknown-door`, …).
public struct CommandFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, lowercase, dashed code.
    public var code: String
    /// What went wrong and what to do about it; never contains secrets or argument values.
    public var detail: String

    /// A failure with a stable `code` and a human `detail`.
    public init(code: String, detail: String) {
        self.code = code
        self.detail = detail
    }

    /// `code: detail`.
    public var description: String { "\(code): \(detail)" }

    static func malformed(_ field: String, expected: String) -> CommandFailure {
        CommandFailure(code: "malformed", detail: "\(field): expected \(expected)")
    }
}

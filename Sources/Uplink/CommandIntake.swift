import Events

/// Takes in upstream command payloads: parses, authorises (HMAC-SHA256, see `CommandSigning`), answers duplicates
/// from a durable ledger instead of running them twice, and hands new commands to the `CommandTarget`.
///
/// Order of checks: size, JSON, fields (`too-large`, `malformed`, `unknown-command`); signature when the command
/// moves hardware or carries one (`unsigned`, `no-command-key`, `bad-signature`); duplicates (`id-reused` when the
/// same id comes with other content; a true duplicate gets its stored result, even when older than ±300 s);
/// freshness (`stale`); then execution. Only executed commands are recorded, so a rejected one may be fixed and
/// sent again under the same id.
public actor CommandIntake {
    /// The ledger keeps at most this many commands…
    public static let maximumRecords = 10_000
    /// …and none older than this (7 days), in milliseconds.
    public static let maximumAgeMilliseconds: Int64 = 7 * 86_400_000

    private let key: [UInt8]?
    private let now: @Sendable () -> EventTime
    private let target: any CommandTarget
    private let log: @Sendable (String) -> Void
    private let ledger: CommandLedger
    private var records: [String: CommandLedgerRecord] = [:]
    private var linesInFile: Int
    private var inFlight: [String: (digest: String, task: Task<CommandResult, Never>)] = [:]

    /// Opens (and compacts) the ledger `commands.jsonl` in `dataDirectory`; `key` nil refuses every command that
    /// moves hardware. Throws `CommandKeyError` for a key under 32 bytes, `CommandLedgerError` for file trouble.
    public init(
        dataDirectory: String,
        key: [UInt8]?,
        clock now: @escaping @Sendable () -> EventTime = { EventTime.now() },
        target: any CommandTarget,
        log: @escaping @Sendable (String) -> Void
    ) throws {
        if let key { try CommandKey.validate(key, path: "(key)") }
        let (ledger, kept) = try CommandLedger.open(
            directory: dataDirectory,
            now: now(),
            maximumRecords: Self.maximumRecords,
            maximumAgeMilliseconds: Self.maximumAgeMilliseconds,
            log: log
        )
        self.key = key
        self.now = now
        self.target = target
        self.log = log
        self.ledger = ledger
        self.linesInFile = kept.count
        for record in kept { records[record.id] = record }
    }

    /// Handles one payload and returns the result to publish as a `command.result` event; never throws.
    public func handle(_ payload: [UInt8]) async -> CommandResult {
        let command: Command
        do {
            command = try Command(parsing: payload)
        } catch {
            let id =
                payload.count <= Command.maximumPayloadBytes
                ? (try? JSONValue(parsing: payload)).flatMap { Command.validID($0["id"]) } : nil
            return reject(id: id, what: "payload of \(payload.count) bytes", error)
        }
        let what = "\(command.command) for device \(command.device)"
        let verified = command.command.needsSignature || command.signature != nil
        if verified, let failure = authorise(command) { return reject(id: command.id, what: what, failure) }
        guard let digestBytes = HMACSHA256.digest(Array(CommandSigning.message(for: command).utf8)) else {
            let failure = CommandFailure(code: "internal", detail: "libcrypto could not hash the command; retry")
            return reject(id: command.id, what: what, failure)
        }
        let digest = Hex.string(digestBytes)
        if let record = records[command.id] {
            guard record.digest == digest else { return reject(id: command.id, what: what, Self.reused(command)) }
            log("command \(command.id) (\(what)) is a duplicate: answered with its result of \(record.time), not run")
            return record.result
        }
        if let running = inFlight[command.id] {
            guard running.digest == digest else { return reject(id: command.id, what: what, Self.reused(command)) }
            log("command \(command.id) (\(what)) is a duplicate of one still running: answered with its result")
            return await running.task.value
        }
        if verified, let failure = checkFreshness(command) { return reject(id: command.id, what: what, failure) }
        return await execute(command, digest: digest, what: what)
    }

    /// The answer to a payload of `byteCount` bytes that the transport skipped unread (too large to keep):
    /// `too-large` with no id (it was never read), logged like any refusal.
    public func refuseOversized(byteCount: Int) -> CommandResult {
        reject(id: nil, what: "payload of \(byteCount) bytes, skipped unread", Command.tooLarge(byteCount: byteCount))
    }

    private func execute(_ command: Command, digest: String, what: String) async -> CommandResult {
        let task = Task { [target] in
            switch await target.execute(command) {
            case .success(let data): return CommandResult(id: command.id, ok: true, data: data)
            case .failure(let failure): return CommandResult(id: command.id, failure: failure)
            }
        }
        inFlight[command.id] = (digest, task)
        let result = await task.value
        let record = CommandLedgerRecord(id: command.id, digest: digest, result: result, time: now())
        records[command.id] = record
        inFlight[command.id] = nil
        if let code = result.error {
            log("command \(command.id) (\(what)) failed: \(code): \(result.detail ?? "")")
        }
        await persist(record)
        return result
    }

    /// Appends the record durably; every `maximumRecords` appends beyond the limit, rewrites the file pruned.
    private func persist(_ record: CommandLedgerRecord) async {
        linesInFile += 1
        let error: CommandLedgerError?
        if linesInFile > 2 * Self.maximumRecords {
            let cutoff = now().millisecondsSinceEpoch - Self.maximumAgeMilliseconds
            let kept = records.values.filter { $0.time.millisecondsSinceEpoch >= cutoff }
                .sorted { $0.time < $1.time }
                .suffix(Self.maximumRecords)
            records = Dictionary(kept.map { ($0.id, $0) }, uniquingKeysWith: { _, newer in newer })
            linesInFile = kept.count
            error = await ledger.replace(with: Array(kept))
        } else {
            error = await ledger.append(record)
        }
        if let error {
            let consequence = "a duplicate after a restart would run again"
            log("command \(record.id) ran but its result was not recorded (\(consequence)): \(error)")
        }
    }

    private func authorise(_ command: Command) -> CommandFailure? {
        guard let signature = command.signature else {
            let why = command.command.movesHardware ? "moves hardware" : "makes the controller re-publish events"
            return CommandFailure(
                code: "unsigned",
                detail: "\(command.command) \(why) and must carry an HMAC-SHA256 signature (CommandSigning)"
            )
        }
        guard CommandSigning.isWellFormed(signature) else {
            return CommandFailure(
                code: "bad-signature",
                detail: "signature: expected exactly 64 lower-case hex digits (0-9, a-f), got \(signature.count) "
                    + "characters\(signature.count == 64 ? " with others among them" : "")"
            )
        }
        guard let key else {
            return CommandFailure(
                code: "no-command-key",
                detail: "this controller has no command key (uplinks.mqtt.commandKeyFile), so it cannot verify "
                    + "signed commands; configure the key shared with the upstream"
            )
        }
        guard CommandSigning.isValid(signature: signature, for: command, key: key) else {
            return CommandFailure(
                code: "bad-signature",
                detail: "signature does not match; check the key and the signed message (floorlink-command-v1: id, "
                    + "command, device, issuedAt as written, canonical args)"
            )
        }
        return nil
    }

    private func checkFreshness(_ command: Command) -> CommandFailure? {
        guard let issuedAt = command.issuedAt else {
            return .malformed("issuedAt", expected: "\(CommandIssuedAt.expected) (missing; required when signed)")
        }
        let skew = now().millisecondsSinceEpoch - issuedAt.time.millisecondsSinceEpoch
        guard skew.magnitude > UInt64(CommandSigning.maximumSkewSeconds * 1000) else { return nil }
        let direction = skew > 0 ? "in the past" : "in the future"
        return CommandFailure(
            code: "stale",
            detail: "issuedAt is \(skew.magnitude / 1000) s \(direction) of this controller's clock (allowed "
                + "±\(CommandSigning.maximumSkewSeconds) s); check both clocks (NTP) and send a new command"
        )
    }

    private static func reused(_ command: Command) -> CommandFailure {
        CommandFailure(
            code: "id-reused",
            detail: "id \(command.id) was already used for a different command; give every new command a new id"
        )
    }

    private func reject(id: String?, what: String, _ failure: CommandFailure) -> CommandResult {
        log("command \(id ?? "(no valid id)") (\(what)) rejected: \(failure.code): \(failure.detail)")
        return CommandResult(id: id, failure: failure)
    }
}

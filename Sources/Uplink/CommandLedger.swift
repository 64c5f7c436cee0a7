import Dispatch
import Events
import Glibc

/// The append-only, fsynced JSON-lines file (`commands.jsonl` in the data directory) of executed commands, so a
/// duplicate is answered from it after a restart. Compacted on open: a torn last line is dropped, and only the
/// newest `maximumRecords` no older than `maximumAge` are kept.
///
/// `@unchecked Sendable`: the file descriptor is touched only on `queue` (a serial queue, so the
/// blocking `write`/`fsync` never run on the cooperative pool) or in `open` before the ledger is shared.
final class CommandLedger: @unchecked Sendable {
    static let fileName = "commands.jsonl"

    let path: String
    private let queue = DispatchQueue(label: "floorlink.command-ledger")
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Loads, compacts and opens the ledger in `directory` (created if missing); returns it and the kept records,
    /// oldest first.
    static func open(
        directory: String,
        now: EventTime,
        maximumRecords: Int,
        maximumAgeMilliseconds: Int64,
        log: @Sendable (String) -> Void
    ) throws(CommandLedgerError) -> (CommandLedger, [CommandLedgerRecord]) {
        if mkdir(directory, 0o750) != 0, errno != EEXIST {
            throw CommandLedgerError(operation: "create directory", path: directory, errno: errno)
        }
        let path = directory + "/" + fileName
        var records = try readRecords(path: path, log: log)
        var seen = Set<String>()
        var newestFirst: [CommandLedgerRecord] = []
        for record in records.reversed() where !seen.contains(record.id) {
            seen.insert(record.id)
            guard now.millisecondsSinceEpoch - record.time.millisecondsSinceEpoch <= maximumAgeMilliseconds else {
                continue
            }
            newestFirst.append(record)
            if newestFirst.count == maximumRecords { break }
        }
        records = newestFirst.reversed()
        try rewrite(path: path, records: records)
        let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CommandLedgerError(operation: "open", path: path, errno: errno) }
        return (CommandLedger(path: path, descriptor: descriptor), records)
    }

    /// Appends `record` and fsyncs it, on the ledger's own queue (never blocking the cooperative pool).
    func append(_ record: CommandLedgerRecord) async -> CommandLedgerError? {
        await withCheckedContinuation { (continuation: CheckedContinuation<CommandLedgerError?, Never>) in
            queue.async {
                let line = Array((record.json.jsonText + "\n").utf8)
                if let error = Self.writeAll(line, to: self.descriptor, path: self.path) {
                    continuation.resume(returning: error)
                } else if fsync(self.descriptor) != 0 {
                    let error = CommandLedgerError(operation: "fsync", path: self.path, errno: errno)
                    continuation.resume(returning: error)
                } else {
                    continuation.resume(returning: nil)
                }
            }
        }
    }

    /// Replaces the whole file with `records` (oldest first) atomically, on the ledger's own queue.
    func replace(with records: [CommandLedgerRecord]) async -> CommandLedgerError? {
        await withCheckedContinuation { (continuation: CheckedContinuation<CommandLedgerError?, Never>) in
            queue.async {
                do throws(CommandLedgerError) {
                    try Self.rewrite(path: self.path, records: records)
                    let reopened = Glibc.open(self.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
                    guard reopened >= 0 else {
                        continuation.resume(
                            returning: CommandLedgerError(operation: "open", path: self.path, errno: errno)
                        )
                        return
                    }
                    close(self.descriptor)
                    self.descriptor = reopened
                    continuation.resume(returning: nil)
                } catch {
                    continuation.resume(returning: error)
                }
            }
        }
    }

    /// Every whole, readable record in the file, oldest first; a torn or unreadable line is skipped and logged.
    private static func readRecords(
        path: String,
        log: @Sendable (String) -> Void
    ) throws(CommandLedgerError) -> [CommandLedgerRecord] {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0, errno == ENOENT { return [] }
        guard descriptor >= 0 else { throw CommandLedgerError(operation: "open", path: path, errno: errno) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw CommandLedgerError(operation: "read", path: path, errno: errno) }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        var records: [CommandLedgerRecord] = []
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() where !line.isEmpty {
            if let json = try? JSONValue(parsing: line), let record = CommandLedgerRecord(json: json) {
                records.append(record)
            } else if index == lines.count - 1 {
                log("command ledger \(path): skipped a torn last line (\(line.count) bytes) left by a crash")
            } else {
                log("command ledger \(path): skipped unreadable line \(index + 1)")
            }
        }
        return records
    }

    /// Replaces the file with `records` atomically: write a temporary file, fsync, rename, fsync the directory.
    private static func rewrite(path: String, records: [CommandLedgerRecord]) throws(CommandLedgerError) {
        let temporary = path + ".tmp"
        let descriptor = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CommandLedgerError(operation: "create", path: temporary, errno: errno) }
        var text = ""
        for record in records { text += record.json.jsonText + "\n" }
        if let error = writeAll(Array(text.utf8), to: descriptor, path: temporary) {
            close(descriptor)
            throw error
        }
        guard fsync(descriptor) == 0 else {
            let code = errno
            close(descriptor)
            throw CommandLedgerError(operation: "fsync", path: temporary, errno: code)
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            throw CommandLedgerError(operation: "rename to \(path)", path: temporary, errno: errno)
        }
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        let directoryDescriptor = Glibc.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) -> CommandLedgerError? {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress.map { $0 + offset }, bytes.count - offset)
            }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return CommandLedgerError(operation: "write", path: path, errno: errno) }
            offset += written
        }
        return nil
    }
}

import Dispatch
import Events
import Glibc
import HAL

/// A locker bank's records in one small file, `DIR/LOCKER.state`, replaced as a whole on every change: written to
/// `LOCKER.state.tmp`, fsync'd, renamed over the old file and the directory fsync'd, so that a crash at any point
/// leaves either the old records or the new ones, never a torn mix. The file is a header line, then the payload's
/// length and CRC32C (4 bytes little-endian each, the outbox's record framing) and the payload, compact JSON.
///
/// Instants are stored as wall-clock milliseconds since the epoch (the bank's clock is monotonic and restarts
/// with the machine) and turned back into instants of the bank's clock on load.
public struct LockerStateFile: LockerStateStore {
    /// The first line of every state file.
    static let header = Array("floorlink-locker-state 1\n".utf8)

    /// The state file's path.
    public let path: String
    private let directory: String
    private let locker: String
    private let clock: any Clock
    private let wallClock: @Sendable () -> Int64

    /// The state file of `locker` in `directory`; `wallClock` gives milliseconds since the epoch (tests pass
    /// one tied to their manual clock).
    public init(
        directory: String,
        locker: String,
        clock: any Clock,
        wallClock: @escaping @Sendable () -> Int64 = { EventTime.now().millisecondsSinceEpoch }
    ) {
        self.directory = directory
        self.locker = locker
        self.clock = clock
        self.wallClock = wallClock
        path = Self.path(directory: directory, locker: locker)
    }

    /// Where the state of `locker` lives in `directory`.
    public static func path(directory: String, locker: String) -> String {
        "\(directory)/\(locker).state"
    }

    // MARK: Loading

    public func load() throws(LockerError) -> LockerRecords {
        guard let payload = try Self.readPayload(path: path) else { return LockerRecords() }
        let (wallNow, clockNow) = (wallClock(), clock.now)
        func instant(_ wall: Int64) -> ClockInstant { clockNow + .milliseconds(wall - wallNow) }
        func field<T>(_ value: T?, _ what: String) throws(LockerError) -> T {
            guard let value else { throw .stateUnreadable("\(path): \(what) missing or of the wrong type") }
            return value
        }
        var records = LockerRecords()
        for element in try field(payload["orders"]?.stateArray, "orders") {
            let codeDigest = element["code"] == .null ? nil : try field(element["code"]?.stringValue, "order code")
            records.orders.append(
                LockerRecords.Order(
                    door: try field(element["door"]?.stringValue, "order door"),
                    order: try field(element["order"]?.stringValue, "order id"),
                    codeDigest: codeDigest,
                    expiresAt: instant(try field(element["expiresAtMs"]?.intValue, "order expiresAtMs")),
                    deposited: try field(element["deposited"]?.stateBool, "order deposited")
                )
            )
        }
        for element in try field(payload["keypads"]?.stateArray, "keypads") {
            let lockedUntil =
                element["lockedUntilMs"] == .null
                ? nil : instant(try field(element["lockedUntilMs"]?.intValue, "keypad lockedUntilMs"))
            var wrongCodes: [ClockInstant] = []
            for time in try field(element["wrongCodesMs"]?.stateArray, "keypad wrongCodesMs") {
                wrongCodes.append(instant(try field(time.intValue, "keypad wrongCodesMs")))
            }
            records.keypads.append(
                LockerRecords.Keypad(
                    keypad: try field(element["keypad"]?.stringValue, "keypad id"),
                    failures: Int(try field(element["failures"]?.intValue, "keypad failures")),
                    lockedUntil: lockedUntil,
                    recentWrongCodes: wrongCodes,
                    blocked: try field(element["blocked"]?.stateBool, "keypad blocked")
                )
            )
        }
        return records
    }

    /// The (door, order) pairs stored for `locker` in `directory`, without a clock: what a new configuration
    /// must keep. None when the bank never stored anything.
    public static func storedOrders(
        directory: String,
        locker: String
    ) throws(LockerError) -> [(
        door: String, order: String
    )] {
        let file = path(directory: directory, locker: locker)
        guard let payload = try readPayload(path: file) else { return [] }
        guard let orders = payload["orders"]?.stateArray else { throw .stateUnreadable("\(file): orders missing") }
        return orders.compactMap { element in
            guard let door = element["door"]?.stringValue, let order = element["order"]?.stringValue else {
                return nil
            }
            return (door, order)
        }
    }

    /// The locker ids with a state file in `directory` (none when it does not exist).
    public static func lockers(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".state"), name.count > 6 { names.append(String(name.dropLast(6))) }
        }
        return names.sorted()
    }

    /// The checked payload of the file at `path`, nil when there is no file.
    private static func readPayload(path: String) throws(LockerError) -> JSONValue? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw .stateUnreadable("\(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw .stateUnreadable("\(path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            bytes += chunk[0..<count]
            guard bytes.count <= 64 * 1024 * 1024 else { throw .stateUnreadable("\(path): larger than 64 MiB") }
        }
        let headerEnd = header.count
        guard bytes.count >= headerEnd + 8, Array(bytes[0..<headerEnd]) == header else {
            throw .stateUnreadable("\(path): not a locker state file (header missing or cut short)")
        }
        let length = Int(littleEndian(bytes, at: headerEnd))
        let checksum = littleEndian(bytes, at: headerEnd + 4)
        let payload = bytes[(headerEnd + 8)...]
        guard payload.count == length else {
            throw .stateUnreadable("\(path): the payload is \(payload.count) bytes, its header says \(length)")
        }
        guard CRC32C.checksum(payload) == checksum else {
            throw .stateUnreadable("\(path): the payload's CRC32C does not match")
        }
        do {
            return try JSONValue(parsing: payload)
        } catch {
            throw .stateUnreadable("\(path): \(error)")
        }
    }

    private static func littleEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }

    // MARK: Saving

    /// Encodes `records` and replaces the file on `fileQueue`, so the write and its two fsyncs never hold up the
    /// thread the bank runs on.
    public func save(_ records: LockerRecords) async throws(LockerError) {
        let (wallNow, clockNow) = (wallClock(), clock.now)
        func wall(_ instant: ClockInstant) -> JSONValue {
            .int(wallNow + (instant - clockNow).wholeMilliseconds)
        }
        let orders = records.orders.map { order -> JSONValue in
            [
                "door": .string(order.door), "order": .string(order.order),
                "code": order.codeDigest.map { .string($0) } ?? .null, "expiresAtMs": wall(order.expiresAt),
                "deposited": .bool(order.deposited),
            ]
        }
        let keypads = records.keypads.map { pad -> JSONValue in
            [
                "keypad": .string(pad.keypad), "failures": .int(Int64(pad.failures)),
                "lockedUntilMs": pad.lockedUntil.map(wall) ?? .null,
                "wrongCodesMs": .array(pad.recentWrongCodes.map(wall)), "blocked": .bool(pad.blocked),
            ]
        }
        let payload: JSONValue = [
            "locker": .string(locker), "savedAtMs": .int(wallNow), "orders": .array(orders),
            "keypads": .array(keypads),
        ]
        let body = Array(payload.jsonText.utf8)
        var bytes = Self.header
        for value in [UInt32(body.count), CRC32C.checksum(body)] {
            for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
        }
        bytes += body
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<LockerError?, Never>) in
            Self.fileQueue.async { [self, bytes] in
                do throws(LockerError) {
                    try replaceFile(with: bytes)
                    continuation.resume(returning: nil)
                } catch {
                    continuation.resume(returning: error)
                }
            }
        }
        if let result { throw result }
    }

    /// Where state files are written and synced: one serial queue for every bank, off the cooperative pool and the
    /// I/O loop.
    private static let fileQueue = DispatchQueue(label: "floorlink.locker-state")

    /// Replaces the file with `bytes`: temporary file, fsync, rename, directory fsync.
    private func replaceFile(with bytes: [UInt8]) throws(LockerError) {
        func failure(_ step: String, _ file: String) -> LockerError {
            .stateNotStored("\(step) \(file): \(String(cString: strerror(errno)))")
        }
        if mkdir(directory, 0o750) != 0 && errno != EEXIST { throw failure("mkdir", directory) }
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw failure("open", temporary) }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let error = failure("write", temporary)
                close(descriptor)
                unlink(temporary)
                throw error
            }
            written += count
        }
        guard fsync(descriptor) == 0 else {
            let error = failure("fsync", temporary)
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let error = failure("rename", temporary)
            unlink(temporary)
            throw error
        }
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw failure("open", directory) }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw failure("fsync", directory) }
    }
}

extension JSONValue {
    /// The elements of an array, nil for anything else.
    fileprivate var stateArray: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The value of a boolean, nil for anything else.
    fileprivate var stateBool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }
}

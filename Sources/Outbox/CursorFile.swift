import Events
import Glibc

/// An uplink's cursor file, `cursor-<uplink>`: two lines of the same shape, `<seq, 20 digits> <CRC32C of those
/// digits, 8 hex>`, written in turn in place (`pwrite` and `fdatasync`, the file never changes size), so a store
/// writes one block and no metadata: no temp file, rename or directory sync once the file exists. A power cut
/// during a store spoils at most the line being written; the other still holds an earlier cursor, which costs
/// duplicates and never a loss. Reading takes the highest valid line (cursors only grow); a plain decimal, the
/// format before this one, is read as well and replaced at the next store.
enum CursorFile {
    /// The bytes of one line: 20 digits, a space, 8 hex digits, a newline.
    static let lineBytes = 30
    /// The whole file: two lines.
    static let fileBytes = 2 * lineBytes

    /// What a cursor file holds: the cursor, and the line it came from (nil for the older one-number format).
    struct Contents: Equatable {
        var seq: UInt64
        var line: Int?
    }

    /// One line holding `seq`.
    static func line(_ seq: UInt64) -> [UInt8] {
        let digits = Array(String(seq).utf8)
        let padded = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, 20 - digits.count)) + digits
        return padded + [UInt8(ascii: " ")] + Array(Hex.padded(CRC32C.checksum(padded)).utf8) + [UInt8(ascii: "\n")]
    }

    /// A new file's bytes: both lines hold `seq`.
    static func file(_ seq: UInt64) -> [UInt8] {
        line(seq) + line(seq)
    }

    /// The cursor in `bytes`, or nil when neither line is valid and they are not a plain decimal either.
    static func decode(_ bytes: [UInt8]) -> Contents? {
        if bytes.count == fileBytes {
            let lines = (0..<2).compactMap { index -> Contents? in
                decodeLine(bytes[(index * lineBytes)..<((index + 1) * lineBytes)]).map {
                    Contents(seq: $0, line: index)
                }
            }
            if let newest = lines.max(by: { $0.seq < $1.seq }) { return newest }
        }
        var digits = bytes[...]
        if digits.last == UInt8(ascii: "\n") { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.count <= 20, digits.allSatisfy({ (48...57).contains($0) }),
            let value = UInt64(String(decoding: digits, as: UTF8.self)), value <= RecordFormat.maximumSeq
        else { return nil }
        return Contents(seq: value, line: nil)
    }

    private static func decodeLine(_ line: ArraySlice<UInt8>) -> UInt64? {
        let digits = line.prefix(20)
        guard line.count == lineBytes, line[line.startIndex + 20] == UInt8(ascii: " "), line.last == UInt8(ascii: "\n"),
            digits.allSatisfy({ (48...57).contains($0) }),
            let checksum = UInt32(String(decoding: line.dropFirst(21).prefix(8), as: UTF8.self), radix: 16),
            checksum == CRC32C.checksum(digits),
            let value = UInt64(String(decoding: digits, as: UTF8.self)), value <= RecordFormat.maximumSeq
        else { return nil }
        return value
    }

    /// Creates (or replaces) the file at `path` holding `seq` in both lines, atomically: temp file, fsync, rename
    /// over, fsync of the directory. Returns the file open for writing, for later in-place stores.
    static func create(
        _ seq: UInt64,
        path: String,
        directoryDescriptor: Int32,
        directoryPath: String
    ) throws(OutboxError) -> Int32 {
        let temporary = path + ".tmp"
        let descriptor = try FileSystem.openFile(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do throws(OutboxError) {
            try FileSystem.writeAll(descriptor, file(seq), path: temporary)
            try FileSystem.sync(descriptor, path: temporary)
            try FileSystem.rename(temporary, to: path)
            try FileSystem.sync(directoryDescriptor, path: directoryPath)
        } catch {
            FileSystem.closeFile(descriptor)
            throw error
        }
        return descriptor
    }

    /// Writes `seq` over line `line` of the open file and syncs it.
    static func store(_ seq: UInt64, line: Int, descriptor: Int32, path: String) throws(OutboxError) {
        try FileSystem.writeAll(descriptor, self.line(seq), at: line * lineBytes, path: path)
        try FileSystem.syncData(descriptor, path: path)
    }
}

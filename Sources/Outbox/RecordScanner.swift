import Events
import Glibc

/// Reads the records of one segment file front to back in chunks, checking each one's length and CRC32C; after
/// damage it looks for the next position where a valid record starts.
struct RecordScanner {
    /// A record's payload bytes, a slice of the read buffer.
    typealias Payload = ArraySlice<UInt8>

    private static let chunkBytes = 64 << 10

    private let descriptor: Int32
    private let path: String
    private let end: Int
    private var buffer: [UInt8] = []
    private var bufferOffset = 0
    /// Where the next record is expected.
    private(set) var offset: Int

    /// Scans bytes `start..<end` of the file open as `descriptor`.
    init(descriptor: Int32, path: String, start: Int, end: Int) {
        self.descriptor = descriptor
        self.path = path
        self.offset = start
        self.end = end
    }

    /// The next record, damaged range or the end.
    mutating func next() throws(OutboxError) -> ScanStep {
        guard offset < end else { return .end }
        let start = offset
        if let payload = try validPayload(at: start, requirePrefix: false) {
            offset = start + RecordFormat.headerBytes + payload.count
            return .record(offset: start, payload: payload)
        }
        var position = start + 1
        while position + RecordFormat.headerBytes < end {
            if try validPayload(at: position, requirePrefix: true) != nil {
                offset = position
                return .damaged(offset: start, byteCount: position - start, resumed: true)
            }
            position += 1
        }
        offset = end
        return .damaged(offset: start, byteCount: end - start, resumed: false)
    }

    /// The payload of the record at `position` if its header is plausible and its checksum matches.
    private mutating func validPayload(at position: Int, requirePrefix: Bool) throws(OutboxError) -> Payload? {
        let header = RecordFormat.headerBytes
        guard end - position >= header else { return nil }
        let head = try bytes(at: position, count: header)
        let length = Int(RecordFormat.littleEndianUInt32(head, at: head.startIndex))
        let checksum = RecordFormat.littleEndianUInt32(head, at: head.startIndex + 4)
        guard length > 0, length <= RecordFormat.maximumPayloadBytes, end - position - header >= length else {
            return nil
        }
        if requirePrefix {
            let prefixLength = min(length, RecordFormat.payloadPrefix.count)
            let prefix = try bytes(at: position + header, count: prefixLength)
            guard prefix.elementsEqual(RecordFormat.payloadPrefix.prefix(prefixLength)) else { return nil }
        }
        let payload = try bytes(at: position + header, count: length)
        let matches = payload.withUnsafeBytes { CRC32C.checksum($0) } == checksum
        return matches ? payload : nil
    }

    /// Bytes `position..<position + count` (all within `end`), from the buffer, refilled as needed.
    private mutating func bytes(at position: Int, count: Int) throws(OutboxError) -> ArraySlice<UInt8> {
        if position < bufferOffset || position + count > bufferOffset + buffer.count {
            let length = min(max(count, Self.chunkBytes), end - position)
            buffer = try FileSystem.read(descriptor, offset: position, count: length, path: path)
            bufferOffset = position
            guard buffer.count >= count else { throw FileSystem.failure("pread (file shrank)", path, EIO) }
        }
        let start = position - bufferOffset
        return buffer[start..<start + count]
    }
}

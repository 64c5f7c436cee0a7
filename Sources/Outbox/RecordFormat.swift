import Events

/// The on-disk record: 4-byte little-endian payload length, 4-byte little-endian CRC32C of the payload, then the
/// payload (the event's compact JSON).
enum RecordFormat {
    /// Length and checksum.
    static let headerBytes = 8
    /// The largest payload a record may carry; a longer length field means a damaged header.
    static let maximumPayloadBytes = 1 << 20
    /// Every payload starts with these bytes (`{"v":`); used to find the next record after damage.
    static let payloadPrefix: [UInt8] = Array(#"{"v":"#.utf8)
    /// The highest seq an event can carry: the wire form's `seq` is a JSON integer, read back as an `Int64`.
    /// A seq above it (a damaged record, segment name or cursor) is treated as damage, never stored or counted on.
    static let maximumSeq = UInt64(Int64.max)
    private static let seqKey: [UInt8] = Array(#""seq":"#.utf8)

    /// The record bytes for `payload`.
    static func encode(payload: [UInt8]) -> [UInt8] {
        var record: [UInt8] = []
        record.reserveCapacity(headerBytes + payload.count)
        appendLittleEndian(UInt32(payload.count), to: &record)
        appendLittleEndian(CRC32C.checksum(payload), to: &record)
        record.append(contentsOf: payload)
        return record
    }

    /// The little-endian `UInt32` at `index` of `bytes`.
    static func littleEndianUInt32(_ bytes: ArraySlice<UInt8>, at index: Int) -> UInt32 {
        UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16
            | UInt32(bytes[index + 3]) << 24
    }

    /// The event's `seq` read straight from the payload's leading `"seq":` member, without parsing the JSON;
    /// nil when it is not where the writer puts it, or is above `maximumSeq`.
    static func sequenceNumber(inPayload payload: ArraySlice<UInt8>) -> UInt64? {
        let searchEnd = min(payload.endIndex, payload.startIndex + 96) - seqKey.count
        var index = payload.startIndex
        while index <= searchEnd {
            if payload[index] == seqKey[0], payload[index..<index + seqKey.count].elementsEqual(seqKey) {
                var value: UInt64 = 0
                var digits = 0
                var position = index + seqKey.count
                while position < payload.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(payload[position]) {
                    let (scaled, overflow) = value.multipliedReportingOverflow(by: 10)
                    let (next, carry) = scaled.addingReportingOverflow(UInt64(payload[position] - UInt8(ascii: "0")))
                    guard !overflow, !carry, next <= maximumSeq else { return nil }
                    value = next
                    digits += 1
                    position += 1
                }
                return digits > 0 ? value : nil
            }
            index += 1
        }
        return nil
    }

    private static func appendLittleEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }
}

extension Int {
    /// `self + other`, stopping at `Int.max`: a count of lost records is estimated from the seq gap around
    /// damage, which damage itself can make as large as 2^63, so running totals of it must not overflow.
    func saturatingAdding(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}

/// Reads a packet body: big-endian integers and length-prefixed strings; running short is a protocol violation.
struct MQTTByteReader {
    private let bytes: ArraySlice<UInt8>
    private var index: Int
    private let packet: String

    init(_ bytes: ArraySlice<UInt8>, packet: String) {
        self.bytes = bytes
        self.index = bytes.startIndex
        self.packet = packet
    }

    var remaining: Int { bytes.endIndex - index }
    var isAtEnd: Bool { index == bytes.endIndex }

    mutating func byte(_ field: String) throws(MQTTError) -> UInt8 {
        guard remaining >= 1 else { throw truncated(field) }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func uint16(_ field: String) throws(MQTTError) -> UInt16 {
        guard remaining >= 2 else { throw truncated(field) }
        defer { index += 2 }
        return UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
    }

    mutating func binary(_ field: String) throws(MQTTError) -> [UInt8] {
        let count = Int(try uint16(field))
        guard remaining >= count else { throw truncated(field) }
        defer { index += count }
        return Array(bytes[index..<index + count])
    }

    /// A length-prefixed string that must be well-formed UTF-8 without U+0000.
    mutating func string(_ field: String) throws(MQTTError) -> String {
        let raw = try binary(field)
        guard !raw.contains(0), let text = String(validating: raw, as: UTF8.self) else {
            throw .protocolViolation("\(packet) \(field) is not valid UTF-8")
        }
        return text
    }

    /// Everything left.
    mutating func rest() -> [UInt8] {
        defer { index = bytes.endIndex }
        return Array(bytes[index...])
    }

    /// Throws unless every byte was read.
    func expectEnd() throws(MQTTError) {
        guard isAtEnd else { throw .protocolViolation("\(packet) has \(remaining) unexpected trailing bytes") }
    }

    private func truncated(_ field: String) -> MQTTError {
        .protocolViolation("\(packet) truncated in \(field)")
    }
}

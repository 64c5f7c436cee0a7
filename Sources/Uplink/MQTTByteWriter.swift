/// Builds a packet's variable header and payload: big-endian integers and length-prefixed strings.
struct MQTTByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) {
        bytes.reserveCapacity(capacity)
    }

    mutating func byte(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func uint16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xff))
    }

    /// Two-byte length then the bytes; at most 65,535 of them.
    mutating func binary(_ data: some Collection<UInt8>, field: String) throws(MQTTError) {
        guard data.count <= Int(UInt16.max) else {
            throw .invalidPacket("\(field) is \(data.count) bytes, more than 65535")
        }
        uint16(UInt16(data.count))
        bytes.append(contentsOf: data)
    }

    /// A UTF-8 string with a two-byte length; U+0000 is not allowed (MQTT 3.1.1 §1.5.3).
    mutating func string(_ text: String, field: String) throws(MQTTError) {
        // The check through the string's contiguous UTF-8: the generic `utf8` view's `contains` walks a byte at a
        // time through an iterator (several thousand instructions for each PUBLISH's topic).
        var text = text
        guard !text.withUTF8({ $0.contains(0) }) else { throw .invalidPacket("\(field) contains U+0000") }
        try binary(text.utf8, field: field)
    }

    mutating func raw(_ data: some Collection<UInt8>) {
        bytes.append(contentsOf: data)
    }
}

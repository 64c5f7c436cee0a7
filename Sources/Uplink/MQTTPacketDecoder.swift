/// Turns a byte stream, split anywhere, into packets; refuses anything larger than `maximumPacketSize` as
/// soon as its fixed header says so, before buffering it.
public struct MQTTPacketDecoder: Sendable {
    /// The default bound on one packet: 1 MiB.
    public static let defaultMaximumPacketSize = 1 << 20

    /// The largest packet accepted, fixed header included.
    public let maximumPacketSize: Int
    private var buffer: [UInt8] = []
    private var start = 0

    /// An empty decoder that refuses packets over `maximumPacketSize` bytes.
    public init(maximumPacketSize: Int = MQTTPacketDecoder.defaultMaximumPacketSize) {
        self.maximumPacketSize = maximumPacketSize
    }

    /// Bytes received but not yet part of a complete packet.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete packet, or nil until more bytes arrive; a malformed packet throws, and the stream is
    /// then unusable (the connection must be closed).
    public mutating func next() throws(MQTTError) -> MQTTPacket? {
        guard buffer.count - start >= 1 else { return nil }
        let firstByte = buffer[start]
        // Garbage is refused on its first byte, without waiting for a length it only pretends to have.
        try MQTTPacket.validateFirstByte(firstByte)
        guard buffer.count - start >= 2 else { return nil }
        guard case .value(let length, let lengthBytes) = try MQTTRemainingLength.parse(buffer[(start + 1)...]) else {
            return nil
        }
        let total = 1 + lengthBytes + length
        guard total <= maximumPacketSize else {
            throw .protocolViolation("packet of \(total) bytes exceeds the \(maximumPacketSize)-byte limit")
        }
        guard buffer.count - start >= total else { return nil }
        let bodyStart = start + 1 + lengthBytes
        let packet = try MQTTPacket.decode(firstByte: firstByte, body: buffer[bodyStart..<start + total])
        start += total
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return packet
    }
}

/// Turns a byte stream, split anywhere, into packets. A packet larger than `maximumPacketSize` is never buffered:
/// a PUBLISH is reported as `oversizedPublish` once its header (topic, packet id) is read and its payload has been
/// skipped as it arrived, so the connection survives it; any other oversized packet is refused as soon as its
/// fixed header says so.
public struct MQTTPacketDecoder: Sendable {
    /// The default bound on one packet: 1 MiB.
    public static let defaultMaximumPacketSize = 1 << 20

    /// The largest packet kept whole, fixed header included.
    public let maximumPacketSize: Int
    private var buffer: [UInt8] = []
    private var start = 0
    /// The oversized PUBLISH being skipped, reported once `skipRemaining` reaches 0.
    private var skipping: MQTTOversizedPublish?
    private var skipRemaining = 0

    /// An empty decoder that keeps packets of up to `maximumPacketSize` bytes.
    public init(maximumPacketSize: Int = MQTTPacketDecoder.defaultMaximumPacketSize) {
        self.maximumPacketSize = maximumPacketSize
    }

    /// Bytes received but not yet part of a complete packet. While an oversized PUBLISH is skipped this stays
    /// at most its header (topic and packet id, under 64 KiB) plus one received chunk.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Payload bytes of an oversized PUBLISH still to arrive (and be dropped).
    public var skippingByteCount: Int { skipRemaining }

    /// Adds received bytes; those belonging to an oversized PUBLISH's payload are dropped here.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        var incoming = ArraySlice(Array(bytes))
        if skipRemaining > 0 {
            // Entering the skip consumed everything buffered, so these bytes follow the skipped ones directly.
            let dropped = min(skipRemaining, incoming.count)
            skipRemaining -= dropped
            incoming = incoming.dropFirst(dropped)
        }
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: incoming)
    }

    /// The next complete packet or skipped oversized PUBLISH, or nil until more bytes arrive; a malformed packet
    /// throws, and the stream is then unusable (the connection must be closed).
    public mutating func next() throws(MQTTError) -> MQTTDecoded? {
        if let skipped = skipping {
            guard skipRemaining == 0 else { return nil }
            skipping = nil
            return .oversizedPublish(skipped)
        }
        guard buffer.count - start >= 1 else { return nil }
        let firstByte = buffer[start]
        // Garbage is refused on its first byte, without waiting for a length it only pretends to have.
        try MQTTPacket.validateFirstByte(firstByte)
        guard buffer.count - start >= 2 else { return nil }
        guard case .value(let length, let lengthBytes) = try MQTTRemainingLength.parse(buffer[(start + 1)...]) else {
            return nil
        }
        let total = 1 + lengthBytes + length
        let bodyStart = start + 1 + lengthBytes
        guard total <= maximumPacketSize else {
            guard firstByte >> 4 == 3 else {
                throw .protocolViolation("packet of \(total) bytes exceeds the \(maximumPacketSize)-byte limit")
            }
            return try skipPublish(firstByte: firstByte, bodyStart: bodyStart, length: length, total: total)
        }
        guard buffer.count - start >= total else { return nil }
        let packet = try MQTTPacket.decode(firstByte: firstByte, body: buffer[bodyStart..<start + total])
        consume(through: start + total)
        return .packet(packet)
    }

    /// Reads an oversized PUBLISH's header once it is buffered, then drops its payload: what is buffered now,
    /// and the rest in `append` as it arrives.
    private mutating func skipPublish(
        firstByte: UInt8,
        bodyStart: Int,
        length: Int,
        total: Int
    ) throws(MQTTError) -> MQTTDecoded? {
        let available = buffer.count - bodyStart
        guard available >= 2 else { return nil }
        let topicLength = Int(buffer[bodyStart]) << 8 | Int(buffer[bodyStart + 1])
        let headerLength = 2 + topicLength + ((firstByte >> 1) & 0b11 == 0 ? 0 : 2)
        guard headerLength <= length else { throw .protocolViolation("PUBLISH truncated in topic") }
        guard available >= headerLength else { return nil }
        let header = try MQTTPacket.decodePublishHeader(
            flags: firstByte & 0x0f,
            buffer[bodyStart..<bodyStart + headerLength]
        )
        let payloadLength = length - headerLength
        let payloadStart = bodyStart + headerLength
        let bufferedPayload = min(buffer.count - payloadStart, payloadLength)
        consume(through: payloadStart + bufferedPayload)
        skipRemaining = payloadLength - bufferedPayload
        let oversized = MQTTOversizedPublish(
            topic: header.topic,
            qos: header.qos,
            retain: header.retain,
            dup: header.dup,
            packetID: header.packetID,
            payloadByteCount: payloadLength,
            packetByteCount: total
        )
        guard skipRemaining == 0 else {
            skipping = oversized
            return nil
        }
        return .oversizedPublish(oversized)
    }

    private mutating func consume(through end: Int) {
        start = end
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            start = 0
        }
    }
}

import Events

/// Cuts a CU16-class byte stream into frames, with no I/O: bytes may arrive split anywhere and decode the same.
///
/// A frame is found by its STX and checked by its length (known from its CMD byte), its ETX and its SUM. A
/// candidate that fails is reported as a fault (`bad-frame`, `bad-checksum`) and the decoder rescans from the byte
/// after its STX; bytes outside any frame are reported once as a `bad-frame` run when the next STX arrives.
public struct CU16Decoder: Sendable {
    /// Which side's frames the stream carries.
    public enum Direction: Sendable {
        /// The host reads what boards send: status replies and unlock echoes.
        case fromBoards
        /// A board (or a simulator) reads what the host sends: commands only.
        case fromHost
    }

    /// A decoded unit of the stream.
    public enum Output: Hashable, Sendable {
        /// A whole, checked frame.
        case frame(CU16Frame)
        /// Damage in the stream; the decoder has resynchronised.
        case fault(FrameFault)
    }

    /// The direction this decoder reads.
    public let direction: Direction
    private var buffer: [UInt8] = []
    /// Bytes skipped outside any frame, reported when the next STX arrives.
    private var junkRun = 0
    /// After a rejected candidate: the bytes skipped up to the next STX belong to it, not to a new junk run.
    private var resynchronising = false
    private var faults = FaultTally()

    /// A decoder in its idle state, reading frames of `direction`.
    public init(direction: Direction) {
        self.direction = direction
    }

    /// Bytes held waiting for the rest of a frame, plus a pending run of skipped bytes.
    public var bufferedByteCount: Int { buffer.count + junkRun }

    /// Feeds received bytes; returns the frames and faults they complete, in stream order.
    public mutating func decode(_ bytes: some Collection<UInt8>) -> [Output] {
        buffer.append(contentsOf: bytes)
        var outputs: [Output] = []
        var index = 0
        while index < buffer.count {
            guard buffer[index] == CU16Frame.stx else {
                if !resynchronising { junkRun += 1 }
                index += 1
                continue
            }
            endJunkRun(into: &outputs)
            guard let length = frameLength(at: index) else { break }
            guard buffer.count - index >= length else { break }
            let end = index + length
            guard buffer[end - 2] == CU16Frame.etx else {
                let detail = "no ETX at byte \(length - 1) of a \(length)-byte frame from board \(buffer[index + 1])"
                reject(FrameFault.Reason.badFrame, detail, into: &outputs)
                index += 1
                continue
            }
            let expected = CU16Frame.checksum(buffer[index..<(end - 1)])
            guard buffer[end - 1] == expected else {
                let detail =
                    "SUM \(hex(buffer[end - 1])), expected \(hex(expected)) in a frame from board \(buffer[index + 1])"
                reject(FrameFault.Reason.badChecksum, detail, into: &outputs)
                index += 1
                continue
            }
            outputs.append(.frame(frame(at: index, length: length)))
            resynchronising = false
            index = end
        }
        buffer.removeFirst(index)
        return outputs
    }

    /// Drops a partial frame and a pending junk run (a new transaction starts); fault counts are kept.
    public mutating func reset() {
        buffer.removeAll()
        junkRun = 0
        resynchronising = false
    }

    /// The length of the frame starting at `index`, once enough of it is buffered to tell.
    private func frameLength(at index: Int) -> Int? {
        switch direction {
        case .fromHost:
            return CU16Frame.commandLength
        case .fromBoards:
            guard buffer.count - index >= 3 else { return nil }
            return buffer[index + 2] == CU16Frame.Command.statusReply ? CU16Frame.statusLength : CU16Frame.commandLength
        }
    }

    private func frame(at index: Int, length: Int) -> CU16Frame {
        let address = buffer[index + 1]
        if length == CU16Frame.statusLength {
            return .status(
                CU16Status(
                    address: address,
                    lockBits: UInt16(buffer[index + 3]) | UInt16(buffer[index + 4]) << 8,
                    sensorBits: UInt16(buffer[index + 5]) | UInt16(buffer[index + 6]) << 8
                )
            )
        }
        return .command(address: address, lock: buffer[index + 2], command: buffer[index + 3])
    }

    private mutating func endJunkRun(into outputs: inout [Output]) {
        resynchronising = false
        guard junkRun > 0 else { return }
        let noun = junkRun == 1 ? "byte" : "bytes"
        outputs.append(.fault(faults.record(FrameFault.Reason.badFrame, "\(junkRun) \(noun) outside any frame")))
        junkRun = 0
    }

    private mutating func reject(_ reason: String, _ detail: String, into outputs: inout [Output]) {
        outputs.append(.fault(faults.record(reason, detail)))
        resynchronising = true
    }

    private func hex(_ byte: UInt8) -> String { "0x" + Hex.padded(byte, uppercase: true) }
}

import Events

/// The serial protocol of M100/R200-class UHF reader modules (also sold as YRM100, JRD-100, EL-UHF-RMT01).
///
/// Frame: `BB type command lengthHi lengthLo payload… checksum 7E`, where the checksum is the low byte of the sum
/// of every byte from `type` to the last payload byte. Frames are cut by the length field only: 0x7E and 0xBB occur
/// inside EPCs and there is no byte stuffing. References: electron.id "EL-UHF-RMT01 Protocol" (frame format and
/// command codes) and the M100 command examples reproduced in public driver sources.
public struct M100Protocol: RFIDProtocol {
    /// The `type` byte of a frame.
    public enum FrameType: UInt8, Hashable, Sendable {
        /// Host to module.
        case command = 0x00
        /// Module to host, answering a command.
        case response = 0x01
        /// Module to host, unsolicited (e.g. a tag seen during inventory).
        case notice = 0x02
    }

    /// Command codes used by this driver, as they appear in the frame's command byte.
    public enum CommandCode {
        /// Get module information (hardware/software version, manufacturer).
        public static let moduleInfo: UInt8 = 0x03
        /// Single inventory round; also the code of inventory notices.
        public static let singleInventory: UInt8 = 0x22
        /// Start multi-round inventory.
        public static let multipleInventory: UInt8 = 0x27
        /// Stop multi-round inventory.
        public static let stopInventory: UInt8 = 0x28
        /// The command byte of an error response.
        public static let error: UInt8 = 0xFF
    }

    /// Error code the module sends when an inventory round found no tag; routine, not a fault.
    public static let noTagErrorCode: UInt8 = 0x15
    /// The largest payload accepted; a longer length field means the stream is misaligned.
    public static let maxPayloadLength = 512

    /// A short stable name for configuration and logs.
    public static let name = "m100"

    private static let header: UInt8 = 0xBB
    private static let end: UInt8 = 0x7E
    /// Header, type, command, two length bytes, checksum and end marker.
    private static let overhead = 7
    /// Buffered bytes that trigger a parse pass while feeding, bounding the buffer to this plus one partial frame.
    private static let parseThreshold = 1024

    /// The antenna number reported for every tag; these modules have one antenna port.
    public let antenna: Int

    private var buffer: [UInt8] = []
    /// Length of the current run of non-frame bytes, reported once the run ends.
    private var garbageRun = 0
    /// After a rejected frame: bytes skipped up to the next plausible header belong to it, not to garbage.
    private var resynchronising = false
    private var faults = FaultTally()

    /// Creates a parser in its idle state; `antenna` labels the tags it decodes.
    public init(antenna: Int = 1) {
        self.antenna = antenna
        buffer.reserveCapacity(Self.parseThreshold + Self.overhead + Self.maxPayloadLength)
    }

    /// How many received bytes are held waiting for the rest of a frame (never more than one partial frame).
    public var bufferedByteCount: Int { buffer.count }

    /// Feeds received bytes and returns the messages they complete; a garbage run is reported when it ends.
    public mutating func decode(_ bytes: some Collection<UInt8>) -> [RFIDMessage] {
        var messages: [RFIDMessage] = []
        for byte in bytes {
            buffer.append(byte)
            if buffer.count >= Self.parseThreshold {
                parseBuffer(into: &messages)
            }
        }
        parseBuffer(into: &messages)
        return messages
    }

    /// The exact bytes to write to the module for `command`.
    public func encode(_ command: RFIDCommand) -> [UInt8] {
        switch command {
        case .startInventory(let rounds):
            // The first parameter byte is fixed at 0x22 ("reserved") in the vendor manual.
            Self.frame(
                type: .command,
                command: CommandCode.multipleInventory,
                payload: [0x22, UInt8(rounds >> 8), UInt8(rounds & 0xFF)]
            )
        case .stopInventory:
            Self.frame(type: .command, command: CommandCode.stopInventory, payload: [])
        case .singleInventory:
            Self.frame(type: .command, command: CommandCode.singleInventory, payload: [])
        case .getFirmwareVersion:
            Self.frame(type: .command, command: CommandCode.moduleInfo, payload: [0x00])
        }
    }

    /// Discards any partial frame and pending garbage, e.g. after a disconnect; fault counts are kept.
    public static func isNoTagError(_ code: UInt8) -> Bool {
        code == noTagErrorCode
    }

    public mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        garbageRun = 0
        resynchronising = false
    }

    /// Builds a complete frame; payload bytes beyond 65 535 are dropped so the length field stays truthful.
    public static func frame(type: FrameType, command: UInt8, payload: some Collection<UInt8>) -> [UInt8] {
        let body = Array(payload.prefix(Int(UInt16.max)))
        let length = UInt16(truncatingIfNeeded: body.count)
        var frame: [UInt8] = [header, type.rawValue, command, UInt8(length >> 8), UInt8(length & 0xFF)]
        frame.reserveCapacity(body.count + overhead)
        frame.append(contentsOf: body)
        frame.append(checksum(frame[1...]))
        frame.append(end)
        return frame
    }

    /// The low byte of the sum of `bytes`: the module's checksum over type…last payload byte.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt8 {
        bytes.reduce(0, &+)
    }

    // MARK: - Parsing

    /// Consumes every complete frame and garbage run in the buffer, leaving at most one partial frame.
    private mutating func parseBuffer(into messages: inout [RFIDMessage]) {
        var index = buffer.startIndex
        let count = buffer.endIndex
        while index < count {
            guard buffer[index] == Self.header else {
                var next = index + 1
                while next < count, buffer[next] != Self.header { next += 1 }
                skip(next - index)
                index = next
                continue
            }
            guard count - index >= 2 else { break }
            guard FrameType(rawValue: buffer[index + 1]) != nil else {
                // 0xBB followed by an impossible type byte is not a frame start.
                skip(1)
                index += 1
                continue
            }
            endGarbageRun(into: &messages)
            guard count - index >= 5 else { break }
            let length = Int(buffer[index + 3]) << 8 | Int(buffer[index + 4])
            guard length <= Self.maxPayloadLength else {
                reject(
                    FrameFault.Reason.badFrame,
                    "payload length \(length) exceeds \(Self.maxPayloadLength)",
                    into: &messages
                )
                index += 1
                continue
            }
            guard count - index >= length + Self.overhead else { break }
            let checksumIndex = index + 5 + length
            let endByte = buffer[checksumIndex + 1]
            guard endByte == Self.end else {
                let detail = "end byte \(Self.hex(endByte)) instead of 0x7E"
                reject(FrameFault.Reason.badFrame, detail, into: &messages)
                index += 1
                continue
            }
            let expected = Self.checksum(buffer[(index + 1)..<checksumIndex])
            let actual = buffer[checksumIndex]
            guard expected == actual else {
                reject(
                    FrameFault.Reason.badChecksum,
                    "expected \(Self.hex(expected)), got \(Self.hex(actual))",
                    into: &messages
                )
                index += 1
                continue
            }
            let type = buffer[index + 1]
            let command = buffer[index + 2]
            let payload = buffer[(index + 5)..<checksumIndex]
            messages.append(message(type: type, command: command, payload: payload))
            index = checksumIndex + 2
        }
        buffer.removeFirst(index - buffer.startIndex)
    }

    private mutating func skip(_ byteCount: Int) {
        if !resynchronising { garbageRun += byteCount }
    }

    private mutating func endGarbageRun(into messages: inout [RFIDMessage]) {
        resynchronising = false
        guard garbageRun > 0 else { return }
        let noun = garbageRun == 1 ? "byte" : "bytes"
        messages.append(.fault(faults.record(FrameFault.Reason.garbage, "\(garbageRun) \(noun) between frames")))
        garbageRun = 0
    }

    /// Reports a rejected frame candidate; the caller then rescans from the byte after its header.
    private mutating func reject(_ reason: String, _ detail: String, into messages: inout [RFIDMessage]) {
        messages.append(.fault(faults.record(reason, detail)))
        resynchronising = true
    }

    private mutating func message(type: UInt8, command: UInt8, payload: ArraySlice<UInt8>) -> RFIDMessage {
        if type == FrameType.response.rawValue, command == CommandCode.error {
            guard let code = payload.first else {
                return .fault(faults.record(FrameFault.Reason.badFrame, "error response without an error code"))
            }
            return .error(code: code, detail: Self.errorDetail(code))
        }
        if type == FrameType.notice.rawValue, command == CommandCode.singleInventory {
            return tagMessage(payload)
        }
        return .response(command: command, payload: Array(payload))
    }

    /// Decodes an inventory notice payload: RSSI (signed dBm), PC, EPC (length from PC bits 15…11), CRC-16.
    private mutating func tagMessage(_ payload: ArraySlice<UInt8>) -> RFIDMessage {
        let bytes = Array(payload)
        guard bytes.count >= 3 else {
            return .fault(faults.record(FrameFault.Reason.badFrame, "inventory notice of \(bytes.count) bytes"))
        }
        let rssi = Int(Int8(bitPattern: bytes[0]))
        let pc = UInt16(bytes[1]) << 8 | UInt16(bytes[2])
        let epcLength = Int(pc >> 11) * 2
        let crc: UInt16?
        switch bytes.count - 3 - epcLength {
        case 2:
            crc = UInt16(bytes[bytes.count - 2]) << 8 | UInt16(bytes[bytes.count - 1])
        case 0:
            crc = nil
        default:
            let detail =
                "inventory notice of \(bytes.count) bytes does not fit PC \(Self.hex(pc)) "
                + "(\(epcLength)-byte EPC)"
            return .fault(faults.record(FrameFault.Reason.badFrame, detail))
        }
        let epc = Array(bytes[3..<(3 + epcLength)])
        return .tag(TagObservation(epc: epc, pc: pc, rssi: rssi, antenna: antenna, crc: crc))
    }

    private static func errorDetail(_ code: UInt8) -> String {
        code == noTagErrorCode ? "no tag found (inventory round failed)" : "module error \(Self.hex(code))"
    }

    /// `0x` and upper-case hex digits, zero-padded to the width of the integer type.
    private static func hex<Value: FixedWidthInteger & UnsignedInteger>(_ value: Value) -> String {
        "0x" + Hex.padded(value, uppercase: true)
    }
}

import Events

/// One frame of the CU16-class lock-board protocol (Kerong KR-CU16 and compatibles) on an RS-485 bus.
///
/// Host commands are `STX ADDR LOCK CMD ETX SUM` (LOCK the 0-based channel, 0x00 for board-wide commands); a
/// board's status reply is `STX ADDR 35 L1-8 L9-16 S1-8 S9-16 ETX SUM` (lock bits, then sensor bits, channel 1
/// in bit 0). SUM is the low byte of the sum of every byte before it. Some boards echo an unlock command back;
/// most answer nothing, so an unlock is confirmed by the next status poll.
public enum CU16Frame: Hashable, Sendable, CustomStringConvertible {
    /// A host command (or a board's echo of one): `lock` is the 0-based channel, 0 for board-wide commands.
    case command(address: UInt8, lock: UInt8, command: UInt8)
    /// A board's status reply: its raw lock and sensor bits.
    case status(CU16Status)

    /// Start of text: every frame begins with it.
    public static let stx: UInt8 = 0x02
    /// End of text: the byte before the checksum.
    public static let etx: UInt8 = 0x03

    /// Command bytes, as they appear in a frame's CMD position.
    public enum Command {
        /// Read the board's lock and sensor bits; answered by a `statusReply`.
        public static let status: UInt8 = 0x30
        /// Pulse one lock for the board's own unlock time.
        public static let unlock: UInt8 = 0x31
        /// The CMD byte of a status reply.
        public static let statusReply: UInt8 = 0x35
    }

    /// A command frame's length: STX ADDR LOCK CMD ETX SUM.
    public static let commandLength = 6
    /// A status reply's length: STX ADDR 35, four bit bytes, ETX SUM.
    public static let statusLength = 9
    /// Channels per board: 16 locks and 16 sensors.
    public static let channelCount = 16

    /// The status request for the board at `address`.
    public static func statusRequest(address: UInt8) -> CU16Frame {
        .command(address: address, lock: 0x00, command: Command.status)
    }

    /// The unlock command for `channel` (1-based, as doors are configured) of the board at `address`.
    public static func unlock(address: UInt8, channel: Int) -> CU16Frame {
        .command(address: address, lock: UInt8(truncatingIfNeeded: channel - 1), command: Command.unlock)
    }

    /// The board address the frame is for or from.
    public var address: UInt8 {
        switch self {
        case .command(let address, _, _): return address
        case .status(let status): return status.address
        }
    }

    /// The exact bytes on the wire, checksum included.
    public var bytes: [UInt8] {
        var frame: [UInt8]
        switch self {
        case .command(let address, let lock, let command):
            frame = [Self.stx, address, lock, command, Self.etx]
        case .status(let status):
            frame = [
                Self.stx, status.address, Command.statusReply, UInt8(status.lockBits & 0xFF),
                UInt8(status.lockBits >> 8), UInt8(status.sensorBits & 0xFF), UInt8(status.sensorBits >> 8), Self.etx,
            ]
        }
        frame.append(Self.checksum(frame))
        return frame
    }

    /// The low byte of the sum of `bytes`: a frame's SUM over every byte before it.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt8 {
        bytes.reduce(0, &+)
    }

    public var description: String {
        switch self {
        case .command(let address, let lock, let command):
            return "command \(Hex.string([command])) to board \(address) lock \(lock)"
        case .status(let status):
            return status.description
        }
    }
}

/// A CU16 board's answer to a status request: raw bits as the board sent them, before any polarity is applied.
public struct CU16Status: Hashable, Sendable, CustomStringConvertible {
    /// The board that answered.
    public var address: UInt8
    /// Lock bits, channel 1 in bit 0. Whether 1 means released or held differs between boards (a profile setting).
    public var lockBits: UInt16
    /// Sensor bits, channel 1 in bit 0.
    public var sensorBits: UInt16

    /// Describes one board's status.
    public init(address: UInt8, lockBits: UInt16, sensorBits: UInt16) {
        self.address = address
        self.lockBits = lockBits
        self.sensorBits = sensorBits
    }

    public var description: String {
        "status of board \(address): locks \(Hex.padded(lockBits)) sensors \(Hex.padded(sensorBits))"
    }
}

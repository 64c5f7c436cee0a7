import HAL

/// A lock-controller board's wire protocol as the bus needs it: the request for each operation and how to read
/// the reply, with no I/O of its own. A third board family is one more conformer.
public protocol LockBoardProtocol: Sendable {
    /// The protocol's config name: `cu16`, `modbus-rtu`.
    var name: String { get }
    /// Locks (and sensors) per board.
    var channelCount: Int { get }
    /// The board addresses a bus may use.
    var addresses: ClosedRange<Int> { get }
    /// Whether a set sensor bit means the door is open (else a clear bit does).
    var sensorOpenWhenSet: Bool { get }
    /// Whether a set lock bit means the lock is released (else a clear bit does): boards disagree.
    var lockReleasedWhenSet: Bool { get }
    /// How long the board itself energises a lock per unlock, when it times the pulse (CU16); nil when the host
    /// switches the lock on and off (Modbus coils).
    var boardPulse: Duration? { get }

    /// The request that reads a board's sensors (and its lock bits, where the same reply carries them).
    func statusRequest(address: UInt8) -> BoardRequest
    /// The request that reads the raw lock outputs, when the status reply does not carry them.
    func lockBitsRequest(address: UInt8) -> BoardRequest?
    /// The request that energises (releases) or de-energises `channel` (1-based); nil when there is nothing to
    /// send (a board that ends its own pulse).
    func lockRequest(address: UInt8, channel: Int, energised: Bool) -> BoardRequest?
    /// Reads the bytes received so far for `request`: nil while the reply is incomplete.
    func interpret(_ received: [UInt8], for request: BoardRequest) -> BoardReplyOutcome?
}

/// One request to one board.
public struct BoardRequest: Hashable, Sendable, CustomStringConvertible {
    /// What the request does, for replies and messages.
    public enum Purpose: Hashable, Sendable {
        case status
        case lockBits
        case lock(channel: Int, energised: Bool)
    }

    /// The board it goes to.
    public var address: UInt8
    /// What it does.
    public var purpose: Purpose
    /// The exact bytes on the wire.
    public var bytes: [UInt8]
    /// Whether the board answers it (most CU16 boards send nothing back for an unlock).
    public var expectsReply: Bool

    /// Describes a request.
    public init(address: UInt8, purpose: Purpose, bytes: [UInt8], expectsReply: Bool) {
        self.address = address
        self.purpose = purpose
        self.bytes = bytes
        self.expectsReply = expectsReply
    }

    public var description: String {
        switch purpose {
        case .status: return "status read of board \(address)"
        case .lockBits: return "lock-bit read of board \(address)"
        case .lock(let channel, let energised):
            return "\(energised ? "unlock" : "lock") of channel \(channel) on board \(address)"
        }
    }
}

/// A board's lock and sensor bits as it reported them, before polarity: channel 1 first.
public struct BoardStatus: Hashable, Sendable {
    /// The board that answered.
    public var address: UInt8
    /// The raw lock bits, when the reply carries them.
    public var lockBits: [Bool]?
    /// The raw sensor bits.
    public var sensorBits: [Bool]

    /// Describes one board's bits.
    public init(address: UInt8, lockBits: [Bool]?, sensorBits: [Bool]) {
        self.address = address
        self.lockBits = lockBits
        self.sensorBits = sensorBits
    }
}

/// What a board answered.
public enum BoardReply: Hashable, Sendable {
    /// The board's status.
    case status(BoardStatus)
    /// The raw lock outputs (a separate read on Modbus boards).
    case lockBits([Bool])
    /// The board confirmed a lock write.
    case acknowledged
}

/// How a transaction ended, as far as the reply goes.
public enum BoardReplyOutcome: Hashable, Sendable {
    case reply(BoardReply)
    case fault(BoardFault)
}

/// Why a board's answer was not usable: the `device.fault` reason and what was seen.
public struct BoardFault: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable reason codes, the `reason` of a board's `device.fault`.
    public enum Reason {
        /// Nothing came back within the board's timeout.
        public static let noReply = "no-reply"
        /// A frame arrived whose checksum did not match.
        public static let badChecksum = "bad-checksum"
        /// Bytes arrived that are not the frame expected (damaged, incomplete, from another board).
        public static let badFrame = "bad-frame"
        /// A Modbus exception response; `code` holds its exception code.
        public static let exception = "exception"
    }

    /// One of `Reason`.
    public var reason: String
    /// What was expected and what came, for the log and the event.
    public var detail: String
    /// The Modbus exception code, for `exception`.
    public var code: UInt8?

    /// Describes a fault.
    public init(reason: String, detail: String, code: UInt8? = nil) {
        self.reason = reason
        self.detail = detail
        self.code = code
    }

    public var description: String { "\(reason): \(detail)" }
}

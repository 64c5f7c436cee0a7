/// A reader's wire protocol: turns its byte stream into messages and commands into bytes, with no I/O of its own.
///
/// Conformers are value types holding only parser state, so a driver can own one per port and `reset()` it on
/// reconnect.
public protocol RFIDProtocol: Sendable {
    /// A short stable name for configuration and logs, e.g. `m100`.
    static var name: String { get }

    /// Feeds received bytes and returns the messages they complete, in stream order; partial frames are kept.
    mutating func decode(_ bytes: some Collection<UInt8>) -> [RFIDMessage]

    /// The exact bytes to write to the reader for `command`.
    func encode(_ command: RFIDCommand) -> [UInt8]

    /// Discards any partial frame, e.g. after a disconnect.
    mutating func reset()

    /// Whether an error code means only "no tag in the field": the normal answer of an idle inventory round.
    static func isNoTagError(_ code: UInt8) -> Bool
}

/// A decoded unit from a reader's byte stream.
public enum RFIDMessage: Hashable, Sendable {
    /// A tag was seen.
    case tag(TagObservation)
    /// A reply (or any other well-formed frame) carrying a command code and its raw payload.
    case response(command: UInt8, payload: [UInt8])
    /// The reader reported an error code for a command.
    case error(code: UInt8, detail: String)
    /// The byte stream was damaged; the parser has resynchronised.
    case fault(FrameFault)
}

/// The reader operations a driver needs, independent of any one protocol's encoding.
public enum RFIDCommand: Hashable, Sendable {
    /// Starts continuous (multi-round) inventory for up to `rounds` rounds.
    case startInventory(rounds: UInt16)
    /// Stops continuous inventory.
    case stopInventory
    /// Runs one inventory round.
    case singleInventory
    /// Asks the reader for its firmware version string.
    case getFirmwareVersion
}

import HAL

/// CU16-class boards (Kerong KR-CU16 and compatibles) behind `LockBoardProtocol`: one status read carries lock and
/// sensor bits; an unlock pulses the lock for the board's own unlock time, and most boards do not answer it.
public struct CU16BoardProtocol: LockBoardProtocol {
    public let name = "cu16"
    public let channelCount = CU16Frame.channelCount
    /// Addresses 0…31: the boards' DIP switches give five bits (most ship with four, 0…15).
    public let addresses = 0...31
    public let sensorOpenWhenSet: Bool
    public let lockReleasedWhenSet: Bool
    public let boardPulse: Duration?
    /// Whether the boards echo an unlock command (then the bus waits for the echo).
    public let unlockReplies: Bool

    /// A CU16 family member: its polarities, its own unlock time and whether it echoes unlocks.
    public init(
        sensorOpenWhenSet: Bool = true,
        lockReleasedWhenSet: Bool = true,
        boardPulse: Duration = .milliseconds(500),
        unlockReplies: Bool = false
    ) {
        self.sensorOpenWhenSet = sensorOpenWhenSet
        self.lockReleasedWhenSet = lockReleasedWhenSet
        self.boardPulse = boardPulse
        self.unlockReplies = unlockReplies
    }

    public func statusRequest(address: UInt8) -> BoardRequest {
        BoardRequest(
            address: address,
            purpose: .status,
            bytes: CU16Frame.statusRequest(address: address).bytes,
            expectsReply: true
        )
    }

    public func lockBitsRequest(address: UInt8) -> BoardRequest? { nil }

    public func lockRequest(address: UInt8, channel: Int, energised: Bool) -> BoardRequest? {
        guard energised else { return nil }
        return BoardRequest(
            address: address,
            purpose: .lock(channel: channel, energised: true),
            bytes: CU16Frame.unlock(address: address, channel: channel).bytes,
            expectsReply: unlockReplies
        )
    }

    public func interpret(_ received: [UInt8], for request: BoardRequest) -> BoardReplyOutcome? {
        var decoder = CU16Decoder(direction: .fromBoards)
        guard let first = decoder.decode(received).first else { return nil }
        switch first {
        case .fault(let fault):
            return .fault(BoardFault(reason: fault.reason, detail: fault.detail))
        case .frame(let frame):
            guard frame.address == request.address else {
                return .fault(
                    BoardFault(
                        reason: BoardFault.Reason.badFrame,
                        detail: "an answer from board \(frame.address) to the \(request)"
                    )
                )
            }
            switch (frame, request.purpose) {
            case (.status(let status), .status):
                let bits = { (word: UInt16) in (0..<16).map { word & (1 << $0) != 0 } }
                return .reply(
                    .status(
                        BoardStatus(
                            address: status.address,
                            lockBits: bits(status.lockBits),
                            sensorBits: bits(status.sensorBits)
                        )
                    )
                )
            case (.command(_, let lock, CU16Frame.Command.unlock), .lock(let channel, true))
            where Int(lock) == channel - 1:
                return .reply(.acknowledged)
            default:
                return .fault(
                    BoardFault(reason: BoardFault.Reason.badFrame, detail: "\(frame) does not answer the \(request)")
                )
            }
        }
    }
}

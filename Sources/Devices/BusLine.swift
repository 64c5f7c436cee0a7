import Events
import HAL

/// The half-duplex discipline of an RS-485 bus, on one open port: one request, then its reply or a timeout, then
/// the inter-frame gap before the next request. Owned by one `LockBus` (or a one-off probe), never shared, so two
/// requests never meet on the wire. Time only through the `Clock`.
public struct BusLine: Sendable {
    /// What one transaction came to.
    public enum Outcome: Hashable, Sendable {
        /// The board answered; `at` is when the reply was complete.
        case reply(BoardReply, at: ClockInstant)
        /// The request needs no answer and has left the port at `at`.
        case sent(at: ClockInstant)
        /// The answer was missing or unusable.
        case fault(BoardFault)

        /// When the board had the request: the reply's instant, or the send's; nil for a fault.
        public var instant: ClockInstant {
            switch self {
            case .reply(_, let at), .sent(let at): return at
            case .fault: return .zero
            }
        }
    }

    /// The open port.
    public let port: any SerialPort
    /// The board protocol spoken on it.
    public let boardProtocol: any LockBoardProtocol
    /// The silence kept between the end of one transaction and the next request.
    public let gap: Duration
    private let clock: any Clock
    /// No request goes out before this instant: the end of the previous transaction plus the gap.
    private var quietUntil: ClockInstant

    /// A line on `port`, opened just now. The first request goes out after `settling` (the longest reply timeout of
    /// the boards on it) and drops what came in meanwhile: a reply still on its way when the port was opened (to a
    /// request of a session that a restart or an unplug cut off mid-transaction) would otherwise arrive after that
    /// request's discard and be read, as junk, ahead of its reply.
    public init(
        port: any SerialPort,
        boardProtocol: any LockBoardProtocol,
        serial: SerialConfiguration,
        clock: any Clock,
        settling: Duration
    ) {
        self.port = port
        self.boardProtocol = boardProtocol
        self.clock = clock
        gap = Self.interFrameGap(for: serial)
        quietUntil = clock.now + settling
    }

    /// 3.5 character times at the line's settings (start bit, data bits, parity bit, stop bits), and a fixed
    /// 1.75 ms above 19200 baud, as Modbus RTU asks (Modbus over Serial Line V1.02, 2.5.1.1). CU16 boards get the
    /// same: it is never shorter than they need.
    public static func interFrameGap(for serial: SerialConfiguration) -> Duration {
        guard serial.baud <= 19_200 else { return .microseconds(1750) }
        let bits = 1 + serial.dataBits + (serial.parity == .none ? 0 : 1) + serial.stopBits
        return .nanoseconds(Int64((3.5 * Double(bits) * 1e9 / Double(max(1, serial.baud))).rounded(.up)))
    }

    /// Runs `request`: waits out the gap, drops stale input, writes, and reads until the protocol recognises a
    /// whole reply or `timeout` passes. Throws only what ends the port (unplugged, closed, cancelled).
    public mutating func transact(_ request: BoardRequest, timeout: Duration) async throws(HALError) -> Outcome {
        if clock.now < quietUntil {
            do {
                try await clock.sleep(until: quietUntil)
            } catch {
                throw .cancelled(path: port.path, operation: "waiting for the bus to be quiet")
            }
        }
        defer { quietUntil = clock.now + gap }
        // A late reply to an earlier request must not be read as the answer to this one.
        try port.discardInput()
        try await port.write(request.bytes)
        try await port.drain(timeout: timeout)
        let sent = clock.now
        guard request.expectsReply else { return .sent(at: sent) }
        let deadline = sent + timeout
        var received: [UInt8] = []
        while true {
            do throws(HALError) {
                let bytes = try await port.read(maxBytes: 256, timeout: max(.zero, deadline - clock.now))
                received += bytes
            } catch {
                guard case .timedOut = error else { throw error }
                let waited = timeout.wholeMilliseconds
                if received.isEmpty {
                    return .fault(
                        BoardFault(
                            reason: BoardFault.Reason.noReply,
                            detail: "no answer to the \(request) on \(port.path) within \(waited) ms"
                        )
                    )
                }
                return .fault(
                    BoardFault(
                        reason: BoardFault.Reason.badFrame,
                        detail: "\(received.count) bytes but no whole reply to the \(request) on \(port.path) "
                            + "within \(waited) ms"
                    )
                )
            }
            switch boardProtocol.interpret(received, for: request) {
            case .none: continue
            case .fault(let fault): return .fault(fault)
            case .reply(let reply): return .reply(reply, at: clock.now)
            }
        }
    }
}

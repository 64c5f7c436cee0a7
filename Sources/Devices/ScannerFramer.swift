import Events
import HAL

/// Splits a barcode scanner's serial byte stream into frames; a pure state machine a driver pumps with bytes and time.
///
/// Frames come out the same however the bytes are split across `append` calls. Zero-length frames (after stripping
/// prefix and suffix) are dropped; everything else is kept byte for byte.
public struct ScannerFramer: Sendable {
    /// One result of feeding the framer.
    public enum Output: Hashable, Sendable {
        /// A complete frame with terminator, prefix and suffix removed.
        case frame([UInt8])
        /// A framing problem; the framer has already resynchronised.
        case fault(FrameFault)
    }

    private static let carriageReturn: UInt8 = 0x0D
    private static let lineFeed: UInt8 = 0x0A
    /// `]`, the first character of an AIM symbology identifier.
    private static let aimFlag: UInt8 = 0x5D

    /// The configuration this framer was created with.
    public let configuration: Configuration

    /// Bytes of the frame being collected.
    private var pending: [UInt8] = []
    /// In `.crlf` mode: a CR was seen and it is not yet known whether it is data or half a terminator.
    private var heldCarriageReturn = false
    /// An over-long frame was reported; bytes are dropped until the next frame boundary.
    private var discarding = false
    /// In gap mode: when the last byte arrived, while a frame (or a discard) is open.
    private var lastByteAt: ClockInstant?
    private var faults = FaultTally()
    /// Set by `portOpened`: the check the first non-empty frame after an open must pass; nil once one has.
    private var firstFrameCheck: FirstFrameCheck?
    /// When a byte last arrived, or the port opened: what a quiet gap is measured from.
    private var lastHeardAt: ClockInstant?
    /// Whether a frame starting with the next byte would begin after a quiet gap.
    private var quietBeforeNextByte = false
    /// Whether the frame being collected began after a quiet gap.
    private var frameBeganQuietly = false

    /// Creates a framer in its idle state.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// When `expire(at:)` must next be called to end a gap-delimited frame; nil when nothing is waiting.
    public var deadline: ClockInstant? {
        guard let gap, let lastByteAt else { return nil }
        return lastByteAt + gap
    }

    /// Feeds bytes that arrived at `now` and returns the frames and faults they complete, in stream order.
    public mutating func append(_ bytes: some Collection<UInt8>, at now: ClockInstant) -> [Output] {
        var outputs = expire(at: now)
        guard !bytes.isEmpty else { return outputs }
        if case .quietGap(let quiet) = firstFrameCheck, let lastHeardAt {
            quietBeforeNextByte = now - lastHeardAt >= quiet
        }
        lastHeardAt = now
        if gap != nil {
            appendGapDelimited(bytes, at: now, into: &outputs)
        } else {
            for byte in bytes {
                appendTerminated(byte, into: &outputs)
                quietBeforeNextByte = false
            }
        }
        return outputs
    }

    /// Starts over on a freshly opened port at `now`: any partial frame is dropped, and the first non-empty
    /// frame must pass `check` or it becomes a `partial-frame` fault (nil takes it as it comes).
    public mutating func portOpened(at now: ClockInstant, check: FirstFrameCheck?) {
        reset()
        firstFrameCheck = check
        lastHeardAt = now
        quietBeforeNextByte = false
        frameBeganQuietly = false
    }

    /// Ends a gap-delimited frame whose gap has elapsed by `now`; returns nothing in terminator modes.
    public mutating func expire(at now: ClockInstant) -> [Output] {
        guard let deadline, now >= deadline else { return [] }
        var outputs: [Output] = []
        finishFrame(into: &outputs)
        lastByteAt = nil
        return outputs
    }

    /// Discards any partial frame, e.g. after a disconnect; fault counts are kept.
    public mutating func reset() {
        pending.removeAll(keepingCapacity: true)
        heldCarriageReturn = false
        discarding = false
        lastByteAt = nil
    }

    /// The silence that ends a frame in gap mode (at least 1 ns), or nil in terminator modes.
    private var gap: Duration? {
        guard case .none(let gap) = configuration.terminator else { return nil }
        return max(gap, .nanoseconds(1))
    }

    private mutating func appendGapDelimited(
        _ bytes: some Collection<UInt8>,
        at now: ClockInstant,
        into outputs: inout [Output]
    ) {
        guard !bytes.isEmpty else { return }
        lastByteAt = now
        for byte in bytes {
            appendData(byte, into: &outputs)
            quietBeforeNextByte = false
        }
    }

    private mutating func appendTerminated(_ byte: UInt8, into outputs: inout [Output]) {
        switch configuration.terminator {
        case .cr:
            if byte == Self.carriageReturn { finishFrame(into: &outputs) } else { appendData(byte, into: &outputs) }
        case .lf:
            if byte == Self.lineFeed { finishFrame(into: &outputs) } else { appendData(byte, into: &outputs) }
        case .crlf:
            if heldCarriageReturn {
                if byte == Self.lineFeed {
                    heldCarriageReturn = false
                    finishFrame(into: &outputs)
                    return
                }
                // The held CR was data; a new CR is held in its place, anything else is data too.
                appendData(Self.carriageReturn, into: &outputs)
                heldCarriageReturn = byte == Self.carriageReturn
                if !heldCarriageReturn { appendData(byte, into: &outputs) }
            } else if byte == Self.carriageReturn {
                heldCarriageReturn = true
            } else {
                appendData(byte, into: &outputs)
            }
        case .none:
            appendData(byte, into: &outputs)
        }
    }

    private mutating func appendData(_ byte: UInt8, into outputs: inout [Output]) {
        if discarding { return }
        if pending.isEmpty { frameBeganQuietly = quietBeforeNextByte }
        guard pending.count < configuration.maxFrameLength else {
            firstFrameCheck = nil
            let limit = configuration.maxFrameLength
            outputs.append(
                .fault(
                    faults.record(
                        FrameFault.Reason.frameTooLong,
                        "frame exceeded \(limit) bytes; discarding until the next frame boundary"
                    )
                )
            )
            pending.removeAll(keepingCapacity: true)
            discarding = true
            return
        }
        pending.append(byte)
    }

    /// Closes the current frame at a boundary: emits it unless it is empty or was discarded as over-long.
    private mutating func finishFrame(into outputs: inout [Output]) {
        defer {
            pending.removeAll(keepingCapacity: true)
            discarding = false
        }
        guard !discarding else { return }
        let frame = stripped(pending[...])
        guard !frame.isEmpty else { return }
        if let check = firstFrameCheck {
            firstFrameCheck = nil
            if let doubt = doubt(about: pending, check) {
                let detail =
                    "the first frame after the port opened \(doubt): taken as the tail of a read cut off "
                    + "before the open (\(pending.count) bytes dropped), not as a read"
                outputs.append(.fault(faults.record(FrameFault.Reason.partialFrame, detail)))
                return
            }
        }
        outputs.append(.frame(Array(frame)))
    }

    /// Why `frame` (framing bytes included) fails `check`, or nil when it passes.
    private func doubt(about frame: [UInt8], _ check: FirstFrameCheck) -> String? {
        switch check {
        case .quietGap(let quiet):
            guard !frameBeganQuietly else { return nil }
            return "began less than \(quiet.wholeMilliseconds) ms after the open or the byte before it"
        case .prefix:
            guard !configuration.prefix.isEmpty, !frame.starts(with: configuration.prefix) else { return nil }
            return "does not begin with the configured prefix"
        case .aimIdentifier:
            guard frame.count < 3 || frame.first != Self.aimFlag else { return nil }
            return "does not begin with an AIM identifier (]Xn)"
        }
    }

    private func stripped(_ frame: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var frame = frame
        if !configuration.prefix.isEmpty, frame.starts(with: configuration.prefix) {
            frame = frame.dropFirst(configuration.prefix.count)
        }
        let suffix = configuration.suffix
        if !suffix.isEmpty, frame.count >= suffix.count, frame.suffix(suffix.count).elementsEqual(suffix) {
            frame = frame.dropLast(suffix.count)
        }
        return frame
    }
}

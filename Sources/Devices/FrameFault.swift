import Events

/// A framing problem found in a device byte stream, reported in-band so a driver can count and log it.
public struct FrameFault: Hashable, Sendable, CustomStringConvertible {
    /// The stable reason codes a fault can carry; log and metric keys depend on these spellings.
    public enum Reason {
        /// A frame grew past the configured maximum and was discarded.
        public static let frameTooLong = "frame-too-long"
        /// A frame's checksum did not match its contents.
        public static let badChecksum = "bad-checksum"
        /// A frame's structure (end marker, length, payload layout) was invalid.
        public static let badFrame = "bad-frame"
        /// Bytes arrived between frames that could not belong to any frame.
        public static let garbage = "garbage"
        /// The first frame after the port opened was the tail of a read cut off before the open (it began
        /// without the configured start marker, or without a quiet gap before it) and was not taken as a read.
        public static let partialFrame = "partial-frame"
    }

    /// The stable reason code, one of `FrameFault.Reason`.
    public var reason: String
    /// Human-readable specifics of this occurrence, for logs only.
    public var detail: String
    /// How many faults with this reason the emitting parser has reported so far, this one included.
    public var count: Int

    /// Creates a fault; parsers normally create these through their own running tally.
    public init(reason: String, detail: String, count: Int) {
        self.reason = reason
        self.detail = detail
        self.count = count
    }

    /// A one-line log form, e.g. `bad-checksum #3: expected 0x12, got 0x13`.
    public var description: String { "\(reason) #\(count): \(detail)" }
}

/// Running per-reason fault counts, so each emitted fault carries its cumulative number.
struct FaultTally: Hashable, Sendable {
    private var counts: [String: Int] = [:]

    /// Counts one more fault with `reason` and returns it numbered.
    mutating func record(_ reason: String, _ detail: String) -> FrameFault {
        let count = counts[reason, default: 0] + 1
        counts[reason] = count
        return FrameFault(reason: reason, detail: detail, count: count)
    }
}

extension FrameFault {
    /// The `device.fault` event's `data`: reason, detail and the running count.
    public var eventData: JSONValue {
        ["reason": .string(reason), "detail": .string(detail), "count": .int(Int64(count))]
    }
}

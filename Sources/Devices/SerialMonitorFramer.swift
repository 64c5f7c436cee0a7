import Events

/// Cuts the raw bytes of a serial port into the lines `floorctl serial monitor` prints: one line per frame
/// terminator (CR, LF or CRLF, the terminator kept), or per chunk once the line has been quiet for `quietGap`, and
/// shows every control byte visibly (`\r`, `<GS>`, `\x02`) so nothing reaches the terminal raw. No I/O: the
/// caller passes the time of each read and polls `deadline`, as with `ScannerFramer`.
public struct SerialMonitorFramer: Sendable {
    /// A frame and the time its first byte arrived.
    public struct Line: Hashable, Sendable {
        public var time: EventTime
        public var bytes: [UInt8]

        public init(time: EventTime, bytes: [UInt8]) {
            self.time = time
            self.bytes = bytes
        }

        /// The bytes with control bytes made visible.
        public var text: String { SerialMonitorFramer.visible(bytes) }
    }

    /// How long a line without a terminator waits for more bytes before it is printed as it is.
    public let quietGapMilliseconds: Int64
    /// A line is cut at this many bytes even without a terminator (a stream of garbage still prints).
    public let maxLength: Int

    private var pending: [UInt8] = []
    private var started = EventTime(millisecondsSinceEpoch: 0)
    private var lastByte = EventTime(millisecondsSinceEpoch: 0)
    /// A CR ended the pending bytes; the next byte tells CR from CRLF.
    private var sawCarriageReturn = false

    public init(quietGapMilliseconds: Int64 = 100, maxLength: Int = 1024) {
        self.quietGapMilliseconds = max(1, quietGapMilliseconds)
        self.maxLength = max(1, maxLength)
    }

    /// When the pending bytes become a line if nothing more arrives; nil when nothing is pending.
    public var deadline: EventTime? {
        pending.isEmpty
            ? nil : EventTime(millisecondsSinceEpoch: lastByte.millisecondsSinceEpoch + quietGapMilliseconds)
    }

    /// Takes the bytes of one read made at `time`; the lines they complete.
    public mutating func feed(_ bytes: [UInt8], at time: EventTime) -> [Line] {
        var lines: [Line] = []
        for byte in bytes {
            if sawCarriageReturn {
                sawCarriageReturn = false
                if byte == 0x0A {
                    pending.append(byte)
                    lines.append(take())
                    continue
                }
                lines.append(take())
            }
            if pending.isEmpty { started = time }
            pending.append(byte)
            if byte == 0x0D {
                sawCarriageReturn = true
            } else if byte == 0x0A || pending.count >= maxLength {
                lines.append(take())
            }
        }
        if !pending.isEmpty { lastByte = time }
        return lines
    }

    /// The pending bytes as a line when `deadline` has passed at `time`.
    public mutating func expire(at time: EventTime) -> [Line] {
        guard let deadline, deadline <= time else { return [] }
        return [take()]
    }

    /// Whatever is pending, as a line (the port closed).
    public mutating func finish() -> [Line] {
        pending.isEmpty ? [] : [take()]
    }

    private mutating func take() -> Line {
        let line = Line(time: started, bytes: pending)
        pending = []
        sawCarriageReturn = false
        return line
    }

    /// Printable ASCII as it is (a backslash doubled), `\r`, `\n`, `\t`, `<GS>` for the GS1 group separator 0x1D,
    /// and `\xNN` for every other byte.
    public static func visible(_ bytes: [UInt8]) -> String {
        var text = ""
        for byte in bytes {
            switch byte {
            case 0x5C: text += "\\\\"
            case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(byte))
            case 0x0D: text += "\\r"
            case 0x0A: text += "\\n"
            case 0x09: text += "\\t"
            case 0x1D: text += "<GS>"
            default: text += "\\x" + Hex.string(CollectionOfOne(byte), uppercase: true)
            }
        }
        return text
    }
}

extension ScannerFramer {
    /// How a scanner delimits its frames and what framing bytes to strip, as set in the device configuration.
    public struct Configuration: Hashable, Sendable {
        /// What ends a frame on the wire.
        public enum Terminator: Hashable, Sendable {
            /// A carriage return (0x0D) ends a frame.
            case cr
            /// A line feed (0x0A) ends a frame.
            case lf
            /// The pair CR LF ends a frame; a CR not followed by LF is data.
            case crlf
            /// No terminator: a frame ends once no byte has arrived for `gap` (clamped to at least 1 ns).
            case none(gap: Duration)
        }

        /// What ends a frame on the wire.
        public var terminator: Terminator
        /// Bytes removed from the start of a frame when the frame starts with them.
        public var prefix: [UInt8]
        /// Bytes removed from the end of a frame when the frame ends with them.
        public var suffix: [UInt8]
        /// The most bytes a frame may hold before its terminator (prefix and suffix included); at least 1.
        public var maxFrameLength: Int

        /// Creates a configuration; a `maxFrameLength` below 1 is raised to 1 rather than trapping.
        public init(terminator: Terminator, prefix: [UInt8] = [], suffix: [UInt8] = [], maxFrameLength: Int = 4096) {
            self.terminator = terminator
            self.prefix = prefix
            self.suffix = suffix
            self.maxFrameLength = max(1, maxFrameLength)
        }

        /// Creates a configuration from config-file values: terminator "\r", "\n", "\r\n", or "" with `gapMs`.
        public init(
            terminator: String,
            gapMs: Int? = nil,
            prefix: [UInt8] = [],
            suffix: [UInt8] = [],
            maxFrameLength: Int = 4096
        ) throws(ConfigurationError) {
            guard maxFrameLength >= 1 else { throw .nonPositiveMaxFrameLength(maxFrameLength) }
            let parsed: Terminator
            switch terminator {
            case "\r": parsed = .cr
            case "\n": parsed = .lf
            case "\r\n": parsed = .crlf
            case "":
                guard let gapMs else { throw .missingGap }
                guard gapMs > 0 else { throw .nonPositiveGap(gapMs) }
                parsed = .none(gap: .milliseconds(gapMs))
            default:
                throw .unknownTerminator(terminator)
            }
            if gapMs != nil, terminator != "" { throw .gapWithTerminator(terminator) }
            self.init(terminator: parsed, prefix: prefix, suffix: suffix, maxFrameLength: maxFrameLength)
        }
    }

    /// Why config-file values could not make a `ScannerFramer.Configuration`.
    public enum ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The terminator string is not one of "\r", "\n", "\r\n", "".
        case unknownTerminator(String)
        /// Gap mode (empty terminator) was chosen without `gapMs`.
        case missingGap
        /// `gapMs` was zero or negative.
        case nonPositiveGap(Int)
        /// `gapMs` was given together with a byte terminator, which would be ignored.
        case gapWithTerminator(String)
        /// `maxFrameLength` was zero or negative.
        case nonPositiveMaxFrameLength(Int)

        /// A message naming the offending value, for configuration diagnostics.
        public var description: String {
            switch self {
            case .unknownTerminator(let value):
                "unknown scanner terminator \(value.debugDescription); use \"\\r\", \"\\n\", \"\\r\\n\" or \"\""
            case .missingGap:
                "an empty scanner terminator needs gapMs"
            case .nonPositiveGap(let value):
                "scanner gapMs must be positive, got \(value)"
            case .gapWithTerminator(let value):
                "scanner gapMs applies only to an empty terminator, not \(value.debugDescription)"
            case .nonPositiveMaxFrameLength(let value):
                "scanner maxFrameLength must be positive, got \(value)"
            }
        }
    }
}

/// Which chip to open: by name (`gpiochip0`), device path (`/dev/gpiochip0`), kernel label (`pinctrl-rp1`)
/// or number. Boards name their header's chip by label because numbers change between kernels.
public enum GPIOChipSelector: Hashable, Sendable, CustomStringConvertible {
    case name(String)
    case path(String)
    case label(String)
    case number(Int)

    /// Parses a technician's spelling: `/dev/...` is a path, `gpiochipN` a name, digits a number, else a label.
    public init(parsing text: String) {
        if text.hasPrefix("/") {
            self = .path(text)
        } else if let number = Int(text), number >= 0 {
            self = .number(number)
        } else if text.hasPrefix("gpiochip"), Int(text.dropFirst("gpiochip".count)) != nil {
            self = .name(text)
        } else {
            self = .label(text)
        }
    }

    public var description: String {
        switch self {
        case .name(let name): return name
        case .path(let path): return path
        case .label(let label): return "label \(label)"
        case .number(let number): return "gpiochip\(number)"
        }
    }
}

/// A GPIO chip as the kernel describes it.
public struct GPIOChipInfo: Hashable, Sendable, Codable {
    /// Device name, e.g. `gpiochip0`.
    public var name: String
    /// Driver label, e.g. `pinctrl-rp1`.
    public var label: String
    /// Number of lines on the chip.
    public var lineCount: Int

    public init(name: String, label: String, lineCount: Int) {
        self.name = name
        self.label = label
        self.lineCount = lineCount
    }
}

/// Whether a line is configured as input or output.
public enum GPIODirection: String, Hashable, Sendable, Codable {
    case input
    case output
}

/// Pull resistor configuration of an input.
public enum GPIOBias: String, Hashable, Sendable, Codable {
    case asIs = "as-is"
    case disabled
    case pullUp = "pull-up"
    case pullDown = "pull-down"
}

/// How an output drives its line: both levels, or only one (the other left floating for a pull resistor, so several
/// outputs can share a wire).
public enum GPIODrive: String, Hashable, Sendable, Codable {
    case pushPull = "push-pull"
    /// Drives low only; high is left to a pull-up.
    case openDrain = "open-drain"
    /// Drives high only; low is left to a pull-down.
    case openSource = "open-source"
}

/// Which edges of an input produce events.
public enum GPIOEdgeDetection: String, Hashable, Sendable, Codable {
    case none
    case rising
    case falling
    case both
}

/// One line of a chip as the kernel describes it.
public struct GPIOLineInfo: Hashable, Sendable, Codable {
    public var offset: Int
    /// The line's name from the device tree or gpio-sim, if any.
    public var name: String?
    /// Who holds the line, if anyone.
    public var consumer: String?
    public var direction: GPIODirection
    public var activeLow: Bool
    /// Whether some process or the kernel holds the line.
    public var used: Bool

    public init(
        offset: Int,
        name: String?,
        consumer: String?,
        direction: GPIODirection,
        activeLow: Bool,
        used: Bool
    ) {
        self.offset = offset
        self.name = name
        self.consumer = consumer
        self.direction = direction
        self.activeLow = activeLow
        self.used = used
    }
}

/// How to request an input line.
public struct GPIOInputConfiguration: Hashable, Sendable {
    public var bias: GPIOBias
    /// When set, a low physical level reads as `true` (active).
    public var activeLow: Bool
    public var edges: GPIOEdgeDetection
    /// Kernel debounce: an edge is reported only once the level has held this long (libgpiod 2.x
    /// `debounce_period_us`; gpiolib emulates it where the chip cannot). A backend without it (libgpiod 1.6) requests
    /// the line without; the line's `debounce` says which, so a driver debounces in software when it is nil.
    public var debounce: Duration?

    public init(
        bias: GPIOBias = .asIs,
        activeLow: Bool = false,
        edges: GPIOEdgeDetection = .none,
        debounce: Duration? = nil
    ) {
        self.bias = bias
        self.activeLow = activeLow
        self.edges = edges
        self.debounce = debounce
    }
}

/// How to request an output line.
public struct GPIOOutputConfiguration: Hashable, Sendable {
    /// The logical value driven as soon as the line is requested.
    public var initialValue: Bool
    /// When set, `true` drives the line low.
    public var activeLow: Bool
    public var drive: GPIODrive
    /// The pull resistor, for an open-drain or open-source output.
    public var bias: GPIOBias

    public init(
        initialValue: Bool = false,
        activeLow: Bool = false,
        drive: GPIODrive = .pushPull,
        bias: GPIOBias = .asIs
    ) {
        self.initialValue = initialValue
        self.activeLow = activeLow
        self.drive = drive
        self.bias = bias
    }
}

/// An edge seen on an input line, with the timestamp the kernel (or simulator) put on it.
public struct GPIOEdgeEvent: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, Codable {
        /// The logical value went from inactive to active.
        case rising
        /// The logical value went from active to inactive.
        case falling
    }

    public var offset: Int
    public var kind: Kind
    /// Monotonic timestamp (`CLOCK_MONOTONIC` on Linux).
    public var timestamp: ClockInstant
    /// The line's edge count since it was requested, from 1 (libgpiod 2.x `line_seqno`; nil where the backend has
    /// none, libgpiod 1.6): a gap between two events means the kernel's event buffer overflowed and edges were lost.
    public var sequence: UInt64?

    public init(offset: Int, kind: Kind, timestamp: ClockInstant, sequence: UInt64? = nil) {
        self.offset = offset
        self.kind = kind
        self.timestamp = timestamp
        self.sequence = sequence
    }
}

/// Lists and opens GPIO chips: the entry point of a GPIO backend.
public protocol GPIOBackend: Sendable {
    /// Every chip present, in name order.
    func chips() throws(HALError) -> [GPIOChipInfo]
    /// Opens one chip.
    func openChip(_ selector: GPIOChipSelector) throws(HALError) -> any GPIOChip
}

/// An open GPIO chip: line descriptions and line requests.
public protocol GPIOChip: AnyObject, Sendable {
    var info: GPIOChipInfo { get }
    /// Every line of the chip.
    func lines() throws(HALError) -> [GPIOLineInfo]
    /// The offset of the line named `name`, if one is.
    func offset(ofLineNamed name: String) throws(HALError) -> Int?
    /// Requests a line as an input; `consumer` shows in `gpioinfo`.
    func requestInput(
        offset: Int,
        consumer: String,
        configuration: GPIOInputConfiguration
    )
        throws(HALError) -> any GPIOInputLine
    /// Requests a line as an output, driven to `configuration.initialValue` at once.
    func requestOutput(
        offset: Int,
        consumer: String,
        configuration: GPIOOutputConfiguration
    )
        throws(HALError) -> any GPIOOutputLine
}

/// A requested input line. Released by `close()` or when the last reference goes.
public protocol GPIOInputLine: AnyObject, Sendable {
    var offset: Int { get }
    /// The debounce the backend applies to this line's edges (the requested one), or nil when it applies none and
    /// the driver must debounce in software.
    var debounce: Duration? { get }
    /// The current logical value.
    func read() throws(HALError) -> Bool
    /// The edges requested at request time, in kernel order. Ends when the line is closed.
    var edges: GPIOEdgeEvents { get }
    func close()
}

/// A requested output line. Held until `close()` or the last reference goes.
public protocol GPIOOutputLine: AnyObject, Sendable {
    var offset: Int { get }
    /// Drives the logical value.
    func write(_ value: Bool) throws(HALError)
    /// The value last driven.
    func read() throws(HALError) -> Bool
    func close()
}

/// Edge events of one input line as an async sequence; the backend decides how they arrive.
public struct GPIOEdgeEvents: AsyncSequence, Sendable {
    public typealias Element = GPIOEdgeEvent
    public typealias Failure = HALError

    private let next: @Sendable () async throws(HALError) -> GPIOEdgeEvent?

    /// Makes a sequence from a function that returns the next event, or nil when the line is closed.
    public init(next: @escaping @Sendable () async throws(HALError) -> GPIOEdgeEvent?) {
        self.next = next
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let next: @Sendable () async throws(HALError) -> GPIOEdgeEvent?

        public mutating func next() async throws(HALError) -> GPIOEdgeEvent? {
            try await next()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(HALError) -> GPIOEdgeEvent? {
            try await next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(next: next)
    }
}

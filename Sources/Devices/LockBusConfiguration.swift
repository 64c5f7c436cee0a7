import HAL

/// One lock-controller board on a bus: its address and how long and how often the bus waits for it.
public struct LockBoardSettings: Hashable, Sendable {
    /// The board's address on the bus (its DIP switches or Modbus unit id).
    public var address: UInt8
    /// How long the bus waits for the board's reply to one request.
    public var timeout: Duration
    /// How many times a request that got no usable reply is sent again before the transaction fails.
    public var retries: Int

    /// Describes one board: 100 ms per reply and two retries by default.
    public init(address: UInt8, timeout: Duration = .milliseconds(100), retries: Int = 2) {
        self.address = address
        self.timeout = timeout
        self.retries = max(0, retries)
    }
}

/// The settings of one RS-485 bus, already validated by the config loader.
public struct LockBusConfiguration: Sendable {
    /// The bus id (`rs485-1`): the device id of the bus's own events; a board's events carry `<bus>/<address>`.
    public var id: String
    /// The serial port of the USB–RS485 adapter or UART.
    public var port: String
    /// Line settings (CU16 boards ship at 19200 8N1).
    public var serial: SerialConfiguration
    /// The boards polled on the bus.
    public var boards: [LockBoardSettings]
    /// How often each answering board's sensors are read (`pollMs`).
    public var pollInterval: Duration
    /// The longest wait between polls of a board that stopped answering (the wait doubles from `pollInterval`).
    public var offlinePollLimit: Duration

    /// Describes a bus.
    public init(
        id: String,
        port: String,
        serial: SerialConfiguration = SerialConfiguration(baud: 19_200),
        boards: [LockBoardSettings],
        pollInterval: Duration = .milliseconds(200),
        offlinePollLimit: Duration = .seconds(5)
    ) {
        self.id = id
        self.port = port
        self.serial = serial
        self.boards = boards
        self.pollInterval = pollInterval
        self.offlinePollLimit = offlinePollLimit
    }
}

/// One board as `floorctl locker probe` shows it: its raw bits, or why it did not answer.
public struct BoardProbe: Hashable, Sendable {
    /// The address probed.
    public var address: UInt8
    /// The raw lock bits, channel 1 first, when the board reports them.
    public var lockBits: [Bool]?
    /// The raw sensor bits, channel 1 first; nil when the board did not answer.
    public var sensorBits: [Bool]?
    /// Why there are no bits.
    public var fault: BoardFault?

    /// Describes one probed address.
    public init(address: UInt8, lockBits: [Bool]?, sensorBits: [Bool]?, fault: BoardFault?) {
        self.address = address
        self.lockBits = lockBits
        self.sensorBits = sensorBits
        self.fault = fault
    }
}

/// A board's health as the bus sees it, for status pages and `doctor`.
public struct BoardHealth: Hashable, Sendable {
    /// Whether the board answers.
    public enum State: String, Hashable, Sendable {
        /// Not polled yet (or the bus is down).
        case unknown
        case online
        case offline
    }

    /// The board's address.
    public var address: UInt8
    /// Whether it answers.
    public var state: State
    /// Faults reported for it since the daemon started.
    public var faults: Int
    /// The last fault, as `reason: detail`.
    public var lastFault: String?

    /// Describes one board's health.
    public init(address: UInt8, state: State, faults: Int, lastFault: String?) {
        self.address = address
        self.state = state
        self.faults = faults
        self.lastFault = lastFault
    }
}

import Devices
import HAL

/// One RS-485 bus of lock-controller boards from the site config's `buses` list, validated, with its board
/// profile resolved.
public struct BusSettings: Sendable {
    /// The bus id (`rs485-1`): the device id of the adapter's events; boards report as `<bus>/<address>`.
    public var id: String
    /// The USB–RS485 adapter or UART.
    public var port: String
    public var serial: SerialConfiguration
    /// `cu16` or `modbus-rtu`.
    public var protocolName: String
    /// The `hal/devices` profile named, if any (else the protocol's built-in defaults).
    public var profileName: String?
    /// The board protocol with the profile's settings (polarity, coil and input map, the board's own pulse).
    public var boardProtocol: any LockBoardProtocol
    /// How often each board is polled (`pollMs`).
    public var pollInterval: Duration
    /// Every board polled: those the doors name and those listed under `boards`, with their timeouts and retries.
    public var boards: [LockBoardSettings]
    /// The config path of the bus entry (`buses[0]`), for messages.
    public var path: String

    /// The bus's settings for its `LockBus`.
    public var busConfiguration: LockBusConfiguration {
        LockBusConfiguration(id: id, port: port, serial: serial, boards: boards, pollInterval: pollInterval)
    }
}

/// A locker door on a bus: `{"id": "B5", "bus": "rs485-1", "board": 1, "channel": 5}`.
public struct BusDoorSettings: Sendable {
    public var id: String
    /// The bus id.
    public var bus: String
    /// The board's address on the bus.
    public var board: Int
    /// The lock and sensor channel, 1-based.
    public var channel: Int
}

extension LockerBankSettings {
    /// Every door id, GPIO and bus doors, in config order (a bank has one kind or the other).
    public var doorIDs: [String] { doors.map(\.id) + busDoors.map(\.id) }
}

extension SiteConfiguration {
    /// The bus with `id`.
    public func bus(_ id: String) -> BusSettings? {
        buses.first { $0.id == id }
    }
}

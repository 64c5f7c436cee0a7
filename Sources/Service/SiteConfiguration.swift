import Devices
import HAL

/// A whole site as `/etc/floorlink/site.json` describes it, validated completely before anything is opened.
public struct SiteConfiguration: Sendable {
    public enum Hardware: String, Sendable {
        /// libgpiod and libserialport.
        case linux
        /// The HAL's simulated backends, with a built-in traffic simulator (the demo).
        case simulated
    }

    public var site: String
    public var controller: String
    public var hardware: Hardware
    public var board: String?
    /// Where the outbox and cursors live (default `/var/lib/floorlink`).
    public var dataDirectory: String
    public var devices: [DeviceConfiguration]
    /// RS-485 buses of lock-controller boards (`buses`), in config order.
    public var buses: [BusSettings] = []
    public var mqtt: MQTTSettings?
    public var webhook: WebhookSettings?
    /// The control socket path (default `/run/floorlink/control.sock`).
    public var controlSocket: String
    /// How many control-socket clients may be connected at once (`control.maxConnections`, default 64); past it
    /// the oldest idle one is closed to make room.
    public var controlMaxConnections: Int
    /// The disk the outbox may use (`outbox.quotaBytes`, default 256 MiB); alarms at 80 % and 95 %.
    public var outboxQuotaBytes: Int
    /// Where the file came from, for messages.
    public var sourcePath: String
    /// The board file the board pin names were resolved in (nil when no pin is named by board).
    public var boardFile: String?
    /// The `example` member's text: set in an example config, such as the one the Debian package installs as
    /// `/etc/floorlink/site.json`. Such a config is validated like any other, but `floorlinkd` does not run it.
    public var example: String?
    /// The HTTP listener for `/metrics`, the status page and `/healthz` (`metrics.listen`); off when nil.
    public var metrics: MetricsSettings? = nil
    /// Whether the demo traffic simulator drives a simulated site (`simulatedTraffic`, default true there). Off, the
    /// site only does what `floorctl simulate` and commands make it do: what an integration test wants.
    public var simulatedTraffic = false

    /// Refuses an example config (`example` set): the daemon never runs one, so a freshly installed package does
    /// not start on hardware that was never described.
    public func checkNotExample() throws(ConfigError) {
        guard example != nil else { return }
        throw ConfigError(
            file: String(sourcePath.split(separator: "/").last ?? Substring(sourcePath)),
            path: "example",
            message: "this is an example config, which floorlinkd does not run: describe this site's devices and "
                + "uplinks, delete the \"example\" member, check with floorlinkd --check-config, then start floorlinkd"
        )
    }
}

/// One configured device.
public enum DeviceConfiguration: Sendable {
    case barcodeScanner(BarcodeScanner.Configuration)
    case rfidReader(RFIDSettings)
    case lockerBank(LockerBankSettings)
    case pickToLight(PickToLightSettings)

    public var id: String {
        switch self {
        case .barcodeScanner(let settings): return settings.id
        case .rfidReader(let settings): return settings.id
        case .lockerBank(let settings): return settings.id
        case .pickToLight(let settings): return settings.id
        }
    }

    /// The `kind` string of the config.
    public var kind: String {
        switch self {
        case .barcodeScanner: return "barcode-scanner"
        case .rfidReader: return "rfid-reader"
        case .lockerBank: return "locker-bank"
        case .pickToLight: return "pick-to-light"
        }
    }
}

public struct RFIDSettings: Sendable {
    public var id: String
    public var port: String
    public var serial: SerialConfiguration
    /// The frame protocol, `m100`.
    public var protocolName: String
    public var dedupWindow: Duration
    public var dedupCapacity: Int
}

public struct DoorSettings: Sendable {
    public var id: String
    public var lock: PinReference
    public var sensor: PinReference
    public var sensorActiveLow: Bool
    public var occupancy: PinReference?
    public var occupancyActiveLow: Bool
}

public struct LockerBankSettings: Sendable {
    public var id: String
    public var pulse: Duration
    public var maxPulse: Duration
    public var maxConcurrentUnlocks: Int
    public var leftOpenAfter: Duration
    public var debounce: Duration
    /// The barcode scanner whose reads are pickup codes for this bank.
    public var codeReader: String?
    /// The shortest pickup code `locker.assign` accepts (`minimumCodeLength`, 6 or more).
    public var minimumCodeLength: Int = 6
    /// Wrong codes a keypad may enter in 24 hours before it is blocked (`wrongCodeBudget`).
    public var wrongCodeBudget: Int = 20
    /// Doors on GPIO pins.
    public var doors: [DoorSettings]
    /// Doors on lock-controller boards (a bank has these or GPIO doors, not both).
    public var busDoors: [BusDoorSettings] = []
}

public struct SlotSettings: Sendable {
    public var id: String
    /// Light outputs by colour; a single light is under `default`.
    public var lights: [String: PinReference]
    public var button: PinReference
    public var buttonActiveLow: Bool
    public var shortageButton: PinReference?
}

public struct PickToLightSettings: Sendable {
    public var id: String
    public var debounce: Duration
    public var slots: [SlotSettings]
}

public struct MQTTSettings: Sendable {
    public var url: String
    public var clientID: String
    public var username: String?
    public var passwordFile: String?
    public var keepAlive: Duration
    public var caFile: String?
    public var certificateFile: String?
    public var keyFile: String?
    /// The HMAC key that signs commands which move hardware.
    public var commandKeyFile: String?
}

public struct WebhookSettings: Sendable {
    public var url: String
    public var secretFile: String?
    /// PEM CA bundle that verifies an `https://` receiver; nil uses the system's trust store.
    public var caFile: String? = nil
    /// PEM client certificate and key, for a receiver that asks for mutual TLS.
    public var certificateFile: String? = nil
    public var keyFile: String? = nil
    /// How long a batch of fewer than 100 events waits for more before it is sent (`batchDelayMs`).
    public var batchDelay: Duration = .milliseconds(SiteConfiguration.defaultWebhookBatchDelayMilliseconds)
}

extension SiteConfiguration {
    /// `uplinks.webhook.batchDelayMs` when absent: a steady flow is POSTed about five times a second, a few events
    /// at a time, instead of once per event (MQTT remains the path for single events within milliseconds).
    public static let defaultWebhookBatchDelayMilliseconds = 200
    /// `control.maxConnections` when absent.
    public static let defaultControlMaxConnections = 64
    /// `outbox.quotaBytes` when absent: 256 MiB.
    public static let defaultOutboxQuotaBytes = 256 << 20
    /// What `outbox.quotaBytes` may be: room for the outbox's two 8 MiB segments and its reserve, up to 1 TiB.
    public static let outboxQuotaRange = (32 << 20)...(1 << 40)
}

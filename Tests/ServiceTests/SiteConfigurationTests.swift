import Events
import Foundation
import HAL
import Service
import Testing

/// The repository's `hal/` folder, found from this file's path.
let repositoryHAL: String = {
    var components = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    components.removeLast(3)
    return components.joined(separator: "/") + "/hal"
}()

/// Board files from the repository's `hal/` only.
let repositoryHALSearch = HALSearchPath(directories: [repositoryHAL])

@Suite("Site configuration")
struct SiteConfigurationTests {
    /// A valid site to mutate: one of each device kind on a Raspberry Pi 5.
    static let valid = #"""
        {"site": "ams-1", "controller": "dock-03", "hardware": "linux", "board": "raspberry-pi-5",
         "devices": [
           {"id": "scanner-1", "kind": "barcode-scanner", "port": "/dev/floorlink/scanner-1", "baud": 9600,
            "terminator": "\r\n", "aimPrefix": true},
           {"id": "scanner-2", "kind": "barcode-scanner", "port": "/dev/floorlink/locker-scanner", "terminator": "\r"},
           {"id": "rfid-1", "kind": "rfid-reader", "port": "/dev/ttyUSB1", "baud": 115200, "protocol": "m100",
            "dedupWindowMs": 2000},
           {"id": "lockers-A", "kind": "locker-bank", "pulseMs": 500, "maxPulseMs": 2000, "maxConcurrentUnlocks": 2,
            "leftOpenAfterS": 60, "codeReader": "scanner-2",
            "doors": [{"id": "A1", "lock": "GPIO17", "sensor": "GPIO27", "sensorActiveLow": true}]},
           {"id": "ptl-1", "kind": "pick-to-light",
            "slots": [{"id": "S1", "light": "GPIO5", "button": "GPIO6"},
                      {"id": "S2", "lights": {"green": "GPIO12", "red": "gpiochip0:40"}, "button": "PIN35"}]}
         ],
         "uplinks": {"mqtt": {"url": "mqtt://127.0.0.1:1883", "clientId": "dock-03", "username": null,
                              "passwordFile": null, "keepAliveS": 30}},
         "control": {"socket": "/run/floorlink/control.sock"}}
        """#

    static func parse(_ text: String) throws -> SiteConfiguration {
        try SiteConfiguration.parse(JSONValue(parsing: text), file: "site.json", hal: repositoryHALSearch)
    }

    @Test("the INTERFACES example loads with every device, pin and default resolved")
    func validSite() throws {
        let site = try Self.parse(Self.valid)
        #expect(site.site == "ams-1" && site.hardware == .linux && site.dataDirectory == "/var/lib/floorlink")
        #expect(
            site.devices.map(\.kind) == [
                "barcode-scanner", "barcode-scanner", "rfid-reader", "locker-bank", "pick-to-light",
            ]
        )
        guard case .lockerBank(let bank) = site.devices[3], case .pickToLight(let ptl) = site.devices[4] else {
            Issue.record("device kinds out of order")
            return
        }
        #expect(bank.doors[0].lock == PinReference(chip: .label("pinctrl-rp1"), offset: 17, name: "GPIO17"))
        #expect(bank.codeReader == "scanner-2")
        #expect(bank.minimumCodeLength == 6 && bank.wrongCodeBudget == 20)
        #expect(ptl.slots[1].lights["red"] == PinReference(chip: .name("gpiochip0"), offset: 40, name: "gpiochip0:40"))
        #expect(ptl.slots[1].button.offset == 19, "PIN35 is an alias of GPIO19")
        #expect(site.mqtt?.keepAlive == .seconds(30))
    }

    @Test("outbox.quotaBytes and control.maxConnections: defaults, and set values")
    func outboxQuotaAndControlLimit() throws {
        let defaults = try Self.parse(Self.valid)
        #expect(defaults.outboxQuotaBytes == 256 << 20)
        #expect(defaults.controlMaxConnections == 64)
        let text = Self.valid.replacingOccurrences(
            of: #""control": {"socket": "/run/floorlink/control.sock"}"#,
            with: #""outbox": {"quotaBytes": 1073741824}, "control": {"socket": "/s.sock", "maxConnections": 8}"#
        )
        let set = try Self.parse(text)
        #expect(set.outboxQuotaBytes == 1 << 30)
        #expect(set.controlMaxConnections == 8)
        #expect(set.controlSocket == "/s.sock")
    }

    @Test("a scanner's quiet gap before the first read after an open is 100 ms unless quietGapMs says otherwise")
    func scannerQuietGap() throws {
        let site = try Self.parse(
            Self.valid.replacingOccurrences(of: #""terminator": "\r"}"#, with: #""terminator": "\r", "quietGapMs": 0}"#)
        )
        guard case .barcodeScanner(let first) = site.devices[0], case .barcodeScanner(let second) = site.devices[1]
        else {
            Issue.record("device kinds out of order")
            return
        }
        #expect(first.quietGap == .milliseconds(100))
        #expect(second.quietGap == .zero)
    }

    @Test(
        "the webhook waits 200 ms to gather a batch unless batchDelayMs says otherwise",
        arguments: [(#""#, 200), (#", "batchDelayMs": 0"#, 0), (#", "batchDelayMs": 1500"#, 1500)]
    )
    func webhookBatchDelay(setting: String, milliseconds: Int) throws {
        let site = try Self.parse(
            Self.valid.replacingOccurrences(
                of: #""keepAliveS": 30}}"#,
                with: #""keepAliveS": 30}, "webhook": {"url": "https://hooks.example.com/floor"\#(setting)}}"#
            )
        )
        #expect(site.webhook?.batchDelay == .milliseconds(milliseconds))
    }

    @Test("minimumCodeLength can be raised and wrongCodeBudget set")
    func lockerCodeSettings() throws {
        let text = Self.valid.replacingOccurrences(
            of: #""pulseMs": 500"#,
            with: #""pulseMs": 500, "minimumCodeLength": 8, "wrongCodeBudget": 5"#
        )
        guard case .lockerBank(let bank) = try Self.parse(text).devices[3] else {
            Issue.record("devices[3] is not the locker bank")
            return
        }
        #expect(bank.minimumCodeLength == 8 && bank.wrongCodeBudget == 5)
    }

    @Test("the demo site in hal/sites loads")
    func demoSite() throws {
        let site = try SiteConfiguration.load(path: repositoryHAL + "/sites/demo.json", hal: repositoryHALSearch)
        #expect(site.hardware == .simulated && site.simulatedTraffic)
        #expect(!site.devices.isEmpty)
    }

    @Test(
        "simulatedTraffic is on by default on simulated hardware, can be turned off, and is off on linux",
        arguments: [
            (#""hardware": "simulated""#, true), (#""hardware": "simulated", "simulatedTraffic": false"#, false),
            (#""hardware": "linux""#, false), (#""hardware": "linux", "simulatedTraffic": false"#, false),
        ]
    )
    func simulatedTraffic(hardware: String, traffic: Bool) throws {
        let text = Self.valid.replacingOccurrences(of: #""hardware": "linux""#, with: hardware)
        #expect(try Self.parse(text).simulatedTraffic == traffic)
    }

    @Test("the Debian package's example /etc/floorlink/site.json loads, and is marked as an example")
    func packageExample() throws {
        let path = repositoryHAL + "/../Sources/floorlink-package/debian/site.json"
        let example = try SiteConfiguration.load(path: path, hal: repositoryHALSearch)
        #expect(example.hardware == .linux && example.dataDirectory == "/var/lib/floorlink")
        #expect(example.controlSocket == "/run/floorlink/control.sock")
        #expect(example.example?.contains("floorlinkd --check-config") == true)
    }

    typealias BadCase = ConfigRefusal

    static let badCases: [BadCase] = [
        BadCase(
            name: "unknown pin",
            replace: #""lock": "GPIO17""#,
            with: #""lock": "GPIO99""#,
            message: #"site.json: devices[3].doors[0].lock: unknown pin "GPIO99" on board raspberry-pi-5"#
        ),
        BadCase(
            name: "unknown key (a typo)",
            replace: #""pulseMs": 500"#,
            with: #""pulseMS": 500"#,
            message: "site.json: devices[3].pulseMS: unknown key (check its spelling against the README)"
        ),
        BadCase(
            name: "pin used twice",
            replace: #""sensor": "GPIO27""#,
            with: #""sensor": "GPIO5""#,
            message: #"site.json: devices[4].slots[0].light: pin "GPIO5" is already used by devices[3].doors[0].sensor"#
        ),
        BadCase(
            name: "wrong type",
            replace: #""baud": 9600"#,
            with: #""baud": "9600""#,
            message: #"site.json: devices[0].baud: expected an integer, found the string "9600""#
        ),
        BadCase(
            name: "negative quiet gap",
            replace: #""baud": 9600"#,
            with: #""baud": 9600, "quietGapMs": -1"#,
            message: "site.json: devices[0].quietGapMs: -1 is out of range, expected 0...10000"
        ),
        BadCase(
            name: "unsupported baud",
            replace: #""baud": 9600"#,
            with: #""baud": 9601"#,
            message: "site.json: devices[0].baud: 9601 is not a supported rate, expected one of 1200, 2400, 4800, "
                + "9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600"
        ),
        BadCase(
            name: "code reader that is not a scanner",
            replace: #""codeReader": "scanner-2""#,
            with: #""codeReader": "rfid-1""#,
            message: #"site.json: devices[3].codeReader: "rfid-1" is not a barcode-scanner of this site"#
        ),
        BadCase(
            name: "duplicate device id",
            replace: #""id": "scanner-2""#,
            with: #""id": "scanner-1""#,
            message: #"site.json: devices[1].id: duplicate device id "scanner-1" (also devices[0])"#
        ),
        BadCase(
            name: "pulse above its limit",
            replace: #""pulseMs": 500"#,
            with: #""pulseMs": 5000"#,
            message: "site.json: devices[3].pulseMs: 5000 is longer than maxPulseMs 2000"
        ),
        BadCase(
            name: "pickup codes shorter than 6",
            replace: #""pulseMs": 500"#,
            with: #""pulseMs": 500, "minimumCodeLength": 4"#,
            message: "site.json: devices[3].minimumCodeLength: 4 is out of range, expected 6...64"
        ),
        BadCase(
            name: "no wrong codes allowed at all",
            replace: #""pulseMs": 500"#,
            with: #""pulseMs": 500, "wrongCodeBudget": 0"#,
            message: "site.json: devices[3].wrongCodeBudget: 0 is out of range, expected 1...10000"
        ),
        BadCase(
            name: "unknown hardware",
            replace: #""hardware": "linux""#,
            with: #""hardware": "raspberry""#,
            message: #"site.json: hardware: "raspberry" is not a hardware kind, expected "linux" or "simulated""#
        ),
        BadCase(
            name: "demo traffic on real hardware",
            replace: #""hardware": "linux""#,
            with: #""hardware": "linux", "simulatedTraffic": true"#,
            message: #"site.json: simulatedTraffic: applies only to "hardware": "simulated""#
        ),
        BadCase(
            name: "demo traffic that is not a flag",
            replace: #""hardware": "linux""#,
            with: #""hardware": "simulated", "simulatedTraffic": "no""#,
            message: #"site.json: simulatedTraffic: expected true or false, found the string "no""#
        ),
        BadCase(
            name: "unknown board",
            replace: #""board": "raspberry-pi-5""#,
            with: #""board": "pi-zero""#,
            message: "site.json: board: unknown board \"pi-zero\": pi-zero.json: no board file found in "
                + "\(repositoryHAL)/boards"
        ),
        BadCase(
            name: "unknown device kind",
            replace: #""kind": "rfid-reader""#,
            with: #""kind": "rfid""#,
            message: #"site.json: devices[2].kind: unknown device kind "rfid", expected barcode-scanner, "#
                + "rfid-reader, locker-bank or pick-to-light"
        ),
        BadCase(
            name: "example marker that is not text",
            replace: #""site": "ams-1", "#,
            with: #""example": true, "site": "ams-1", "#,
            message: "site.json: example: expected a string, found a boolean"
        ),
        BadCase(
            name: "missing required key",
            replace: #""site": "ams-1", "#,
            with: "",
            message: "site.json: site: required, missing"
        ),
        BadCase(
            name: "bad terminator",
            replace: #""terminator": "\r""#,
            with: #""terminator": "|""#,
            message: #"site.json: devices[1].terminator: unknown scanner terminator "|"; use "\r", "\n", "\r\n" or """#
        ),
        BadCase(
            name: "bad MQTT URL",
            replace: #""url": "mqtt://127.0.0.1:1883""#,
            with: #""url": "tcp://127.0.0.1:1883""#,
            message:
                #"site.json: uplinks.mqtt.url: "tcp://127.0.0.1:1883", expected mqtt://HOST:PORT or mqtts://HOST:PORT"#
        ),
        BadCase(
            name: "webhook URL with credentials",
            replace: #""keepAliveS": 30}}"#,
            with: #""keepAliveS": 30}, "webhook": {"url": "https://user@hooks.example.com/floor"}}"#,
            message: #"site.json: uplinks.webhook.url: invalid URL "https://user@hooks.example.com/floor": "#
                + "credentials in the URL are not supported"
        ),
        BadCase(
            name: "webhook batch delay too long",
            replace: #""keepAliveS": 30}}"#,
            with: #""keepAliveS": 30}, "webhook": {"url": "https://hooks.example.com/floor", "batchDelayMs": 60000}}"#,
            message: "site.json: uplinks.webhook.batchDelayMs: 60000 is out of range, expected 0...10000"
        ),
        BadCase(
            name: "outbox quota too small for its segments",
            replace: #""control": {"#,
            with: #""outbox": {"quotaBytes": 1048576}, "control": {"#,
            message: "site.json: outbox.quotaBytes: 1048576 is out of range, expected 33554432...1099511627776"
        ),
        BadCase(
            name: "unknown outbox key",
            replace: #""control": {"#,
            with: #""outbox": {"quota": 1048576}, "control": {"#,
            message: "site.json: outbox.quota: unknown key (check its spelling against the README)"
        ),
        BadCase(
            name: "no control connections",
            replace: #""socket": "/run/floorlink/control.sock""#,
            with: #""socket": "/run/floorlink/control.sock", "maxConnections": 0"#,
            message: "site.json: control.maxConnections: 0 is out of range, expected 1...4096"
        ),
        BadCase(
            name: "not JSON",
            replace: #""site": "ams-1","#,
            with: #""site": "ams-1""#,
            message: "site.json: line 1, column 29: invalid JSON at byte 28: expected ',' or '}'"
        ),
    ]

    @Test("each kind of bad config is refused with its file, JSON path and what was expected", arguments: badCases)
    func badConfig(bad: BadCase) {
        bad.expectRefused(from: Self.valid, by: Self.parse) { _ in bad.name == "not JSON" }
    }
}
